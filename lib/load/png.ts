/**
 * PNG images as grids of gray levels: {@linkcode decodePng} reads any PNG
 * into one byte per pixel (0 = black, 255 = white), {@linkcode encodePng}
 * writes 8-bit grayscale PNGs.
 *
 * The MNIST files are 8-bit grayscale, not interlaced: those are decoded by
 * a fast path (`node:zlib` and a few lines of unfiltering). Every other PNG
 * goes through `fast-png`, and its colours are turned into gray levels.
 *
 * Why the fast path stays hand-written: the target for a cold load of the
 * 14,434 MNIST_SAMPLE digits is half of PyTorch/PIL's 1.1 s, 0.55 s.
 * Measured on 2026-11-29 on this project's 2-core machine while it was busy
 * (load average 6 to 15, so noisy), in two runs of five interleaved rounds:
 * decoding the files already in memory took 0.12 to 0.45 s (medians 0.22 and
 * 0.14 s) here, and 0.80 to 2.1 s (medians 1.6 and 0.95 s) with fast-png
 * 8.0's `decode`; reading and decoding them as `stackFolder` does took 0.33
 * to 0.60 s (medians 0.35 and 0.39 s) here, and 1.0 to 2.6 s (medians 1.3 and
 * 1.1 s) with fast-png. fast-png misses the target even at its best.
 *
 * Every PNG's size is read from its header first: an image of more than
 * `maxPixels` pixels (16,777,216 by default, 4096 × 4096) is refused before
 * anything is inflated, and inflating stops at the size that header allows
 * (a small file can hide gigabytes of zeros).
 *
 * @example Read a digit, write it back
 * ```ts
 * import { decodePng, encodePng } from "./png.ts";
 *
 * const name = "data/mnist_sample/train/3/10000.png";
 * const image = decodePng(await Deno.readFile(name), name);
 * console.log(image.width, image.height, image.pixels[4 * 28 + 9]); // 28 28 29
 * await Deno.writeFile("copy.png", encodePng(image.pixels, 28, 28));
 * ```
 *
 * @module
 */
import { inflateSync } from "node:zlib";
import { convertIndexedToRgb, decode, type DecodedPng, encode } from "fast-png";
import { ArgumentError, DataError, ShapeError } from "../errors.ts";

/**
 * A grayscale image: `pixels[row * width + column]`, 0 (black) to 255 (white).
 *
 * @example The pixel in row 4, column 9
 * ```ts
 * import type { GrayImage } from "./png.ts";
 *
 * const at = (im: GrayImage, row: number, col: number) => im.pixels[row * im.width + col];
 * console.log(at({ width: 2, height: 1, pixels: new Uint8Array([0, 255]) }, 0, 1)); // 255
 * ```
 */
export interface GrayImage {
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** The gray levels, row after row. */
  readonly pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const IHDR = 0x49484452, IDAT = 0x49444154, IEND = 0x49454e44; // chunk types

function damaged(name: string, what: string): DataError {
  return new DataError(
    `${name} is not a readable PNG image: ${what}. The file is damaged: ` +
      "extract or download it again (for the data set, delete " +
      "data/mnist_sample and run untarData again).",
  );
}

/**
 * The default of {@linkcode DecodeOptions.maxPixels}: 4096 × 4096.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_PIXELS } from "./png.ts";
 *
 * console.log(DEFAULT_MAX_PIXELS); // 16777216
 * ```
 */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/**
 * Options of {@linkcode decodePng}.
 *
 * @example Allow images up to 8192 × 8192
 * ```ts
 * import type { DecodeOptions } from "./png.ts";
 *
 * const options: DecodeOptions = { maxPixels: 8192 * 8192 };
 * ```
 */
export interface DecodeOptions {
  /**
   * The most pixels (width × height) an image may have; a bigger one is
   * refused from its header, before it is decoded. Default:
   * {@linkcode DEFAULT_MAX_PIXELS}, 16,777,216.
   */
  readonly maxPixels?: number;
}

/**
 * The width and height of a PNG image, read from its header (its first
 * chunk, IHDR) without decoding it.
 *
 * @throws {DataError} The file is not a PNG or its header is malformed.
 *
 * @example Check a digit's size before decoding it
 * ```ts
 * import { pngSize } from "./png.ts";
 *
 * const name = "digit.png";
 * const { width, height } = pngSize(await Deno.readFile(name), name);
 * console.log(width === 28 && height === 28);
 * ```
 */
export function pngSize(
  bytes: Uint8Array,
  name: string,
): { readonly width: number; readonly height: number } {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new DataError(
      `${name} is not a PNG file (it does not start with the PNG ` +
        "signature): replace it with a PNG image, or remove it from the folder.",
    );
  }
  if (bytes.length < 8 + 8 + 13 + 4) throw damaged(name, "it is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || view.getUint32(12) !== IHDR) {
    throw damaged(name, "it does not start with an IHDR chunk");
  }
  const width = view.getUint32(16), height = view.getUint32(20);
  if (width === 0 || height === 0) {
    throw damaged(name, `its header gives a size of ${width}×${height}`);
  }
  return { width, height };
}

