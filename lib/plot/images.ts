/**
 * Pictures of digits, drawn as PNG images without a browser:
 * {@linkcode showImage} shows one digit, {@linkcode showImages} a grid with
 * captions, and {@linkcode pixelTable} the lesson's table of pixel values,
 * each cell shaded by its value. {@linkcode digitPicture} and
 * {@linkcode digitGrid} build the pictures without showing them.
 *
 * Digits are drawn as the lesson draws them: dark strokes on white, from
 * white for 0 to black for the highest value (255 in a PNG file, 1 in the
 * tensors of `mnist.ts`), each pixel magnified into a square so that it can
 * be seen. Captions use the small bitmap font of `font.ts`.
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
import "../fast/backend.ts";
import type { Tensor } from "../fast/backend.ts";
import { ShapeError } from "../errors.ts";
import { drawText, GLYPH_HEIGHT, textWidth } from "./font.ts";
import { encodePng, type GrayImage } from "../load/png.ts";
import { type Picture, show, type ShowOptions } from "./show.ts";

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

/** Scale of captions: 10×16-pixel letters. */
const TEXT_SCALE = 2;
const TEXT_HEIGHT = GLYPH_HEIGHT * TEXT_SCALE;
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
    throw new RangeError(
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
  /** A caption above the digit. */
  readonly title?: string;
  /** Pixels per side of each digit pixel. Default 6: 168×168 for MNIST. */
  readonly scale?: number;
}

/**
 * A digit as a picture: magnified `scale` times (nearest neighbour), dark
 * strokes on white, in a light frame, with an optional caption above.
 *
 * @example Save a digit as a PNG file
 * ```ts
 * import { digitPicture } from "./images.ts";
 * import { openImage } from "../load/mnist.ts";
 *
 * const im3 = await openImage("data/mnist_sample/train/3/10000.png");
 * const picture = digitPicture(im3, { title: "a 3" });
 * await Deno.writeFile("three.png", picture.png);
 * ```
 */
export function digitPicture(
  digit: Digit,
  options: DigitOptions = {},
): Picture {
  return digitGrid([digit], {
    scale: options.scale ?? 6,
    ...(options.title === undefined ? {} : { titles: [options.title] }),
  });
}

/**
 * Options of {@linkcode digitGrid} and {@linkcode showImages}.
 *
 * @example Two rows of five
 * ```ts
 * import type { GridOptions } from "./images.ts";
 *
 * const options: GridOptions = { columns: 5, titles: ["3", "7", "3", "3", "7"] };
 * ```
 */
export interface GridOptions {
  /** A caption above each digit, in order. */
  readonly titles?: readonly string[];
  /** Digits per row. Default: all in one row, up to 10. */
  readonly columns?: number;
  /** Pixels per side of each digit pixel. Default 4: 112×112 for MNIST. */
  readonly scale?: number;
}

/**
 * Digits side by side as one picture, row by row, each with its caption
 * above it; a column is as wide as its widest digit or caption.
 *
 * @example The first five 3s
 * ```ts
 * import { digitGrid } from "./images.ts";
 * import { getImageFiles, openImage } from "../load/mnist.ts";
 *
 * const files = getImageFiles("data/mnist_sample/train/3").slice(0, 5);
 * const digits = await Promise.all(files.map(openImage));
 * const grid = digitGrid(digits, { titles: files.map((f) => f.split("/").pop()!) });
 * console.log(grid.width, grid.height);
 * ```
 */
