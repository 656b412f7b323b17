/**
 * Pictures of digits: {@linkcode showImage} shows one digit,
 * {@linkcode showImages} a grid with captions, and {@linkcode pixelTable} is
 * the lesson's table of pixel values, each cell shaded by its value.
 * {@linkcode digitPicture}, {@linkcode digitGrid} and
 * {@linkcode captionedGrid} build the pictures without showing them.
 *
 * Digits are drawn as the lesson draws them: dark strokes on white, from
 * white for 0 to black for the highest value (255 in a PNG file, 1 in the
 * tensors of `mnist.ts`), each pixel magnified into a square so that it can
 * be seen. The digits' PNG images are made here, pixel by pixel, without a
 * browser (exact, and a few milliseconds each). Text is drawn by the
 * browser that draws the charts: captions by laying the digits' images out
 * in an HTML page ({@linkcode captionedGrid}), and the pixel table is a
 * plotly.js heat map with a number in each cell. Without a browser, digits
 * are shown without their captions, which follow as a line of text.
 *
 * @example The lesson's first digit, and the two ideal digits
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { showImage, showImages } from "./images.ts";
 * import { openImage, stackFolder } from "../load/mnist.ts";
 *
 * await showImage(await openImage("data/mnist_sample/train/3/10000.png"));
 * const [threes, sevens] = await Promise.all([
 *   stackFolder("data/mnist_sample/train/3"),
 *   stackFolder("data/mnist_sample/train/7"),
 * ]);
 * const means = [threes.mean(0), sevens.mean(0)];
 * await showImages(means, { titles: ["mean 3", "mean 7"] });
 * tf.dispose([threes, sevens, ...means]);
 * ```
 *
 * @module
 */
import type { Tensor } from "../tensors.ts";
import { Buffer } from "node:buffer";
import { ArgumentError, ShapeError } from "../errors.ts";
import { encodePng, type GrayImage } from "../load/png.ts";
import type { Figure } from "./charts.ts";
import { renderHtml } from "./render.ts";
import {
  escapeHtml,
  notebookDisplay,
  type Picture,
  show,
  type ShowOptions,
  withoutImage,
} from "./show.ts";

/**
 * A digit as `mnist.ts` gives it: an image read from a PNG file (0..255), or
 * a tensor of values in 0..1 (`[28, 28]`, `[784]`, `[1, 784]`...; any square
 * size).
 *
 * @example Both kinds
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Digit } from "./images.ts";
 * import { openImage } from "../load/mnist.ts";
 *
 * const fromFile: Digit = await openImage("data/mnist_sample/train/3/10000.png");
 * const fromTensor: Digit = tf.zeros([28, 28]);
 * ```
 */
export type Digit = GrayImage | Tensor;

/** Space around and between the parts of a picture. */
const GAP = 6;
/** The light gray frame that shows a digit's extent on the white page. */
const FRAME = 200;

/** A digit's darkness per pixel, 0 (white) to 255 (black), and its size. */
function darkness(digit: Digit): GrayImage {
  if ("pixels" in digit) {
    const { width, height, pixels } = digit;
    if (pixels.length !== width * height) {
      throw new ShapeError(
        `An image of ${width}×${height} pixels holds ${pixels.length} ` +
          "values: pass an image from openImage or decodePng.",
      );
    }
    return { width, height, pixels: pixels.map((p) => 255 - p) };
  }
  const values = digit.dataSync();
  const side = Math.round(Math.sqrt(values.length));
  const [rows, cols] = digit.shape;
  const [height, width] = digit.rank === 2 && rows > 1 && cols! > 1
    ? [rows, cols!]
    : [side, side];
  if (width * height !== values.length || values.length === 0) {
    throw new ShapeError(
      `A digit tensor must hold a square image: got shape ` +
        `[${digit.shape.join(", ")}]. Pass one image, e.g. stacked.gather(0) ` +
        "or a [28, 28] mean.",
    );
  }
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    pixels[i] = Math.round(255 * Math.min(Math.max(values[i], 0), 1));
  }
  return { width, height, pixels: pixels.map((p) => 255 - p) };
}

/** A white canvas. */
function canvas(width: number, height: number): GrayImage {
  return { width, height, pixels: new Uint8Array(width * height).fill(255) };
}

/** Copies an image, framed, into a canvas at (x, y), a pixel per `scale`² square. */
function paste(
  target: GrayImage,
  image: GrayImage,
  x: number,
  y: number,
  scale: number,
): void {
  const w = image.width * scale, h = image.height * scale;
  for (let row = -1; row <= h; row++) {
    for (let col = -1; col <= w; col++) {
      const inside = row >= 0 && row < h && col >= 0 && col < w;
      const value = inside
        ? image.pixels[
          Math.floor(row / scale) * image.width +
          Math.floor(col / scale)
        ]
        : FRAME;
      target.pixels[(y + row) * target.width + x + col] = value;
    }
  }
}

