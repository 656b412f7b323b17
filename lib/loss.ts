/**
 * Losses, which training minimizes, and metrics, which people read.
 *
 * Every function takes predictions and targets of the same shape, `[n, 1]`
 * for the lesson's 3s (target 1) and 7s (target 0), and returns a scalar
 * tensor that the caller owns. The predictions are the model's raw outputs
 * (any real number), except for {@linkcode mnistLossOnProbabilities}, the
 * lesson's first version, which expects probabilities in [0, 1].
 *
 * @example The lesson's loss: how far each prediction is from its target
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { mnistLossOnProbabilities } from "./loss.ts";
 *
 * const targets = tf.tensor2d([[1], [0], [1]]);
 * const predictions = tf.tensor2d([[0.9], [0.4], [0.2]]);
 * const loss = mnistLossOnProbabilities(predictions, targets);
 * loss.print(); // 0.4333
 * tf.dispose([targets, predictions, loss]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D } from "./tensors.ts";
import { ShapeError } from "./errors.ts";
import { hooks } from "./hooks.ts";

/**
 * A loss: a scalar tensor from predictions and targets, smaller when they
 * agree better, with useful gradients.
 *
 * @example
 * ```ts
 * import { type LossFunc, mseLoss } from "./loss.ts";
 *
 * const lossFunc: LossFunc = mseLoss;
 * ```
 */
export type LossFunc = (predictions: Tensor2D, targets: Tensor2D) => Tensor;

/**
 * A metric: a scalar tensor from predictions and targets, the mean over the
 * batch of some per-row score (so that batches can be weighted by size).
 *
 * @example
 * ```ts
 * import { batchAccuracy, type MetricFunc } from "./loss.ts";
 *
 * const metrics: Record<string, MetricFunc> = { accuracy: batchAccuracy };
 * ```
 */
export type MetricFunc = (predictions: Tensor2D, targets: Tensor2D) => Tensor;

function checkShapes(name: string, predictions: Tensor, targets: Tensor): void {
  const same = predictions.rank === targets.rank &&
    predictions.shape.every((d, i) => d === targets.shape[i]);
  if (!same) {
    throw new ShapeError(
      `${name} needs predictions and targets of the same shape; got ` +
        `predictions [${predictions.shape}] and targets [${targets.shape}]. ` +
        `Make both [n, 1], for example targets.reshape([-1, 1]) (otherwise ` +
        `they would broadcast to [n, n]).`,
    );
  }
}

/**
 * The logistic function `1 / (1 + e^-x)`, which squeezes any number into
 * (0, 1): large negative numbers near 0, large positive ones near 1, 0 at ½.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sigmoid } from "./loss.ts";
 *
 * const x = tf.tensor([-4, 0, 4]);
 * const y = sigmoid(x);
 * y.print(); // [0.018, 0.5, 0.982]
 * tf.dispose([x, y]);
 * ```
 */
export function sigmoid<T extends Tensor>(x: T): T {
  return tf.sigmoid(x);
}

/**
 * The lesson's first loss, for predictions that are already probabilities of
 * "a 3": the mean distance to the target, `1 - p` where the target is 1 and
 * `p` where it is 0.
 *
 * @throws {ShapeError} When predictions and targets differ in shape.
 *
 * @example The lesson's two cases: a better third prediction, a lower loss
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { mnistLossOnProbabilities } from "./loss.ts";
 *
 * const trgts = tf.tensor2d([[1], [0], [1]]);
 * const prds = tf.tensor2d([[0.9], [0.4], [0.8]]);
 * const loss = mnistLossOnProbabilities(prds, trgts);
 * loss.print(); // 0.2333
 * tf.dispose([trgts, prds, loss]);
 * ```
 */
export function mnistLossOnProbabilities(
  predictions: Tensor2D,
  targets: Tensor2D,
): Tensor {
  checkShapes("mnistLossOnProbabilities", predictions, targets);
  return tf.tidy(() =>
    tf.where(targets.equal(1), tf.sub(1, predictions), predictions).mean()
  );
}

