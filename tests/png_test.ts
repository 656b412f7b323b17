import assert from "node:assert/strict";
import { crc32, deflateSync } from "node:zlib";
import { decode, encode } from "fast-png";
import { ArgumentError, DataError, ShapeError } from "../lib/errors.ts";
import { decodePng, encodePng, pngSize } from "../lib/load/png.ts";

// PNG files are built here chunk by chunk, independently of lib/png.ts.

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface PngParts {
  readonly width: number;
  readonly height: number;
  /** Filtered scanlines, each starting with its filter type. */
  readonly scanlines: Uint8Array;
  readonly depth?: number;
  readonly colorType?: number;
  readonly extra?: readonly Uint8Array[]; // chunks before IDAT (PLTE, ...)
  readonly idatCount?: number; // split the zlib stream over this many IDATs
}

function png(parts: PngParts): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, parts.width);
  view.setUint32(4, parts.height);
  ihdr.set([parts.depth ?? 8, parts.colorType ?? 0, 0, 0, 0], 8);
  const z = deflateSync(parts.scanlines);
  const n = parts.idatCount ?? 1;
  const size = Math.ceil(z.length / n);
  const idats = Array.from(
    { length: n },
    (_, i) => chunk("IDAT", z.subarray(i * size, (i + 1) * size)),
  );
  return concat(
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    ...(parts.extra ?? []),
    ...idats,
    chunk("IEND", new Uint8Array(0)),
  );
}

/** Filters one row of gray bytes (1 byte per pixel) the way an encoder does. */
function filterRow(
  type: number,
  row: Uint8Array,
  above: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(row.length + 1);
  out[0] = type;
  for (let x = 0; x < row.length; x++) {
    const a = x > 0 ? row[x - 1] : 0,
      b = above[x],
      c = x > 0 ? above[x - 1] : 0;
    let predictor = 0;
    if (type === 1) predictor = a;
    if (type === 2) predictor = b;
    if (type === 3) predictor = Math.floor((a + b) / 2);
    if (type === 4) {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[x + 1] = (row[x] - predictor + 256) % 256;
  }
  return out;
}

/** An image of seeded pseudo-random gray levels, with runs of equal values so that Paeth's ties occur. */
function testImage(width: number, height: number): Uint8Array {
  let state = 12345;
  return Uint8Array.from({ length: width * height }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const r = state % 7;
    return r < 2 ? 0 : r < 3 ? 255 : r < 4 ? 128 : state % 256;
  });
}

function scanlines(
  pixels: Uint8Array,
  width: number,
  filters: number[],
): Uint8Array {
  const height = pixels.length / width;
  const rows: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    const above = y > 0
      ? pixels.subarray((y - 1) * width, y * width)
      : new Uint8Array(width);
    rows.push(filterRow(filters[y % filters.length], row, above));
  }
  return concat(...rows);
}

const filterNames = ["None", "Sub", "Up", "Average", "Paeth"];
for (const [type, filterName] of filterNames.entries()) {
  Deno.test(`decodePng undoes filter type ${type} (${filterName})`, () => {
    const pixels = testImage(28, 28);
    const file = png({
      width: 28,
      height: 28,
      scanlines: scanlines(pixels, 28, [type]),
    });
    const image = decodePng(file, "filter.png");
    assert.equal(image.width, 28);
    assert.equal(image.height, 28);
    assert.deepEqual(image.pixels, pixels);
  });
}

Deno.test("decodePng's Paeth filter breaks ties toward the left pixel, then the one above", () => {
  // Pixel (1, 1): left 80, above 110, above-left 100: left and above-left tie.
  // Pixel (1, 3): left 110, above 80, above-left 100: above and above-left tie.
  const pixels = new Uint8Array([100, 110, 100, 80, 80, 7, 110, 200]);
  const file = png({
    width: 4,
    height: 2,
    scanlines: scanlines(pixels, 4, [4]),
  });
  assert.deepEqual(decodePng(file, "ties.png").pixels, pixels);
});

Deno.test("decodePng undoes a different filter on every row, over several IDAT chunks", () => {
  const pixels = testImage(13, 11);
  const file = png({
    width: 13,
    height: 11,
    scanlines: scanlines(pixels, 13, [4, 0, 3, 1, 2, 4, 4]),
    idatCount: 3,
  });
  assert.deepEqual(decodePng(file, "mixed.png").pixels, pixels);
  assert.deepEqual(new Uint8Array(decode(file).data), pixels); // fast-png agrees
});