function picture(image: GrayImage, text: string): Picture {
  const { width, height, pixels } = image;
  return { png: encodePng(pixels, width, height), width, height, text };
}

function checkScale(scale: number): number {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new ArgumentError(
      `scale must be a whole number of pixels ≥ 1: got ${scale}.`,
    );
  }
  return scale;
}

/**
 * Options of {@linkcode digitPicture} and {@linkcode showImage}.
 *
 * @example
 * ```ts
 * import type { DigitOptions } from "./images.ts";
 *
 * const options: DigitOptions = { title: "train/3/10000.png", scale: 8 };
 * ```
 */
export interface DigitOptions {
  /** A caption above the digit ({@linkcode showImage} only). */
  readonly title?: string;
  /** Pixels per side of each digit pixel. Default 6: 168×168 for MNIST. */
  readonly scale?: number;
}

/**
 * A digit as a picture: magnified `scale` times (nearest neighbour), dark
 * strokes on white, in a light frame, with a white margin. Drawn without a
 * browser; its caption, if any, is left to {@linkcode showImage}.
 *
 * @throws {ShapeError} when the digit is not a square image.
 * @throws {ArgumentError} when `scale` is not a whole number ≥ 1.
 *
 * @example Save a digit as a PNG file
 * ```ts
 * import { digitPicture } from "./images.ts";
 * import { openImage } from "../load/mnist.ts";
 *
 * const im3 = await openImage("data/mnist_sample/train/3/10000.png");
 * await Deno.writeFile("three.png", digitPicture(im3).png);
 * ```
 */
export function digitPicture(
  digit: Digit,
  options: DigitOptions = {},
): Picture {
  return digitGrid([digit], { scale: options.scale ?? 6 });
}

/**
 * Options of {@linkcode digitGrid}, {@linkcode captionedGrid} and
 * {@linkcode showImages}.
 *
 * @example Two rows of five
 * ```ts
 * import type { GridOptions } from "./images.ts";
 *
 * const options: GridOptions = { columns: 5, titles: ["3", "7", "3", "3", "7"] };
 * ```
 */
export interface GridOptions {
  /**
   * A caption above each digit, in order ({@linkcode captionedGrid} and
   * {@linkcode showImages} only).
   */
  readonly titles?: readonly string[];
  /** Digits per row. Default: all in one row, up to 10. */
  readonly columns?: number;
  /** Pixels per side of each digit pixel. Default 4: 112×112 for MNIST. */
  readonly scale?: number;
}

/** The digits, darkness per pixel, and the layout's columns. */
function layout(
  digits: readonly Digit[],
  options: GridOptions,
): { images: GrayImage[]; columns: number; scale: number } {
  if (digits.length === 0) {
    throw new ArgumentError("A grid of digits needs a digit: got none.");
  }
  const scale = checkScale(options.scale ?? 4);
  const titles = options.titles ?? [];
  if (titles.length > digits.length) {
    throw new ArgumentError(
      `${titles.length} titles for ${digits.length} digits: give one title ` +
        "per digit, or fewer.",
    );
  }
  const columns = Math.min(
    Math.max(1, Math.floor(options.columns ?? 10)),
    digits.length,
  );
  return { images: digits.map(darkness), columns, scale };
}

/** One line saying what a grid shows. */
function gridText(
  images: readonly GrayImage[],
  titles: readonly string[],
): string {
  const size = `${images[0].width}×${images[0].height}`;
  const captioned = titles.some((title) => title !== "");
  return images.length === 1
    ? `Digit ${size}${titles[0] ? `: ${titles[0]}` : ""}`
    : `${images.length} digits ${size}` +
      (captioned ? `: ${titles.join(", ")}` : "");
}

/**
 * Digits side by side as one picture, row by row, each in its light frame
 * and magnified (nearest neighbour), drawn without a browser. Captions need
 * one: see {@linkcode captionedGrid}.
 *
 * @throws {ShapeError} when a digit is not a square image.
 * @throws {ArgumentError} when there is no digit, or `scale` is not a whole
 * number ≥ 1.
 *
 * @example The first five 3s
 * ```ts
 * import { digitGrid } from "./images.ts";
 * import { getImageFiles, openImage } from "../load/mnist.ts";
 *
 * const files = getImageFiles("data/mnist_sample/train/3").slice(0, 5);
 * const grid = digitGrid(await Promise.all(files.map(openImage)));
 * console.log(grid.width, grid.height);
 * ```
 */