export function digitGrid(
  digits: readonly Digit[],
  options: GridOptions = {},
): Picture {
  if (digits.length === 0) throw new RangeError("digitGrid needs a digit.");
  const scale = checkScale(options.scale ?? 4);
  const titles = options.titles ?? [];
  if (titles.length > digits.length) {
    throw new RangeError(
      `${titles.length} titles for ${digits.length} digits: give one title ` +
        "per digit, or fewer.",
    );
  }
  const columns = Math.min(
    Math.max(1, Math.floor(options.columns ?? 10)),
    digits.length,
  );
  const images = digits.map(darkness);
  const captioned = titles.some((title) => title !== "");
  // Cell sizes: each column as wide as its widest digit or caption (plus
  // the frame), each row as tall as its tallest digit, and its captions.
  const cellWidths = Array.from({ length: columns }, () => 0);
  const cellHeights = Array.from(
    { length: Math.ceil(images.length / columns) },
    () => 0,
  );
  images.forEach((image, i) => {
    const column = i % columns, row = Math.floor(i / columns);
    cellWidths[column] = Math.max(
      cellWidths[column],
      image.width * scale + 2,
      textWidth(titles[i] ?? "", TEXT_SCALE),
    );
    cellHeights[row] = Math.max(cellHeights[row], image.height * scale + 2);
  });
  const captionHeight = captioned ? TEXT_HEIGHT + GAP / 2 : 0;
  const lefts = cellWidths.map((_, c) =>
    GAP + cellWidths.slice(0, c).reduce((a, w) => a + w + GAP, 0)
  );
  const tops = cellHeights.map((_, r) =>
    GAP +
    cellHeights.slice(0, r).reduce((a, h) => a + h + captionHeight + GAP, 0)
  );
  const page = canvas(
    lefts[columns - 1] + cellWidths[columns - 1] + GAP,
    tops[tops.length - 1] + captionHeight +
      cellHeights[cellHeights.length - 1] +
      GAP,
  );
  images.forEach((image, i) => {
    const column = i % columns, row = Math.floor(i / columns);
    const title = titles[i] ?? "";
    const middle = lefts[column] + cellWidths[column] / 2;
    drawText(
      page,
      title,
      Math.round(middle - textWidth(title, TEXT_SCALE) / 2),
      tops[row],
      { scale: TEXT_SCALE },
    );
    paste(
      page,
      image,
      Math.round(middle - image.width * scale / 2),
      tops[row] + captionHeight + 1,
      scale,
    );
  });
  const size = `${images[0].width}×${images[0].height}`;
  const text = digits.length === 1
    ? `Digit ${size}${titles[0] ? `: ${titles[0]}` : ""}`
    : `${digits.length} digits ${size}` +
      (captioned ? `: ${titles.join(", ")}` : "");
  return picture(page, text);
}

/**
 * The lesson's table of pixel values: the block of rows `[start, end)` and
 * columns `[start, end)` of an image (like `im3[4:15, 4:22]` in Python),
 * each value written in a cell shaded from white (0) to black (255), in
 * white on the dark cells, with row and column numbers around it. A PNG, so
 * that GitHub shows it too.
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
): Picture {
  const [top, bottom] = rows, [left, right] = cols;
  if (
    !(0 <= top && top < bottom && bottom <= image.height) ||
    !(0 <= left && left < right && right <= image.width) ||
    ![top, bottom, left, right].every(Number.isInteger)
  ) {
    throw new RangeError(
      `pixelTable's block [${top}:${bottom}, ${left}:${right}] is not inside ` +
        `the ${image.width}×${image.height} image: give whole numbers, ` +
        "start < end, within the image.",
    );
  }
  const cellWidth = textWidth("255", TEXT_SCALE) + 2 * GAP;
  const cellHeight = TEXT_HEIGHT + GAP;
  const nRows = bottom - top, nCols = right - left;
  const page = canvas((nCols + 1) * cellWidth, (nRows + 1) * cellHeight);
  const write = (text: string, cellX: number, cellY: number, ink: number) =>
    drawText(
      page,
      text,
      cellX + cellWidth - GAP - textWidth(text, TEXT_SCALE), // right-aligned
      cellY + GAP / 2,
      { scale: TEXT_SCALE, ink },
    );
  const HEADER_INK = 110;
  for (let c = 0; c < nCols; c++) {
    write(String(left + c), (c + 1) * cellWidth, 0, HEADER_INK);
  }
  for (let r = 0; r < nRows; r++) {
    const y = (r + 1) * cellHeight;
    write(String(top + r), 0, y, HEADER_INK);
    for (let c = 0; c < nCols; c++) {
      const value = image.pixels[(top + r) * image.width + left + c];
      const x = (c + 1) * cellWidth;
      // The cell, less a one-pixel white line on its right and bottom.
      for (let dy = 0; dy < cellHeight - 1; dy++) {
        const at = (y + dy) * page.width + x;
        page.pixels.fill(255 - value, at, at + cellWidth - 1);
      }
      write(String(value), x, y, value >= 128 ? 255 : 0);
    }
  }
  return picture(
    page,
    `Pixel values of rows ${top}-${bottom - 1}, columns ${left}-${
      right - 1
    }, shaded from white (0) to black (255)`,
  );
}

/**
 * Shows a digit, magnified, dark on white (see {@linkcode digitPicture}):
 * the lesson's `show_image`.
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
  await show(digitPicture(digit, options), options);
}

/**
 * Shows digits side by side with their captions (see {@linkcode digitGrid}).
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
  await show(digitGrid(digits, options), options);
}
