/**
 * More than two classes: the ten digits. A model gives each image one score
 * per class, `[n, classes]` (ten regressions side by side, `x·W + b` with
 * `W` of `[784, 10]`); {@linkcode softmax} turns a row of scores into
 * probabilities that sum to 1, {@linkcode crossEntropy} is the loss that
 * training minimizes, and {@linkcode accuracy} is the share of rows whose
 * highest score is their label's.
 *
 * Labels are whole numbers, one per row (`[n]` or `[n, 1]`): 0 to 9 for the
 * digits. With two classes and the scores `[s, 0]`, softmax gives class 0 the
 * probability `σ(s)`: the sigmoid of the 3-versus-7 models is the two-class
 * case of the softmax.
 *
 * @example Three images, scored for ten digits
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { accuracy, crossEntropy } from "./multiclass.ts";
 *
 * const scores = tf.randomNormal([3, 10]) as tf.Tensor2D;
 * const labels = tf.tensor2d([[3], [7], [0]]);
 * const loss = crossEntropy(scores, labels);
 * const acc = accuracy(scores, labels);
 * console.log(loss.shape, acc.shape); // [] []: one number each
 * tf.dispose([scores, labels, loss, acc]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D } from "./tensors.ts";
import { ArgumentError, ShapeError } from "./errors.ts";
import { hooks } from "./hooks.ts";

/**
 * The number of classes of MNIST: the digits 0 to 9.
 *
 * @example
 * ```ts
 * import { DIGITS } from "./multiclass.ts";
 *
 * console.log(784 * DIGITS); // 7840 weights in a linear model of the ten digits
 * ```
 */
export const DIGITS = 10;

/**
 * Each row's scores turned into probabilities: `e^s / Σ e^s`, every value in
 * (0, 1), each row summing to 1, the highest score getting the highest
 * probability. The row's largest score is subtracted first, which changes
 * nothing in the result but keeps `e^s` finite for any scores.
 *
 * @throws {ShapeError} When `scores` is not a matrix `[n, classes]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { softmax } from "./multiclass.ts";
 *
 * const scores = tf.tensor2d([[2, 1, 0], [1000, 0, -1000]]);
 * const p = softmax(scores);
 * p.print(); // [[0.665, 0.245, 0.09], [1, 0, 0]]
 * tf.dispose([scores, p]);
 * ```
 */
export function softmax(scores: Tensor2D): Tensor2D {
  if (scores.rank !== 2) {
    throw new ShapeError(
      `softmax needs scores [n, classes], one row per image; got ` +
        `[${scores.shape}]. Reshape them, for example scores.reshape([1, -1]).`,
    );
  }
  return tf.tidy(() => {
    const exps = scores.sub(scores.max(1, true)).exp();
    return exps.div(exps.sum(1, true));
  });
}

/**
 * Checks scores `[n, classes]` against labels `[n]` or `[n, 1]`: as many
 * rows, `classes` columns, every label a whole number from 0 to
 * `classes - 1`; returns the labels.
 */
function checkLabels(
  name: string,
  scores: Tensor2D,
  labels: Tensor,
  classes: number,
): ArrayLike<number> {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new ArgumentError(
      `${name} needs at least 2 classes, a whole number; got ${classes}.`,
    );
  }
  if (scores.rank !== 2 || scores.shape[1] !== classes) {
    throw new ShapeError(
      `${name} needs one score per class, [n, ${classes}]; the model gave ` +
        `[${scores.shape}]. Give the model's last layer ${classes} outputs, ` +
        `for example Linear(30, ${classes}) instead of Linear(30, 1).`,
    );
  }
  const column = labels.rank === 2 && labels.shape[1] === 1;
  if (!(labels.rank === 1 || column) || labels.shape[0] !== scores.shape[0]) {
    throw new ShapeError(
      `${name} needs one label per row of scores: [${scores.shape[0]}] or ` +
        `[${scores.shape[0]}, 1]; got labels [${labels.shape}] for scores ` +
        `[${scores.shape}].`,
    );
  }
  const values = labels.dataSync();
  for (let row = 0; row < values.length; row++) {
    const label = values[row];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ArgumentError(
        `${name} needs labels that are whole numbers from 0 to ` +
          `${classes - 1}; the label of row ${row} is ${label}. Check the ` +
          `labels, or give the model one output per class.`,
      );
    }
  }
  return values;
}