export function digitGrid(
  digits: readonly Digit[],
  options: Omit<GridOptions, "titles"> = {},
): Picture {
  const { images, columns, scale } = layout(digits, options);
  // Each column as wide as its widest digit, each row as tall as its
  // tallest, frames included.
  const widths = Array.from({ length: columns }, () => 0);
  const heights = Array.from(
    { length: Math.ceil(images.length / columns) },
    () => 0,
  );
  images.forEach((image, i) => {
    const column = i % columns, row = Math.floor(i / columns);
    widths[column] = Math.max(widths[column], image.width * scale + 2);
    heights[row] = Math.max(heights[row], image.height * scale + 2);
  });
  const offsets = (sizes: number[]) =>
    sizes.map((_, i) =>
      GAP + sizes.slice(0, i).reduce((sum, size) => sum + size + GAP, 0)
    );
  const lefts = offsets(widths), tops = offsets(heights);
  const page = canvas(
    lefts[columns - 1] + widths[columns - 1] + GAP,
    tops[tops.length - 1] + heights[heights.length - 1] + GAP,
  );
  images.forEach((image, i) => {
    const column = i % columns, row = Math.floor(i / columns);
    paste(
      page,
      image,
      Math.round(lefts[column] + widths[column] / 2 - image.width * scale / 2),
      tops[row] + 1,
      scale,
    );
  });
  return picture(page, gridText(images, []));
}

/** The width and height written in a PNG file's header. */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

/**
 * Digits side by side with a caption above each, as one picture: the
 * digits' images are made here (as {@linkcode digitGrid} makes them) and
 * laid out with their captions in a page of the browser that draws the
 * charts, whose screenshot is the picture; the digits' pixels stay exact.
 *
 * @throws {BrowserError} when no browser can draw the page.
 * @throws {ShapeError} when a digit is not a square image.
 * @throws {ArgumentError} when there is no digit, more titles than digits,
 * or `scale` is not a whole number ≥ 1.
 *
 * @example The two ideal digits
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { captionedGrid } from "./images.ts";
 *
 * const [mean3, mean7] = [tf.zeros([28, 28]), tf.ones([28, 28])];
 * const picture = await captionedGrid([mean3, mean7], { titles: ["mean 3", "mean 7"] });
 * tf.dispose([mean3, mean7]);
 * ```
 */
export async function captionedGrid(
  digits: readonly Digit[],
  options: GridOptions = {},
): Promise<Picture> {
  const { images, columns, scale } = layout(digits, options);
  const titles = options.titles ?? [];
  const captioned = titles.some((title) => title !== "");
  const cells = images.map((image, i) => {
    const framed = canvas(image.width * scale + 2, image.height * scale + 2);
    paste(framed, image, 1, 1, scale);
    const png = encodePng(framed.pixels, framed.width, framed.height);
    const caption = !captioned ? "" : `<div style="white-space:pre;` +
      `height:20px;margin-bottom:3px">${escapeHtml(titles[i] ?? "")}</div>`;
    return `<div style="text-align:center">${caption}` +
      `<img style="display:block;margin:0 auto" ` +
      `src="data:image/png;base64,${Buffer.from(png).toString("base64")}">` +
      `</div>`;
  });
  const html = `<div style="display:grid;` +
    `grid-template-columns:repeat(${columns},auto);gap:${GAP}px;` +
    `padding:${GAP}px;align-items:end;` +
    `font:16px/20px 'DejaVu Sans',Arial,sans-serif;color:#000">` +
    cells.join("") + "</div>";
  const png = await renderHtml(html);
  const [width, height] = pngSize(png);
  return { png, width, height, text: gridText(images, titles) };
}

/**
 * The lesson's table of pixel values: the block of rows `[start, end)` and
 * columns `[start, end)` of an image (like `im3[4:15, 4:22]` in Python), as
 * a plotly.js heat map whose cells are shaded from white (0) to black (255)
 * and each show their value (in white on the dark cells), with the row and
 * column numbers around them. {@linkcode show} draws it as a PNG, so that
 * GitHub shows it too.
 *
 * @throws {ArgumentError} when the block is not inside the image.
 *
 * @example The top of the lesson's 3
 * ```ts
 * import { pixelTable } from "./images.ts";
 * import { openImage } from "../load/mnist.ts";
 * import { show } from "./show.ts";
 *
 * const im3 = await openImage("data/mnist_sample/train/3/10000.png");
 * await show(pixelTable(im3, [4, 15], [4, 22]));
 * ```
 */