/**
 * The lesson's loss for raw outputs: {@linkcode sigmoid} turns each output
 * into a probability, then, as in {@linkcode mnistLossOnProbabilities}, each
 * row costs its distance to the target: `1 - p` where the target is 1, `p`
 * where it is 0. TensorFlow.js derives the gradient (autodiff). When `fast/`
 * is loaded (as `mod.ts` does), it computes the same value and gradient in
 * one step, through the hook `mnistLoss` of `hooks.ts` (see
 * `lib/fast/README.md`).
 *
 * @throws {ShapeError} When predictions and targets differ in shape.
 *
 * @example A confident right answer costs little, a confident wrong one a lot
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { mnistLoss } from "./loss.ts";
 *
 * const targets = tf.tensor2d([[1], [1]]);
 * const outputs = tf.tensor2d([[5], [-5]]);
 * const loss = mnistLoss(outputs, targets);
 * loss.print(); // (0.0067 + 0.9933) / 2 = 0.5
 * tf.dispose([targets, outputs, loss]);
 * ```
 */
export function mnistLoss(predictions: Tensor2D, targets: Tensor2D): Tensor {
  checkShapes("mnistLoss", predictions, targets);
  // fast/ may compute the same value and gradient in one step (lib/hooks.ts).
  return hooks().mnistLoss(predictions, targets) ?? tf.tidy(() => {
    const probabilities = sigmoid(predictions);
    return tf.where(targets.equal(1), tf.sub(1, probabilities), probabilities)
      .mean();
  });
}

/**
 * The share of rows classified right: an output above 0 (a probability above
 * ½) says "3", and is right when the target is 1.
 *
 * @throws {ShapeError} When predictions and targets differ in shape.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { batchAccuracy } from "./loss.ts";
 *
 * const outputs = tf.tensor2d([[2], [-1], [0.5], [-3]]);
 * const targets = tf.tensor2d([[1], [0], [0], [0]]);
 * const acc = batchAccuracy(outputs, targets);
 * acc.print(); // 0.75
 * tf.dispose([outputs, targets, acc]);
 * ```
 */
export function batchAccuracy(
  predictions: Tensor2D,
  targets: Tensor2D,
): Tensor {
  checkShapes("batchAccuracy", predictions, targets);
  return tf.tidy(() =>
    sigmoid(predictions).greater(0.5).equal(targets.greater(0.5)).toFloat()
      .mean()
  );
}

/**
 * Mean squared error: the loss of linear regression, here on 0/1 targets.
 *
 * @throws {ShapeError} When predictions and targets differ in shape.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { mseLoss } from "./loss.ts";
 *
 * const predictions = tf.tensor2d([[0.5], [2]]);
 * const targets = tf.tensor2d([[0], [1]]);
 * const loss = mseLoss(predictions, targets);
 * loss.print(); // (0.25 + 1) / 2 = 0.625
 * tf.dispose([predictions, targets, loss]);
 * ```
 */
export function mseLoss(predictions: Tensor2D, targets: Tensor2D): Tensor {
  checkShapes("mseLoss", predictions, targets);
  return tf.tidy(() => predictions.sub(targets).square().mean());
}

/**
 * Log loss (binary cross-entropy) of raw outputs: the loss of logistic
 * regression, `-mean(t·log σ(z) + (1 - t)·log(1 - σ(z)))`. It is computed as
 * `max(z, 0) - z·t + log(1 + e^-|z|)`, which equals it but never takes the
 * logarithm of 0 nor overflows, however large `|z|`.
 *
 * @throws {ShapeError} When predictions and targets differ in shape.
 *
 * @example Confidently wrong costs much more than with mnistLoss
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { logLoss } from "./loss.ts";
 *
 * const outputs = tf.tensor2d([[0], [-20]]);
 * const targets = tf.tensor2d([[1], [1]]);
 * const loss = logLoss(outputs, targets);
 * loss.print(); // (log 2 + 20) / 2 ≈ 10.35
 * tf.dispose([outputs, targets, loss]);
 * ```
 */
export function logLoss(predictions: Tensor2D, targets: Tensor2D): Tensor {
  checkShapes("logLoss", predictions, targets);
  return tf.tidy(() =>
    predictions.relu()
      .sub(predictions.mul(targets))
      .add(predictions.abs().neg().exp().log1p())
      .mean()
  );
}
