import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ArgumentError, BrowserError, ShapeError } from "../lib/errors.ts";
import {
  captionedGrid,
  digitGrid,
  digitPicture,
  pixelTable,
  showImage,
  showImages,
} from "../lib/plot/images.ts";
import { decodePng, type GrayImage } from "../lib/load/png.ts";
import type { Picture } from "../lib/plot/show.ts";
import { closeBrowser, renderPng } from "../lib/plot/render.ts";
import { lessonBlock } from "./_assert.ts";
import { browserNeeds, NO_BROWSER, withEnv } from "./_browser.ts";
import { recorder } from "./_display.ts";
import { permission, testIf } from "./_support.ts";

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

Deno.test("digitGrid refuses no digits and a scale that is not a whole number", () => {
  assert.throws(() => digitGrid([]), ArgumentError);
  assert.throws(() => digitGrid([ramp()], { scale: 1.5 }), ArgumentError);
});

/** The lesson's digit `train/3/10000.png`, rows 4 to 9 of columns 4 to 9 (the rest black). */
function lessonCorner(): GrayImage {
  const pixels = new Uint8Array(784);
  lessonBlock.forEach((row, r) => pixels.set(row, (r + 4) * 28 + 4));
  return { width: 28, height: 28, pixels };
}

Deno.test("pixelTable is a heat map of the block: each cell shaded from white (0) to black (255), showing its value", () => {
  const table = pixelTable(lessonCorner(), [4, 15], [4, 22]);
  const [trace] = table.data as {
    z: number[][];
    x: number[];
    y: number[];
    zmin: number;
    zmax: number;
    colorscale: [number, string][];
    texttemplate: string;
  }[];
  assert.equal(trace.z.length, 11);
  assert.equal(trace.z[0].length, 18);
  assert.deepEqual(trace.x, Array.from({ length: 18 }, (_, i) => 4 + i));
  assert.deepEqual(trace.y, Array.from({ length: 11 }, (_, i) => 4 + i));
  assert.deepEqual(trace.z[3].slice(0, 6), [...lessonBlock[3]]); // row 7
  assert.deepEqual([trace.zmin, trace.zmax], [0, 255]);
  assert.deepEqual(trace.colorscale, [[0, "#ffffff"], [1, "#000000"]]);
  assert.equal(trace.texttemplate, "%{z}");
  const title = table.layout.title as { text: string };
  assert.equal(title.text, "Pixel values of rows 4-14, columns 4-21");
});

Deno.test("pixelTable refuses a block outside the image", () => {
  assert.throws(() => pixelTable(ramp(), [4, 30], [0, 5]), ArgumentError);
  assert.throws(() => pixelTable(ramp(), [5, 5], [0, 5]), ArgumentError);
  assert.throws(() => pixelTable(ramp(), [0, 1.5], [0, 5]), ArgumentError);
});

testIf(
  "a drawn pixelTable has black cells with white numbers and white cells with black numbers",
  browserNeeds,
  async () => {
    let png: Uint8Array;
    try {
      png = await renderPng(pixelTable(lessonCorner(), [4, 10], [4, 10]));
    } finally {
      await closeBrowser();
    }
    const image = decodePng(png, "the pixel table");
    /** The gray levels inside the cell of pixel (row, col), most common first. */
    const cell = (row: number, col: number) => {
      const counts = new Map<number, number>();
      const [x0, y0] = [36 + 36 * (col - 4), 66 + 24 * (row - 4)];
      for (let y = y0 + 3; y < y0 + 21; y++) {
        for (let x = x0 + 3; x < x0 + 33; x++) {
          const p = at(image, y, x);
          counts.set(p, (counts.get(p) ?? 0) + 1);
        }
      }
      return [...counts].sort((a, b) => b[1] - a[1]);
    };
    const [dark, light] = [cell(7, 8), cell(4, 4)]; // 253 and 0
    assert.ok(dark[0][0] < 10, `a 253 cell is black: ${dark[0][0]}`);
    assert.ok(dark.some(([p]) => p > 200), "with white digits");
    assert.equal(light[0][0], 255, "a 0 cell is white");
    assert.ok(light.some(([p]) => p < 120), "with dark digits");
  },
);

