/**
 * All ten digits as tensors: what both ten-digit loaders return
 * ({@linkcode TenDigits}: a training and a validation split, images
 * `[n, 784]` in 0..1 and integer labels 0 to 9), and the seeded split per
 * digit that the npm set uses ({@linkcode splitPerDigit}).
 *
 * Images arrive here as gray levels (0..255, 784 bytes per image, one array
 * per digit) and become floats `level / 255`, the same float32 values as
 * `loadMnistSample` makes, in plain TensorFlow.js.
 *
 * @example A split of 5 and 3 images, a fifth kept for validation
 * ```ts
 * import { splitPerDigit } from "./digits.ts";
 *
 * const { train, valid } = splitPerDigit([5, 3]);
 * console.log(train.map((rows) => rows.length), valid.map((rows) => rows.length)); // [4, 2] [1, 1]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor2D } from "../tensors.ts";
import { ArgumentError } from "../errors.ts";
import { Random } from "../random.ts";

/** Pixels per image: 28 × 28. */
const AREA = 28 * 28;

/**
 * Images and their labels: `x` is `[n, 784]` (one flattened 28×28 image per
 * row, 0..1), `y` is `[n, 1]`, each row's digit, a whole number from 0 to 9.
 *
 * @example Free a split's tensors
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { LabelledDigits } from "./digits.ts";
 *
 * const free = (split: LabelledDigits) => tf.dispose([split.x, split.y]);
 * ```
 */
export interface LabelledDigits {
  /** The images, one flattened image (784 values in 0..1) per row. */
  readonly x: Tensor2D;
  /** The labels, one per row: the digit, 0 to 9. */
  readonly y: Tensor2D;
}

/**
 * The ten digits, split for training and validation.
 *
 * @example Row counts
 * ```ts
 * import type { TenDigits } from "./digits.ts";
 *
 * const rows = (data: TenDigits) => [data.train.x.shape[0], data.valid.x.shape[0]];
 * ```
 */
export interface TenDigits {
  /** The images to learn from, digit after digit (0s first). */
  readonly train: LabelledDigits;
  /** The images to measure on, never learned from, digit after digit. */
  readonly valid: LabelledDigits;
}

/**
 * Which images of each digit go to training and which to validation: for
 * each digit in turn, its `counts[d]` images in a seeded random order, the
 * first `round(count × validShare)` for validation, the rest for training,
 * each list then sorted. The same `seed` gives the same split every run
 * (it does not depend on `setSeed`), and every digit keeps its share in
 * both splits.
 *
 * @throws {ArgumentError} When a count is not a whole number of at least 0,
 * or `validShare` is not between 0 and 1.
 *
 * @example A fifth of each digit for validation
 * ```ts
 * import { splitPerDigit } from "./digits.ts";
 *
 * const { valid } = splitPerDigit([1001, 1127], { seed: 42 });
 * console.log(valid.map((rows) => rows.length)); // [200, 225]
 * ```
 */
export function splitPerDigit(
  counts: readonly number[],
  options: { readonly validShare?: number; readonly seed?: number } = {},
): { train: number[][]; valid: number[][] } {
  const { validShare = 0.2, seed = 42 } = options;
  if (!(validShare >= 0 && validShare <= 1)) {
    throw new ArgumentError(
      `validShare must be a number from 0 to 1, such as 0.2; got ${validShare}.`,
    );
  }
  const random = new Random(seed);
  const train: number[][] = [];
  const valid: number[][] = [];
  counts.forEach((count, digit) => {
    if (!Number.isInteger(count) || count < 0) {
      throw new ArgumentError(
        `splitPerDigit needs whole numbers of images; digit ${digit} has ` +
          `${count}.`,
      );
    }
    const order = random.shuffle([...Array(count).keys()]);
    const cut = Math.round(count * validShare);
    valid.push(order.slice(0, cut).sort((a, b) => a - b));
    train.push(order.slice(cut).sort((a, b) => a - b));
  });
  return { train, valid };
}

/**
 * Images and labels from each digit's gray levels (`levels[d]`, 784 per
 * image): the images at `rows[d]` of each digit in turn, 0s first, scaled
 * to 0..1. The caller owns the two tensors.
 *
 * @example Two digits, one image each
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { digitsTensors } from "./digits.ts";
 *
 * const levels = [new Uint8Array(784), new Uint8Array(784).fill(255)];
 * const { x, y } = digitsTensors(levels, [[0], [0]]);
 * console.log(x.shape, [...y.dataSync()]); // [2, 784] [0, 1]
 * tf.dispose([x, y]);
 * ```
 */
export function digitsTensors(
  levels: readonly Uint8Array[],
  rows: readonly (readonly number[])[],
): LabelledDigits {
  const n = rows.reduce((total, r) => total + r.length, 0);
  const x = new Float32Array(n * AREA);
  const y = new Float32Array(n);
  let at = 0;
  rows.forEach((indices, digit) => {
    for (const row of indices) {
      const image = levels[digit].subarray(row * AREA, (row + 1) * AREA);
      for (let i = 0; i < AREA; i++) x[at * AREA + i] = image[i] / 255;
      y[at++] = digit;
    }
  });
  return { x: tf.tensor2d(x, [n, AREA]), y: tf.tensor2d(y, [n, 1]) };
}
