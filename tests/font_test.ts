import assert from "node:assert/strict";
import {
  drawText,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  textWidth,
} from "../lib/plot/font.ts";
import type { GrayImage } from "../lib/load/png.ts";

function blank(width: number, height: number, level = 255): GrayImage {
  return { width, height, pixels: new Uint8Array(width * height).fill(level) };
}

/** The image as rows of "#" (ink 0) and "." (anything else). */
function art(image: GrayImage): string[] {
  return Array.from(
    { length: image.height },
    (_, r) =>
      [...image.pixels.subarray(r * image.width, (r + 1) * image.width)]
        .map((p) => p === 0 ? "#" : ".").join(""),
  );
}

Deno.test("a character is 5 pixels wide and 8 tall, and text advances 6 per character", () => {
  assert.equal(GLYPH_WIDTH, 5);
  assert.equal(GLYPH_HEIGHT, 8);
  assert.equal(textWidth(""), 0);
  assert.equal(textWidth("7"), 5);
  assert.equal(textWidth("255"), 17);
  assert.equal(textWidth("255", 2), 34);
  assert.equal(textWidth("×≈"), 11); // one column per character, not per byte
});

Deno.test("drawText draws the digits 1 and 7 as designed", () => {
  const image = blank(11, 8);
  drawText(image, "17", 0, 0);
  assert.deepEqual(art(image), [
    "..#...#####",
    ".##.......#",
    "..#......#.",
    "..#.....#..",
    "..#....#...",
    "..#....#...",
    ".###...#...",
    "...........",
  ]);
});

Deno.test("descenders go below the baseline, on the eighth row", () => {
  const g = blank(5, 8);
  drawText(g, "g", 0, 0);
  assert.equal(art(g)[7], ".###.");
  const a = blank(5, 8);
  drawText(a, "a", 0, 0);
  assert.equal(art(a)[7], ".....");
});

Deno.test("at scale 2 each font pixel is a 2×2 square", () => {
  const small = blank(5, 8), large = blank(10, 16);
  drawText(small, "A", 0, 0);
  drawText(large, "A", 0, 0, { scale: 2 });
  for (let r = 0; r < 16; r++) {
    for (let c = 0; c < 10; c++) {
      assert.equal(
        large.pixels[r * 10 + c],
        small.pixels[Math.floor(r / 2) * 5 + Math.floor(c / 2)],
        `pixel (${r}, ${c})`,
      );
    }
  }
});

Deno.test("drawText writes only the letters, in the ink's gray level, and keeps the background", () => {
  const image = blank(5, 8, 40);
  drawText(image, "-", 0, 0, { ink: 255 });
  const levels = new Set(image.pixels);
  assert.deepEqual([...levels].sort((a, b) => a - b), [40, 255]);
  assert.deepEqual(
    [...image.pixels.subarray(3 * 5, 4 * 5)],
    [255, 255, 255, 255, 255],
  );
});

Deno.test("characters outside printable ASCII are drawn as a box", () => {
  const image = blank(5, 8);
  drawText(image, "≈", 0, 0);
  assert.deepEqual(art(image), [
    "#####",
    "#...#",
    "#...#",
    "#...#",
    "#...#",
    "#...#",
    "#####",
    ".....",
  ]);
});

Deno.test("text running off the image is cut at its edges", () => {
  const full = blank(5, 8);
  drawText(full, "8", 0, 0);
  const cut = blank(3, 6); // the glyph moved 2 left and 1 up: its corner is cut
  drawText(cut, "8", -2, -1);
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 3; c++) {
      assert.equal(cut.pixels[r * 3 + c], full.pixels[(r + 1) * 5 + c + 2]);
    }
  }
});

Deno.test("every printable character has a glyph of its own", () => {
  const seen = new Map<string, string>();
  for (let code = 32; code < 127; code++) {
    const image = blank(5, 8);
    drawText(image, String.fromCharCode(code), 0, 0);
    const key = art(image).join("/");
    assert.ok(
      !seen.has(key),
      `${String.fromCharCode(code)} looks like ${seen.get(key)}`,
    );
    seen.set(key, String.fromCharCode(code));
  }
});