testIf(
  "captionedGrid draws a caption above each digit, and keeps the digit's pixels exact",
  browserNeeds,
  async () => {
    const scale = 2;
    let picture: Picture;
    try {
      picture = await captionedGrid([ramp()], { titles: ["3"], scale });
    } finally {
      await closeBrowser();
    }
    assert.equal(picture.text, "Digit 28×28: 3");
    const image = decoded(picture);
    // The digit and its frame: digitPicture's, less its margin.
    const plain = decoded(digitPicture(ramp(), { scale }));
    const side = 28 * scale + 2 * FRAME;
    const [left, top] = [GAP, GAP + 20 + 3]; // below the caption's line
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        assert.equal(
          at(image, top + r, left + c),
          at(plain, GAP + r, GAP + c),
          `(${r}, ${c})`,
        );
      }
    }
    const caption = image.pixels.subarray(GAP * image.width, top * image.width);
    assert.ok(caption.some((p) => p < 100), "the caption is written in dark");
    assert.equal(picture.width, side + 2 * GAP);
  },
);

Deno.test("captionedGrid refuses more captions than digits", async () => {
  await assert.rejects(
    captionedGrid([ramp()], { titles: ["a", "b"] }),
    ArgumentError,
  );
});

Deno.test("showImage and showImages without captions send PNG pictures, and need no browser", async () => {
  const { display, shown } = recorder();
  await showImage(ramp(), { display });
  await showImages([ramp(), ramp()], { display, columns: 1 });
  assert.deepEqual(shown.map(([b]) => b["text/plain"]), [
    "Digit 28×28",
    "2 digits 28×28",
  ]);
  const image = decodePng(
    Buffer.from(shown[0][0]["image/png"]!, "base64"),
    "shown",
  );
  assert.equal(image.width, digitPicture(ramp()).width);
});

testIf(
  "showImages draws the captions into the picture when a browser can",
  browserNeeds,
  async () => {
    const { display, shown } = recorder();
    try {
      await showImages([ramp(), ramp()], { titles: ["a", "b"], display });
    } finally {
      await closeBrowser();
    }
    assert.equal(shown.length, 1);
    const [mime] = shown[0];
    assert.equal(mime["text/plain"], "2 digits 28×28: a, b");
    const image = decodePng(Buffer.from(mime["image/png"]!, "base64"), "grid");
    assert.ok(image.height > digitGrid([ramp(), ramp()]).height);
  },
);

const noBrowser = { CHROMIUM_PATH: NO_BROWSER };
const envNeeds = [
  permission({ name: "env", variable: "CHROMIUM_PATH" }),
  permission({ name: "env", variable: "MNIST_REQUIRE_PNG" }),
];

testIf(
  "without a browser, showImages shows the digits, then their captions as a line of text",
  envNeeds,
  async () => {
    const { display, shown } = recorder();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      await withEnv({ ...noBrowser, MNIST_REQUIRE_PNG: "0" }, async () => {
        await showImages([ramp(), ramp()], { titles: ["a", "b"], display });
      });
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(shown.map(([b]) => Object.keys(b).sort()), [
      ["image/png", "text/plain"],
      ["text/plain"],
    ]);
    assert.equal(
      shown[0][0]["image/png"],
      Buffer.from(digitGrid([ramp(), ramp()]).png).toString("base64"),
    );
    assert.equal(shown[1][0]["text/plain"], "Captions, left to right: a | b");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no-such-chromium/);
  },
);

testIf(
  "with MNIST_REQUIRE_PNG=1, captions that no browser can draw are an error",
  envNeeds,
  async () => {
    const { display, shown } = recorder();
    await withEnv({ ...noBrowser, MNIST_REQUIRE_PNG: "1" }, async () => {
      await assert.rejects(
        showImage(ramp(), { title: "a", display }),
        (e: Error) =>
          e instanceof BrowserError && /MNIST_REQUIRE_PNG=1/.test(e.message),
      );
    });
    assert.equal(shown.length, 0);
  },
);
