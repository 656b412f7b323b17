/**
 * Linear regression in closed form: {@linkcode leastSquares} finds, without
 * any gradient descent, the weights `w` that make `x·w` closest to `y` in
 * squared error.
 *
 * It solves the normal equations `(xᵀx + εI)·w = xᵀy` in double precision:
 * the Gram matrix `xᵀx` is summed row by row, skipping zero inputs (most
 * pixels of a digit are blank, so the lesson's 12,396 × 785 fit takes a
 * fifth of a second), then factored by Cholesky. TensorFlow.js has no
 * least-squares solver. A tiny ridge `ε` keeps the system solvable when some
 * input is always 0, such as a corner pixel: that weight comes out 0.
 *
 * The bias is not special here: append a column of ones to `x`, and its
 * weight is the intercept.
 *
 * @example The lesson's linear model fitted to 0/1 labels
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadMnistSample } from "./load/mnist.ts";
 * import { leastSquares } from "./regression.ts";
 *
 * const { train, valid } = await loadMnistSample("data/mnist_sample");
 * const withBias = (x: tf.Tensor2D): tf.Tensor2D =>
 *   tf.concat([x, tf.ones([x.shape[0], 1])], 1);
 * const xb = withBias(train.x);
 * const w = leastSquares(xb, train.y); // [785, 1]: 784 weights, then the bias
 * const accuracy = tf.tidy(() =>
 *   withBias(valid.x).matMul(w).greater(0.5).equal(valid.y.greater(0.5)).mean()
 * );
 * accuracy.print(); // about 0.984
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor2D } from "./tensors.ts";
import { ArgumentError, LessonError, ShapeError } from "./errors.ts";

/**
 * The least-squares solution of `x·w ≈ y`: the weights `w` (`[features,
 * outputs]`) minimizing the sum of squared errors `‖x·w - y‖²` plus
 * `ridge·‖w‖²`, for inputs `x` (`[n, features]`) and targets `y`
 * (`[n, outputs]`, one fit per column). The result is a new tensor that the
 * caller owns.
 *
 * `ridge` (ε) is added to the diagonal of `xᵀx`: keep it tiny to get plain
 * least squares (it only decides the weights of inputs that never vary);
 * larger values shrink the weights (ridge regression). With `ridge` 0, inputs
 * that depend linearly on each other are a `LessonError`.
 *
 * @throws {ShapeError} When `x` and `y` do not have as many rows.
 * @throws {ArgumentError} When `ridge` is negative or NaN.
 * @throws {LessonError} When the system cannot be solved (inputs that depend
 * linearly on each other, with `ridge` 0).
 *
 * @example A line through four points, with its intercept
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { leastSquares } from "./regression.ts";
 *
 * const x = tf.tensor2d([[0, 1], [1, 1], [2, 1], [3, 1]]); // t, and 1 for the bias
 * const y = tf.tensor2d([[1], [3], [2], [5]]);
 * const w = leastSquares(x, y);
 * w.print(); // [[1.1], [1.1]]: y ≈ 1.1·t + 1.1
 * tf.dispose([x, y, w]);
 * ```
 */
export function leastSquares(x: Tensor2D, y: Tensor2D, ridge = 1e-6): Tensor2D {
  if (x.rank !== 2 || y.rank !== 2 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(
      `leastSquares needs x [n, features] and y [n, outputs] with the same ` +
        `n; got x [${x.shape}] and y [${y.shape}]. Reshape them, for example ` +
        `y.reshape([-1, 1]).`,
    );
  }
  if (!(ridge >= 0)) {
    throw new ArgumentError(
      `leastSquares needs a ridge of 0 or more, such as 1e-6; got ${ridge}.`,
    );
  }
  const [n, d] = x.shape;
  const k = y.shape[1];
  const { gram, xty } = normalEquations(x.dataSync(), y.dataSync(), n, d, k);
  for (let i = 0; i < d; i++) gram[i * d + i] += ridge;
  choleskyInPlace(gram, d);
  const w = new Float32Array(d * k);
  const column = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) column[i] = xty[i * k + c];
    solveCholesky(gram, d, column);
    for (let i = 0; i < d; i++) w[i * k + c] = column[i];
  }
  return tf.tensor2d(w, [d, k]);
}

/**
 * `xᵀx` (`d × d`, both triangles) and `xᵀy` (`d × k`) in double precision.
 * Each row adds the products of its non-zero inputs only: with a fifth of
 * the pixels lit, that is 25 times less work than every pair.
 */
function normalEquations(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
): { gram: Float64Array; xty: Float64Array } {
  const gram = new Float64Array(d * d);
  const xty = new Float64Array(d * k);
  const at = new Int32Array(d); // the columns of a row's non-zero inputs
  const values = new Float64Array(d); // and their values
  for (let row = 0; row < n; row++) {
    let m = 0;
    for (let j = 0; j < d; j++) {
      const v = x[row * d + j];
      if (v !== 0) {
        at[m] = j;
        values[m++] = v;
      }
    }
    for (let p = 0; p < m; p++) {
      const v = values[p];
      const base = at[p] * d;
      for (let q = p; q < m; q++) gram[base + at[q]] += v * values[q];
      for (let c = 0; c < k; c++) xty[at[p] * k + c] += v * y[row * k + c];
    }
  }
  for (let i = 0; i < d; i++) { // the lower triangle mirrors the upper one
    for (let j = 0; j < i; j++) gram[i * d + j] = gram[j * d + i];
  }
  return { gram, xty };
}

/**
 * Replaces the lower triangle of the symmetric positive definite `a`
 * (`d × d`) with `L`, where `a = L·Lᵀ` (Cholesky–Banachiewicz, row by row,
 * so that the inner sums run along contiguous rows).
 */
function choleskyInPlace(a: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    const rowI = i * d;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * d;
      let sum = a[rowI + j];
      for (let m = 0; m < j; m++) sum -= a[rowI + m] * a[rowJ + m];
      if (i > j) {
        a[rowI + j] = sum / a[rowJ + j];
      } else if (sum > 0) {
        a[rowI + i] = Math.sqrt(sum);
      } else {
        throw new LessonError(
          `leastSquares cannot solve for weight ${i}: the inputs depend ` +
            `linearly on each other (for example an input that is 0 in ` +
            `every row, or two equal columns). Pass a small ridge, such as ` +
            `the default 1e-6, to pick the smallest such weights.`,
        );
      }
    }
  }
}

/** Solves `L·Lᵀ·w = b` in place (`b` becomes `w`), `L` from choleskyInPlace. */
function solveCholesky(l: Float64Array, d: number, b: Float64Array): void {
  for (let i = 0; i < d; i++) { // L·z = b, forwards
    let sum = b[i];
    for (let m = 0; m < i; m++) sum -= l[i * d + m] * b[m];
    b[i] = sum / l[i * d + i];
  }
  for (let i = d - 1; i >= 0; i--) { // Lᵀ·w = z, backwards
    let sum = b[i];
    for (let m = i + 1; m < d; m++) sum -= l[m * d + i] * b[m];
    b[i] = sum / l[i * d + i];
  }
}
