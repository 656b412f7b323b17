/**
 * Assertions and reference values that several test files share.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Asserts that two lists of numbers agree element by element, within
 * `tolerance` (relative to the expected value when it is above 1).
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const gap = Math.abs(actual[i] - expected[i]);
    assert.ok(
      gap <= tolerance * Math.max(1, Math.abs(expected[i])),
      `element ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}

/**
 * The index of the first float32 whose bits differ between `a` and `b` (so
 * `-0` differs from `0`, and a NaN from another NaN's bits), or -1 when all
 * are the same.
 */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [new Uint32Array(a.buffer), new Uint32Array(b.buffer)];
  assert.equal(x.length, y.length);
  return x.findIndex((bits, i) => bits !== y[i]);
}

/** The pixels of the lesson's `train/3/10000.png`, rows 4 to 9, columns 4 to 9. */
export const lessonBlock: readonly (readonly number[])[] = [
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 29],
  [0, 0, 0, 48, 166, 224],
  [0, 93, 244, 249, 253, 187],
  [0, 107, 253, 253, 230, 48],
  [0, 3, 20, 20, 15, 0],
];
