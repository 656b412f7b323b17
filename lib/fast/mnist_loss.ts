/**
 * The speed piece `mnistLossGradient`: `mnistLoss` as one step with a
 * gradient derived by hand, in place of the lesson's `tf.where` expression
 * and TensorFlow.js's autodiff. The same arithmetic: with `s = sigmoid(p)`,
 * a row costs `1 - s` where its target is 1 and `s` elsewhere, and the
 * derivatives are `-s·(1 - s)` and `s·(1 - s)`, over `n` for the mean. As
 * tensor operations that is 16 steps of the engine (each a few
 * microseconds) for a batch of only a few hundred numbers; here it is one
 * loop over them, read with `dataSync` (next to free on the `wasm` and
 * `cpu` backends, which compute in step). `deno task bench --ablate` measured
 * 13 to 18% of the training stages' CPU time (`lib/fast/README.md`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastMnistLoss } from "./mnist_loss.ts";
 *
 * const plain = (p: tf.Tensor2D, t: tf.Tensor2D) =>
 *   tf.tidy(() => {
 *     const s = tf.sigmoid(p);
 *     return tf.where(t.equal(1), tf.sub(1, s), s).mean();
 *   });
 * const loss = fastMnistLoss(plain)(tf.tensor2d([[5], [-5]]), tf.tensor2d([[1], [1]]));
 * loss.print(); // 0.5
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./backend.ts";
import { fastPieces } from "./speed.ts";

/** A loss of predictions and targets `[n, 1]`. */
type Loss = (predictions: tf.Tensor2D, targets: tf.Tensor2D) => tf.Tensor;

/** mnistLoss, value and gradient at once. */
const handDerived = tf.customGrad((...args) => {
  const [predictions, targets] = args as tf.Tensor2D[];
  const p = predictions.dataSync();
  const t = targets.dataSync();
  const n = p.length;
  const slopes = new Float32Array(n); // d(row's cost)/d(output), before / n
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = 1 / (1 + Math.exp(-p[i]));
    const isThree = t[i] === 1;
    total += isThree ? 1 - s : s;
    slopes[i] = isThree ? -s * (1 - s) : s * (1 - s);
  }
  return {
    value: tf.scalar(total / n),
    gradFunc: (dy: tf.Tensor) => {
      const perRow = dy.dataSync()[0] / n;
      return [
        tf.tensor(slopes.map((slope) => slope * perRow), predictions.shape),
        tf.zeros(targets.shape),
      ];
    },
  };
}) as Loss;

/**
 * `mnistLoss` as `plain` defines it, computed by hand with its gradient when
 * the piece `mnistLossGradient` is on (see `speed.ts`'s `setFast`), and by
 * `plain` itself when it is off or when the shapes differ (so that `plain`
 * reports them).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastMnistLoss } from "./mnist_loss.ts";
 *
 * const mnistLoss = fastMnistLoss((p, t) =>
 *   tf.tidy(() => tf.where(t.equal(1), tf.sub(1, tf.sigmoid(p)), tf.sigmoid(p)).mean())
 * );
 * ```
 */
export function fastMnistLoss(plain: Loss): Loss {
  return (predictions, targets) => {
    const same = predictions.rank === targets.rank &&
      predictions.shape.every((d, i) => d === targets.shape[i]);
    return same && fastPieces().mnistLossGradient
      ? handDerived(predictions, targets)
      : plain(predictions, targets);
  };
}
