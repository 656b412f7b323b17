/**
 * The speed piece `mnistLossGradient`: `mnistLoss` as one step with a
 * gradient derived by hand, in place of the lesson's `tf.where` expression
 * and TensorFlow.js's autodiff. Importing this module installs it as the hook
 * `mnistLoss` of `lib/hooks.ts`, which `loss.ts` asks first (`backend.ts`
 * imports it); the hook answers only while the piece is on. The same arithmetic: with `s = sigmoid(p)`,
 * a row costs `1 - s` where its target is 1 and `s` elsewhere, and the
 * derivatives are `-s·(1 - s)` and `s·(1 - s)`, over `n` for the mean. As
 * tensor operations that is 16 steps of the engine (each a few
 * microseconds) for a batch of only a few hundred numbers; here it is one
 * loop over them, read with `dataSync` (next to free on the `wasm` and
 * `cpu` backends, which compute in step). `deno task bench --ablate` measured
 * 13 to 18% of the training stages' CPU time (`lib/fast/README.md`).
 *
 * @example The lesson's loss, computed here while the piece is on
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { hooks } from "../hooks.ts";
 * import "./mnist_loss.ts";
 *
 * const p = tf.tensor2d([[5], [-5]]), t = tf.tensor2d([[1], [1]]);
 * hooks().mnistLoss(p, t)?.print(); // 0.5
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setHooks } from "../hooks.ts";
import { fastPieces } from "./speed.ts";

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
}) as (predictions: tf.Tensor2D, targets: tf.Tensor2D) => tf.Tensor;

// Installed for the whole process: loss.ts's mnistLoss asks this hook first.
setHooks({
  mnistLoss: (predictions, targets) =>
    fastPieces().mnistLossGradient
      ? handDerived(predictions, targets)
      : undefined,
});