Deno.test("encodePng then decodePng gives the pixels back", () => {
  const pixels = testImage(28, 28);
  const file = encodePng(pixels, 28, 28);
  assert.deepEqual(decodePng(file, "round.png"), {
    width: 28,
    height: 28,
    pixels,
  });
  const other = decode(file); // and another decoder reads it as 8-bit gray
  assert.deepEqual([other.width, other.height, other.depth, other.channels], [
    28,
    28,
    8,
    1,
  ]);
  assert.deepEqual(new Uint8Array(other.data), pixels);
});

Deno.test("encodePng refuses pixels that do not fill width × height", () => {
  assert.throws(() => encodePng(new Uint8Array(27 * 28), 28, 28), ShapeError);
});

Deno.test("colour PNGs are turned to gray with the luma weights, ignoring alpha", () => {
  // One pixel each: red, green, blue, white, then mid-gray half transparent.
  const rgba = new Uint8Array([
    ...[255, 0, 0, 255],
    ...[0, 255, 0, 255],
    ...[0, 0, 255, 255],
    ...[255, 255, 255, 255],
    ...[100, 100, 100, 0],
  ]);
  const file = encode({
    width: 5,
    height: 1,
    data: rgba,
    depth: 8,
    channels: 4,
  });
  const gray = [76, 150, 29, 255, 100]; // 0.299·255, 0.587·255, 0.114·255 rounded
  assert.deepEqual([...decodePng(file, "rgba.png").pixels], gray);
  const rgb = rgba.filter((_, i) => i % 4 !== 3);
  const fileRgb = encode({
    width: 5,
    height: 1,
    data: rgb,
    depth: 8,
    channels: 3,
  });
  assert.deepEqual([...decodePng(fileRgb, "rgb.png").pixels], gray);
});

Deno.test("16-bit, gray + alpha, 2-bit and palette PNGs are read as 8-bit gray", () => {
  const sixteen = encode({
    width: 3,
    height: 1,
    data: new Uint16Array([0, 32896, 65535]),
    depth: 16,
    channels: 1,
  });
  assert.deepEqual([...decodePng(sixteen, "16.png").pixels], [0, 128, 255]);

  const grayAlpha = encode({
    width: 2,
    height: 1,
    data: new Uint8Array([10, 0, 200, 255]),
    depth: 8,
    channels: 2,
  });
  assert.deepEqual([...decodePng(grayAlpha, "ga.png").pixels], [10, 200]);

  // 2-bit gray, 5 pixels in a row (levels 0..3 → 0, 85, 170, 255), 2 rows.
  const twoBit = png({
    width: 5,
    height: 2,
    depth: 2,
    scanlines: new Uint8Array([
      0,
      0b00011011,
      0b11000000,
      0,
      0b11100100,
      0b01000000,
    ]),
  });
  assert.deepEqual(
    [...decodePng(twoBit, "2bit.png").pixels],
    [0, 85, 170, 255, 255, 255, 170, 85, 0, 85],
  );

  const palette = png({
    width: 3,
    height: 1,
    colorType: 3,
    extra: [chunk("PLTE", new Uint8Array([255, 255, 255, 0, 0, 0, 255, 0, 0]))],
    scanlines: new Uint8Array([0, 2, 0, 1]),
  });
  assert.deepEqual([...decodePng(palette, "pal.png").pixels], [76, 255, 0]);
});

Deno.test("interlaced PNGs are decoded by the general decoder", () => {
  const pixels = testImage(9, 7);
  const file = encode(
    { width: 9, height: 7, data: pixels, depth: 8, channels: 1 },
    { interlace: "Adam7" },
  );
  assert.equal(file[8 + 8 + 12], 1); // the IHDR's interlace byte
  assert.deepEqual(decodePng(file, "adam7.png").pixels, pixels);
});

function assertDataError(fn: () => unknown, ...words: string[]): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    for (const word of words) {
      assert.ok(e.message.includes(word), `"${e.message}" lacks "${word}"`);
    }
    return true;
  });
}

Deno.test("a file that is not a PNG is a DataError naming it", () => {
  const notPng = new TextEncoder().encode("<html>Not found</html>");
  assertDataError(
    () => decodePng(notPng, "train/3/bad.png"),
    "train/3/bad.png",
    "not a PNG",
  );
  assertDataError(() => decodePng(new Uint8Array(0), "empty.png"), "empty.png");
});