export function pixelTable(
  image: GrayImage,
  rows: readonly [number, number],
  cols: readonly [number, number],
): Figure {
  const [top, bottom] = rows, [left, right] = cols;
  if (
    !(0 <= top && top < bottom && bottom <= image.height) ||
    !(0 <= left && left < right && right <= image.width) ||
    ![top, bottom, left, right].every(Number.isInteger)
  ) {
    throw new ArgumentError(
      `pixelTable's block [${top}:${bottom}, ${left}:${right}] is not inside ` +
        `the ${image.width}×${image.height} image: give whole numbers, ` +
        "start < end, within the image.",
    );
  }
  const numbers = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => from + i);
  const z = numbers(top, bottom).map((r) =>
    numbers(left, right).map((c) => image.pixels[r * image.width + c])
  );
  const [cellWidth, cellHeight] = [36, 24];
  const axis = { dtick: 1, showgrid: false, zeroline: false, ticks: "" };
  return {
    data: [{
      type: "heatmap",
      x: numbers(left, right),
      y: numbers(top, bottom),
      z,
      zmin: 0,
      zmax: 255,
      colorscale: [[0, "#ffffff"], [1, "#000000"]],
      showscale: false,
      texttemplate: "%{z}",
      xgap: 1,
      ygap: 1,
      hovertemplate: "row %{y}, column %{x}: %{z}<extra></extra>",
    }],
    layout: {
      title: {
        text: `Pixel values of rows ${top}-${bottom - 1}, columns ` +
          `${left}-${right - 1}`,
        font: { size: 14 },
      },
      width: 40 + cellWidth * (right - left),
      height: 70 + cellHeight * (bottom - top),
      margin: { l: 36, r: 4, t: 66, b: 4 },
      xaxis: { ...axis, side: "top" },
      yaxis: { ...axis, autorange: "reversed" },
    },
  } as Figure;
}

/**
 * Shows digits with their captions: drawn by {@linkcode captionedGrid} when
 * a browser can, else by {@linkcode digitGrid}, the captions following as a
 * line of text. Outside a notebook, prints the line of text only.
 */
async function showCaptioned(
  digits: readonly Digit[],
  options: GridOptions & ShowOptions,
): Promise<void> {
  const titles = options.titles ?? [];
  const display = options.display ?? notebookDisplay();
  if (titles.every((title) => title === "") || display === undefined) {
    await show(digitGrid(digits, options), { ...options, display });
    return;
  }
  let captioned: Picture | undefined;
  try {
    captioned = await captionedGrid(digits, options);
  } catch (e) {
    withoutImage(e); // throws unless the error is the browser's
  }
  if (captioned !== undefined) {
    await show(captioned, { ...options, display });
    return;
  }
  const grid = digitGrid(digits, options);
  await show({ ...grid, text: `${grid.text}: ${titles.join(", ")}` }, {
    ...options,
    display,
  });
  const where = digits.length === 1 ? "Caption" : "Captions, left to right";
  await display({ "text/plain": `${where}: ${titles.join(" | ")}` }, {});
}

/**
 * Shows a digit, magnified, dark on white (see {@linkcode digitPicture}),
 * with its caption above it: the lesson's `show_image`.
 *
 * @throws {BrowserError} when a caption must be drawn, no browser can, and
 * images are required (`MNIST_REQUIRE_PNG=1`).
 * @throws {ShapeError} when the digit is not a square image.
 * @throws {ArgumentError} when `scale` is not a whole number ≥ 1.
 *
 * @example The mean 3
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { showImage } from "./images.ts";
 * import { stackFolder } from "../load/mnist.ts";
 *
 * const threes = await stackFolder("data/mnist_sample/train/3");
 * const mean3 = threes.mean(0);
 * await showImage(mean3, { title: "mean 3" });
 * tf.dispose([threes, mean3]);
 * ```
 */
export async function showImage(
  digit: Digit,
  options: DigitOptions & ShowOptions = {},
): Promise<void> {
  await showCaptioned([digit], {
    ...options,
    scale: options.scale ?? 6,
    titles: options.title === undefined ? [] : [options.title],
  });
}

/**
 * Shows digits side by side with their captions (see
 * {@linkcode captionedGrid} and {@linkcode digitGrid}).
 *
 * @throws {BrowserError} when captions must be drawn, no browser can, and
 * images are required (`MNIST_REQUIRE_PNG=1`).
 * @throws {ShapeError} when a digit is not a square image.
 * @throws {ArgumentError} when there is no digit, more titles than digits,
 * or `scale` is not a whole number ≥ 1.
 *
 * @example A 3 and a 7
 * ```ts
 * import { showImages } from "./images.ts";
 * import { openImage } from "../load/mnist.ts";
 *
 * const digits = await Promise.all([
 *   openImage("data/mnist_sample/train/3/10000.png"),
 *   openImage("data/mnist_sample/train/7/10002.png"),
 * ]);
 * await showImages(digits, { titles: ["3", "7"] });
 * ```
 */
export async function showImages(
  digits: readonly Digit[],
  options: GridOptions & ShowOptions = {},
): Promise<void> {
  await showCaptioned(digits, options);
}
