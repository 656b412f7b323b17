import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ShapeError } from "../lib/errors.ts";
import {
  digitGrid,
  digitPicture,
  pixelTable,
  showImage,
  showImages,
} from "../lib/plot/images.ts";
import { decodePng, type GrayImage } from "../lib/load/png.ts";
import type { MimeBundle, Picture } from "../lib/plot/show.ts";
import { lessonBlock } from "./_assert.ts";

/** A 28×28 image whose pixel (r, c) is (r * 28 + c) mod 256. */
function ramp(): GrayImage {
  const pixels = Uint8Array.from({ length: 784 }, (_, i) => i % 256);
  return { width: 28, height: 28, pixels };
}

function decoded(picture: Picture): GrayImage {
  const image = decodePng(picture.png, picture.text);
  assert.deepEqual([image.width, image.height], [
    picture.width,
    picture.height,
  ]);
  return image;
}

const at = (image: GrayImage, row: number, col: number) =>
  image.pixels[row * image.width + col];

/** The gap around a digit, and its one-pixel frame. */
const GAP = 6, FRAME = 1;

Deno.test("a digit is magnified 6 times by default, framed, with a margin", () => {
  const picture = digitPicture(ramp());
  assert.equal(picture.width, 2 * GAP + 2 * FRAME + 28 * 6);
  assert.equal(picture.height, picture.width);
  assert.equal(picture.text, "Digit 28×28");
  const image = decoded(picture);
  assert.equal(at(image, 0, 0), 255); // the margin is white
  assert.equal(at(image, GAP, GAP), 200); // the frame is light gray
});

Deno.test("each pixel of a PNG digit becomes a square, 0 white and 255 black", () => {
  const source = ramp();
  const scale = 3;
  const image = decoded(digitPicture(source, { scale }));
  const first = GAP + FRAME;
  for (let r = 0; r < 28 * scale; r++) {
    for (let c = 0; c < 28 * scale; c++) {
      const value = at(source, Math.floor(r / scale), Math.floor(c / scale));
      assert.equal(
        at(image, first + r, first + c),
        255 - value,
        `(${r}, ${c})`,
      );
    }
  }
});

Deno.test("a tensor digit in 0..1 is shaded the same way, its values clamped", () => {
  const values = Array.from(
    { length: 784 },
    (_, i) => [0, 0.5, 1, 2, -1][i % 5],
  );
  const digit = tf.tensor2d(values, [28, 28]);
  const before = tf.memory().numTensors;
  const image = decoded(digitPicture(digit, { scale: 1 }));
  assert.equal(tf.memory().numTensors, before);
  digit.dispose();
  const shades = [0, 1, 2, 3, 4].map((i) =>
    at(image, GAP + FRAME, GAP + FRAME + i)
  );
  assert.deepEqual(shades, [255, 127, 0, 0, 255]);
});

Deno.test("a digit tensor may be [28, 28], [784] or [1, 784]; other sizes are refused", () => {
  const flat = tf.range(0, 784).div(784);
  const shapes = [[28, 28], [784], [1, 784], [784, 1]];
  const pngs = shapes.map((shape) => {
    const digit = flat.reshape(shape);
    const { png } = digitPicture(digit, { scale: 2 });
    digit.dispose();
    return Buffer.from(png).toString("base64");
  });
  assert.equal(new Set(pngs).size, 1);
  const odd = tf.zeros([10]);
  assert.throws(() => digitPicture(odd), ShapeError);
  tf.dispose([flat, odd]);
});

Deno.test("a caption goes above the digit, in dark letters", () => {
  const plain = digitPicture(ramp(), { scale: 2 });
  const captioned = digitPicture(ramp(), { scale: 2, title: "mean 3" });
  assert.equal(captioned.text, "Digit 28×28: mean 3");
  assert.ok(captioned.height > plain.height);
  const image = decoded(captioned);
  const captionRows = [
    ...image.pixels.subarray(GAP * image.width, (GAP + 16) * image.width),
  ];
  assert.ok(captionRows.some((p) => p === 0), "the letters are black");
});

Deno.test("a wide caption widens the picture instead of being cut", () => {
  const title = "train/3/10000.png (the lesson's first 3)";
  const picture = digitPicture(ramp(), { scale: 2, title });
  assert.ok(picture.width >= title.length * 12 - 2);
});

