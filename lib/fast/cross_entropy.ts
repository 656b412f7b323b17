/**
 * The speed piece `crossEntropyGradient`: the ten digits' loss (the mean of
 * `log Σ e^s − s[label]` over the rows, as `tf.losses.softmaxCrossEntropy`
 * of one-hot labels computes it) in one step of the engine, with its
 * gradient `(softmax(s) − onehot(label)) / n` written out by hand.
 *
 * TensorFlow.js's way takes 46 operations of the engine per training step
 * of a batch of 256 rows (`deno task ops`): the one-hot labels, the
 * log-sum-exp, the mean, each recorded on the gradient tape with the copies
 * it keeps, then their gradients, one of which (the labels') nobody needs.
 * Each costs a few microseconds for a batch of only 2,560 numbers. Here the
 * same float32 arithmetic runs in loops over the numbers read with
 * `dataSync`, in the order TensorFlow.js's `wasm` kernels add them, and the
 * exponentials and logarithms are computed by the backend's own `Exp` and
 * `Log` kernels: the loss and its gradient are the same bits as
 * TensorFlow.js's (`tests/cross_entropy_fast_test.ts` checks it), in 3
 * operations.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastCrossEntropy } from "./cross_entropy.ts";
 *
 * const scores = tf.tensor2d([[5, 0, 0], [0, 5, 0]]);
 * const plain = () =>
 *   tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 0], "int32"), 3), scores);
 * const loss = fastCrossEntropy(scores, [0, 0]) ?? plain();
 * loss.print(); // 2.5133
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setHooks } from "../hooks.ts";
import { fastPieces } from "./speed.ts";

const { fround } = Math;

/** The backend's `Exp` (or `Log`) of `values`, as a tensor of `shape` would. */
function kernelOf(
  kernel: (t: tf.Tensor) => tf.Tensor,
  values: Float32Array,
  shape: number[],
): Float32Array {
  // Not in a tidy: it would walk the returned array, number by number.
  const input = tf.tensor(values, shape, "float32");
  const output = kernel(input);
  const result = output.dataSync() as Float32Array;
  tf.dispose([input, output]);
  return result;
}

/**
 * The loss of `scores` `[n, c]` (finite float32) against `labels` (whole
 * numbers from 0 to `c − 1`), value and gradient, as TensorFlow.js's
 * `softmaxCrossEntropy` computes them on `wasm`, step by step:
 * `m = max(s)`, `lse = m + log Σ exp(s − m)`, `logResult = s − lse`, each
 * row's cost `−logResult[label]`, their sum divided by `n`; and for the
 * gradient, `(dy / n) · (exp(logResult) − onehot)`.
 */
function handDerived(s: Float32Array, labels: ArrayLike<number>) {
  return tf.customGrad((...args) => {
    const [n, c] = (args[0] as tf.Tensor2D).shape;
    const shifted = new Float32Array(n * c);
    const maxes = new Float32Array(n);
    for (let row = 0, at = 0; row < n; row++, at += c) {
      let max = s[at];
      for (let j = 1; j < c; j++) if (s[at + j] > max) max = s[at + j];
      maxes[row] = max;
      for (let j = 0; j < c; j++) shifted[at + j] = s[at + j] - max;
    }
    const exps = kernelOf(tf.exp, shifted, [n, c]);
    const sums = new Float32Array(n);
    for (let row = 0, at = 0; row < n; row++, at += c) {
      let sum = 0;
      for (let j = 0; j < c; j++) sum = fround(sum + exps[at + j]);
      sums[row] = sum;
    }
    const logs = kernelOf(tf.log, sums, [n]);
    const logResult = new Float32Array(n * c);
    let total = 0;
    for (let row = 0, at = 0; row < n; row++, at += c) {
      const lse = fround(maxes[row] + logs[row]);
      for (let j = 0; j < c; j++) logResult[at + j] = s[at + j] - lse;
      // −(logResult · onehot) summed over the row: the label's term, the
      // others being zeros.
      total = fround(total + fround(0 - logResult[at + labels[row]]));
    }
    return {
      value: tf.scalar(fround(total / n)),
      gradFunc: (dy: tf.Tensor) => {
        const perRow = fround(dy.dataSync()[0] / n);
        const grad = kernelOf(tf.exp, logResult, [n, c]);
        for (let row = 0, at = 0; row < n; row++, at += c) {
          for (let j = 0; j < c; j++) {
            const p = grad[at + j];
            grad[at + j] = perRow * (j === labels[row] ? fround(p - 1) : p);
          }
        }
        return tf.tensor(grad, [n, c], "float32");
      },
    };
  });
}

/**
 * The cross-entropy of `scores` `[n, classes]` against `labels` (whole
 * numbers, one per row, already checked), computed in one step when the
 * piece `crossEntropyGradient` is on (see `speed.ts`'s `setFast`), the
 * backend is `wasm` and every score is a finite float32; otherwise
 * `undefined`, and `multiclass.ts` computes it with TensorFlow.js's own
 * `softmaxCrossEntropy`. Either way, the same value and gradient. It is the
 * hook `crossEntropy` of `lib/hooks.ts`, installed when this module loads.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastCrossEntropy } from "./cross_entropy.ts";
 *
 * const scores = tf.tensor2d([[2, 1, 0]]);
 * fastCrossEntropy(scores, [0])?.print(); // 0.4076
 * ```
 */
export function fastCrossEntropy(
  scores: tf.Tensor2D,
  labels: ArrayLike<number>,
): tf.Tensor | undefined {
  const ours = fastPieces().crossEntropyGradient &&
    tf.getBackend() === "wasm" && scores.dtype === "float32" &&
    scores.rank === 2 && scores.shape[0] > 0 && scores.shape[1] > 0 &&
    labels.length === scores.shape[0];
  if (!ours) return undefined;
  const s = scores.dataSync() as Float32Array;
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) return undefined;
  }
  return handDerived(s, labels)(scores);
}

setHooks({ crossEntropy: fastCrossEntropy });