/**
 * Decodes a PNG file into gray levels, one byte per pixel.
 *
 * `name` is how errors refer to the file. Colour images are turned to gray
 * with the luma weights (0.299 R + 0.587 G + 0.114 B); alpha is ignored;
 * 16-bit samples are rounded to 8 bits. The size is checked first, from the
 * header. (Chunk CRCs are not checked on the fast path: zlib's own checksum
 * guards the image data.)
 *
 * @throws {DataError} The file is not a PNG, is truncated, its compressed
 * data are damaged, or it has more than `maxPixels` pixels.
 * @throws {ArgumentError} `maxPixels` is not a positive number.
 *
 * @example Decode a file
 * ```ts
 * import { decodePng } from "./png.ts";
 *
 * const name = "digit.png";
 * const { width, height, pixels } = decodePng(await Deno.readFile(name), name);
 * console.log(width * height === pixels.length); // true
 * ```
 */
export function decodePng(
  bytes: Uint8Array,
  name: string,
  options: DecodeOptions = {},
): GrayImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) {
    throw new ArgumentError(
      `decodePng's maxPixels must be a positive number; got ${maxPixels}.`,
    );
  }
  const size = pngSize(bytes, name);
  if (size.width * size.height > maxPixels) {
    throw new DataError(
      `${name} is ${size.width}×${size.height} pixels, more than the ` +
        `${maxPixels.toLocaleString("en-US")} (maxPixels) that decodePng ` +
        "decodes: it was refused before decoding. Use a smaller image, or " +
        "raise maxPixels if it is really wanted.",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, depth = 0, colorType = 0, interlace = 0;
  let at = 8;
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) throw damaged(name, "it is truncated");
    const length = view.getUint32(at);
    const type = view.getUint32(at + 4); // four ASCII letters
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > bytes.length) {
      const chunk = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      throw damaged(name, `it is truncated inside its ${chunk} chunk`);
    }
    if (type === IHDR) {
      if (length !== 13) throw damaged(name, "its IHDR chunk is malformed");
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      [depth, colorType] = [data[8], data[9]];
      interlace = data[12];
    } else if (type === IDAT) {
      idat.push(data);
    } else if (type === IEND) {
      ended = true;
    }
    at += 12 + length;
  }
  if (width === 0 || height === 0) throw damaged(name, "it has no IHDR chunk");
  if (depth !== 8 || colorType !== 0 || interlace !== 0) {
    // fast-png inflates without a limit: check the data fit the header first.
    const limit = inflatedLimit(width, height, depth, colorType, interlace);
    inflateAtMost(idat, limit, width, height, name);
    return decodeOther(bytes, name);
  }

  const raw = inflateAtMost(idat, height * (width + 1), width, height, name);
  if (raw.length !== height * (width + 1)) {
    throw damaged(
      name,
      `its image data hold ${raw.length} bytes, not ${height * (width + 1)}`,
    );
  }
  return { width, height, pixels: unfilter(raw, width, height, name) };
}

/**
 * Inflates the image data, stopping at `limit` bytes (one byte more is
 * allowed, so that data longer than the header allows are seen as such).
 * Without the limit, a small file whose header says 28×28 could inflate to
 * gigabytes before its size were checked.
 */
function inflateAtMost(
  idat: readonly Uint8Array[],
  limit: number,
  width: number,
  height: number,
  name: string,
): Uint8Array {
  try {
    return inflateSync(idat.length === 1 ? idat[0] : concat(idat), {
      maxOutputLength: limit + 1,
    });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw damaged(
        name,
        `its image data inflate to more than the ${
          limit.toLocaleString("en-US")
        } ` +
          `bytes its header (${width}×${height}) allows; inflating was stopped there`,
      );
    }
    throw damaged(
      name,
      `its image data do not inflate (${(e as Error).message})`,
    );
  }
}