/**
 * The loss of a classifier over several classes: the mean over the rows of
 * `-log p`, where `p` is the {@linkcode softmax} probability of the row's
 * label, which equals `log Σ e^s - s[label]` and is computed that way,
 * without ever taking the logarithm of 0. Its gradient with respect to the
 * scores is `(softmax(s) - onehot(label)) / n`: every wrong class is pushed
 * down by its probability, the right one up by what it lacks.
 *
 * The computation is TensorFlow.js's own `tf.losses.softmaxCrossEntropy` of
 * the one-hot labels, whose gradient is that formula written by hand: a step
 * of the ten-digit linear model then makes 56 operations of the engine
 * instead of the 77 that automatic differentiation of
 * `logSumExp(s) - s[label]` makes (`deno task ops`), and the bench's
 * ten-digit stages took 6 to 8% less time. The speed piece
 * `crossEntropyGradient` (`fast/cross_entropy.ts`) computes the same value
 * and gradient, bit for bit, in 3 operations. Notebook 9 writes the loss out
 * itself.
 *
 * `classes` is 10 (the digits) unless told; `scores` must have that many
 * columns.
 *
 * @throws {ShapeError} When `scores` is not `[n, classes]` (a model with the
 * wrong number of outputs), or `labels` is not `[n]` or `[n, 1]`.
 * @throws {ArgumentError} When a label is not a whole number from 0 to
 * `classes - 1` (the message names the first).
 *
 * @example Confident and right costs little; confident and wrong, a lot
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { crossEntropy } from "./multiclass.ts";
 *
 * const scores = tf.tensor2d([[5, 0, 0], [0, 5, 0]]);
 * const labels = tf.tensor1d([0, 0]);
 * const loss = crossEntropy(scores, labels, 3);
 * loss.print(); // (0.013 + 5.013) / 2 ≈ 2.51
 * tf.dispose([scores, labels, loss]);
 * ```
 */
export function crossEntropy(
  scores: Tensor2D,
  labels: Tensor,
  classes: number = DIGITS,
): Tensor {
  const values = checkLabels("crossEntropy", scores, labels, classes);
  // fast/ may compute the same value and gradient in one step (lib/hooks.ts).
  return hooks().crossEntropy(scores, values) ?? tf.tidy(() => {
    const onehot = tf.oneHot(labels.reshape([-1]).toInt(), classes);
    return tf.losses.softmaxCrossEntropy(onehot, scores);
  });
}

/**
 * The share of rows whose highest score is the label's: the class a model
 * predicts is the one it scores highest (argmax), and it is right when that
 * is the label. (With ties, the first of the highest.)
 *
 * `classes` is 10 (the digits) unless told; `scores` must have that many
 * columns.
 *
 * @throws {ShapeError} When `scores` is not `[n, classes]`, or `labels` is
 * not `[n]` or `[n, 1]`.
 * @throws {ArgumentError} When a label is not a whole number from 0 to
 * `classes - 1`.
 *
 * @example Two of three right
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { accuracy } from "./multiclass.ts";
 *
 * const scores = tf.tensor2d([[3, 1, 0], [0, 2, 1], [0, 2, 1]]);
 * const labels = tf.tensor2d([[0], [1], [2]]);
 * const acc = accuracy(scores, labels, 3);
 * acc.print(); // 0.6667
 * tf.dispose([scores, labels, acc]);
 * ```
 */
export function accuracy(
  scores: Tensor2D,
  labels: Tensor,
  classes: number = DIGITS,
): Tensor {
  checkLabels("accuracy", scores, labels, classes);
  return tf.tidy(() =>
    scores.argMax(1).equal(labels.reshape([-1]).toInt()).toFloat().mean()
  );
}