Deno.test("a truncated PNG is a DataError naming it", () => {
  const file = encodePng(testImage(28, 28), 28, 28);
  for (const length of [20, 40, file.length - 12, file.length - 1]) {
    assertDataError(
      () => decodePng(file.subarray(0, length), "cut.png"),
      "cut.png",
      "truncated",
    );
  }
});

Deno.test("a PNG whose image data do not inflate is a DataError naming it", () => {
  const scan = scanlines(testImage(28, 28), 28, [0]);
  const file = png({ width: 28, height: 28, scanlines: scan });
  const idat = file.indexOf(0x49, 33); // the "I" of "IDAT", after the IHDR chunk
  file.fill(0xff, idat + 6, idat + 30); // garbage inside the zlib stream
  assertDataError(() => decodePng(file, "garbled.png"), "garbled.png");
});

Deno.test("a PNG with too few rows or an unknown filter is a DataError naming it", () => {
  const scan = scanlines(testImage(28, 28), 28, [0]);
  const short = png({
    width: 28,
    height: 28,
    scanlines: scan.subarray(0, 27 * 29),
  });
  assertDataError(() => decodePng(short, "short.png"), "short.png");
  const badFilter = scan.slice();
  badFilter[29 * 5] = 9;
  const file = png({ width: 28, height: 28, scanlines: badFilter });
  assertDataError(
    () => decodePng(file, "filter9.png"),
    "filter9.png",
    "filter",
  );
});

Deno.test("a 20000×20000 PNG is refused from its header, before anything is inflated", () => {
  for (const colorType of [0, 2]) { // the fast path's gray, fast-png's colour
    // Its image data are a few bytes: decoding would fail differently.
    const file = png({
      width: 20000,
      height: 20000,
      colorType,
      scanlines: new Uint8Array(10),
    });
    const started = performance.now();
    assertDataError(
      () => decodePng(file, "huge.png"),
      "huge.png is 20000×20000 pixels",
      "16,777,216 (maxPixels)",
      "refused before decoding",
    );
    assert.ok(performance.now() - started < 100);
  }
});

Deno.test("a 28×28 PNG whose data inflate to 256 MB is stopped at the size its header allows", () => {
  // 256 MB of zeros deflate to about 250 kB: a decompression bomb.
  const bomb = new Uint8Array(256 * 1024 * 1024);
  for (const [colorType, allowed] of [[0, "812"], [2, "2,380"]] as const) {
    const file = png({ width: 28, height: 28, colorType, scanlines: bomb });
    assertDataError(
      () => decodePng(file, "train/3/bomb.png"),
      "train/3/bomb.png",
      `more than the ${allowed} bytes its header (28×28) allows`,
      "inflating was stopped there",
      "data/mnist_sample",
    );
  }
});

Deno.test("the inflating limit lets every interlaced or colour image of any size through", () => {
  for (const [w, h] of [[1, 1], [3, 5], [1, 20], [20, 1], [28, 28]]) {
    for (const channels of [1, 3, 4] as const) {
      for (const depth of [8, 16] as const) {
        const data = depth === 8
          ? new Uint8Array(w * h * channels).fill(200)
          : new Uint16Array(w * h * channels).fill(51400);
        for (const interlace of ["null", "Adam7"] as const) {
          const file = encode({ width: w, height: h, data, depth, channels }, {
            interlace,
          });
          const image = decodePng(file, `${w}x${h}.png`);
          assert.equal(image.pixels.length, w * h);
        }
      }
    }
  }
});

Deno.test("maxPixels sets the largest image decodePng decodes", () => {
  const file = encodePng(testImage(30, 30), 30, 30);
  assertDataError(
    () => decodePng(file, "30.png", { maxPixels: 28 * 28 }),
    "30.png is 30×30 pixels",
  );
  assert.equal(decodePng(file, "30.png", { maxPixels: 900 }).width, 30);
  assert.throws(
    () => decodePng(file, "30.png", { maxPixels: 0 }),
    ArgumentError,
  );
});

Deno.test("pngSize reads the size from the header alone", () => {
  const file = encodePng(testImage(30, 20), 30, 20);
  assert.deepEqual(pngSize(file.subarray(0, 33), "head.png"), {
    width: 30,
    height: 20,
  });
  assertDataError(() => pngSize(file.subarray(0, 20), "cut.png"), "cut.png");
});