/**
 * The most bytes the image data of a PNG with this header may inflate to:
 * each row is a filter byte and its samples; an interlaced image has up to
 * seven passes, each with its own rows (so at most 15 rows per 8, with a
 * filter byte each, plus one row per pass of rounding).
 */
function inflatedLimit(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  interlace: number,
): number {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType] ?? 4;
  const rowBytes = Math.ceil((width * channels * Math.max(depth, 1)) / 8);
  if (interlace === 0) return height * (rowBytes + 1);
  return (2 * height + 7) * (rowBytes + 1);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Undoes the PNG filters of 8-bit gray rows: each row starts with its filter type. */
function unfilter(
  raw: Uint8Array,
  width: number,
  height: number,
  name: string,
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const i = y * (width + 1) + 1; // this row's filtered bytes: raw[i + x]
    const o = y * width; // this row's pixels: out[o + x]
    const u = o - width; // the row above: out[u + x], when y > 0
    // Predictors: a = left, b = above, c = above left (0 outside the image).
    if (filter === 0) {
      for (let x = 0; x < width; x++) out[o + x] = raw[i + x];
    } else if (filter === 1) {
      for (let x = 0, a = 0; x < width; x++) {
        a = out[o + x] = (raw[i + x] + a) & 0xff;
      }
    } else if (filter === 2) {
      for (let x = 0; x < width; x++) {
        out[o + x] = (raw[i + x] + (y > 0 ? out[u + x] : 0)) & 0xff;
      }
    } else if (filter === 3) {
      for (let x = 0, a = 0; x < width; x++) {
        const b = y > 0 ? out[u + x] : 0;
        a = out[o + x] = (raw[i + x] + ((a + b) >> 1)) & 0xff;
      }
    } else if (filter === 4) {
      for (let x = 0, a = 0, c = 0; x < width; x++) {
        const b = y > 0 ? out[u + x] : 0;
        // Paeth: the neighbour closest to a + b - c, ties to a, then b.
        const pa = Math.abs(b - c), pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        const predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        a = out[o + x] = (raw[i + x] + predicted) & 0xff;
        c = b;
      }
    } else {
      throw damaged(name, `row ${y} has an unknown filter type ${filter}`);
    }
  }
  return out;
}

/** Any other PNG, through fast-png, turned to gray levels. */
function decodeOther(bytes: Uint8Array, name: string): GrayImage {
  let png: DecodedPng;
  try {
    png = decode(bytes);
  } catch (e) {
    throw damaged(name, (e as Error).message);
  }
  const { width, height } = png;
  let samples: ArrayLike<number> = png.data;
  let channels = png.channels;
  let max = 2 ** png.depth - 1;
  if (png.palette !== undefined) {
    samples = convertIndexedToRgb(png);
    channels = png.palette[0].length;
    max = 255;
  } else if (png.depth < 8) {
    samples = unpackBits(png.data, png.depth, width, height);
  }
  const pixels = new Uint8Array(width * height);
  const scale = 255 / max;
  for (let i = 0; i < pixels.length; i++) {
    const s = i * channels;
    const level = channels >= 3 // RGB or RGBA; else gray or gray + alpha
      ? 0.299 * samples[s] + 0.587 * samples[s + 1] + 0.114 * samples[s + 2]
      : samples[s];
    pixels[i] = Math.round(level * scale);
  }
  return { width, height, pixels };
}

/** Gray samples of 1, 2 or 4 bits, packed in bytes row by row, one per entry. */
function unpackBits(
  data: ArrayLike<number>,
  depth: number,
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * Encodes gray levels (one byte per pixel, row after row) as an 8-bit
 * grayscale PNG file. Throws a `ShapeError` when `pixels` does not hold
 * `width × height` values.
 *
 * @throws {ShapeError} `pixels` does not hold `width × height` values.
 *
 * @example A 2×2 checkerboard
 * ```ts
 * import { encodePng } from "./png.ts";
 *
 * const png = encodePng(new Uint8Array([0, 255, 255, 0]), 2, 2);
 * await Deno.writeFile("checkers.png", png);
 * ```
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
): Uint8Array {
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 ||
    height <= 0 || pixels.length !== width * height
  ) {
    throw new ShapeError(
      `encodePng needs width × height pixels: got ${pixels.length} pixels ` +
        `for ${width} × ${height}; pass the image's own width and height.`,
    );
  }
  return encode({ width, height, data: pixels, depth: 8, channels: 1 });
}