Deno.test("digitGrid lays digits out row by row, in the given number of columns", () => {
  const digits = Array.from({ length: 5 }, ramp);
  const one = digitGrid(digits.slice(0, 1), { scale: 1 });
  const cell = one.width - 2 * GAP; // one digit and its frame
  const grid = digitGrid(digits, { columns: 2, scale: 1 });
  assert.equal(grid.width, GAP + 2 * (cell + GAP));
  assert.equal(grid.height, GAP + 3 * (cell + GAP));
  assert.equal(grid.text, "5 digits 28×28");
  const row = digitGrid(digits, { scale: 1 });
  assert.equal(row.width, GAP + 5 * (cell + GAP));
  assert.equal(row.height, one.height);
});

Deno.test("digitGrid captions each digit, and refuses more captions than digits", () => {
  const digits = [ramp(), ramp()];
  const grid = digitGrid(digits, { titles: ["mean 3", "mean 7"] });
  assert.equal(grid.text, "2 digits 28×28: mean 3, mean 7");
  assert.ok(grid.height > digitGrid(digits).height);
  assert.throws(
    () => digitGrid(digits, { titles: ["a", "b", "c"] }),
    RangeError,
  );
  assert.throws(() => digitGrid([]), RangeError);
  assert.throws(() => digitGrid(digits, { scale: 1.5 }), RangeError);
});

/** The lesson's digit `train/3/10000.png`, rows 4 to 9 of columns 4 to 9 (the rest black). */
function lessonCorner(): GrayImage {
  const pixels = new Uint8Array(784);
  lessonBlock.forEach((row, r) => pixels.set(row, (r + 4) * 28 + 4));
  return { width: 28, height: 28, pixels };
}

Deno.test("pixelTable draws a cell per pixel, with a row and a column of numbers around them", () => {
  const table = pixelTable(lessonCorner(), [4, 15], [4, 22]);
  const cellWidth = 3 * 12 - 2 + 2 * GAP, cellHeight = 16 + GAP;
  assert.equal(table.width, (18 + 1) * cellWidth);
  assert.equal(table.height, (11 + 1) * cellHeight);
  assert.match(table.text, /rows 4-14, columns 4-21/);
});

Deno.test("pixelTable shades cells from white for 0 to black for 255, with white text on dark cells", () => {
  const table = decoded(pixelTable(lessonCorner(), [4, 10], [4, 10]));
  const cellWidth = 46, cellHeight = 22;
  /** The gray levels of the cell of pixel (row, col), counted. */
  const cell = (row: number, col: number) => {
    const counts = new Map<number, number>();
    const [y0, x0] = [(row - 4 + 1) * cellHeight, (col - 4 + 1) * cellWidth];
    for (let y = y0; y < y0 + cellHeight - 1; y++) {
      for (let x = x0; x < x0 + cellWidth - 1; x++) {
        const p = at(table, y, x);
        counts.set(p, (counts.get(p) ?? 0) + 1);
      }
    }
    return [...counts].sort((a, b) => b[1] - a[1]); // most common first
  };
  const [dark, light, middle] = [cell(7, 8), cell(4, 4), cell(5, 9)]; // 253, 0, 29
  assert.equal(dark[0][0], 2, "a 253 cell is black");
  assert.deepEqual(dark.map(([p]) => p).sort((a, b) => a - b), [2, 255]); // white digits
  assert.equal(light[0][0], 255, "a 0 cell is white");
  assert.deepEqual(light.map(([p]) => p).sort((a, b) => a - b), [0, 255]); // black digits
  assert.equal(middle[0][0], 255 - 29);
  // The corner above the row numbers is white, and so are the header cells.
  assert.equal(at(table, 0, 0), 255);
});

Deno.test("pixelTable refuses a block outside the image", () => {
  assert.throws(() => pixelTable(ramp(), [4, 30], [0, 5]), RangeError);
  assert.throws(() => pixelTable(ramp(), [5, 5], [0, 5]), RangeError);
});

Deno.test("showImage and showImages send PNG pictures to the display", async () => {
  const shown: MimeBundle[] = [];
  const display = (bundle: MimeBundle) => void shown.push(bundle);
  await showImage(ramp(), { title: "ramp", display });
  await showImages([ramp(), ramp()], { titles: ["a", "b"], display });
  assert.deepEqual(shown.map((b) => b["text/plain"]), [
    "Digit 28×28: ramp",
    "2 digits 28×28: a, b",
  ]);
  assert.ok(shown.every((b) => b["image/png"] !== undefined));
  const image = decodePng(
    Buffer.from(shown[0]["image/png"]!, "base64"),
    "shown",
  );
  assert.equal(image.width, digitPicture(ramp(), { title: "ramp" }).width);
});
