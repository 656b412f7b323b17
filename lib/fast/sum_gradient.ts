/**
 * The speed piece `sumGradient`: the gradient of `Sum` (every backend,
 * computed here on `wasm`), without the tensor of ones TensorFlow.js makes
 * for it.
 *
 * The gradient of a sum is `dy` spread over the summed axes. TensorFlow.js's
 * own writes it `dy · ones(x.shape)`: it fills a JavaScript array of ones as
 * large as `x`, copies it into the backend, then multiplies with a
 * broadcasting loop. For notebook 7's abs templates (`votes.sum(1, true)`,
 * `x` of `[256, 784]`) that is, per training step, a loop over 200,704
 * numbers in JavaScript, 800 kB copied and a pass of `Multiply`: a third of
 * the step's time outside the kernels (V8's profile of the step). Here the
 * output is made in the backend's memory and each value of `dy` is written
 * where it goes with `Float32Array.fill` (summed axes last, as
 * `sum(1)` of a batch of rows) or `set` (summed axes first, as a bias's
 * `sum(0)`). Each value is `dy` itself, as `dy · 1` is: the same bits. Other
 * sums (axes in the middle, other types) get TensorFlow.js's own gradient.
 *
 * `speed.ts` imports this module, which registers the gradient at import.
 *
 * @example The gradient of a sum of rows: each row's dy, spread
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "./sum_gradient.ts";
 *
 * const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
 * const g = tf.grad((x: tf.Tensor) => x.sum(1).mul(tf.tensor1d([2, 3])).sum())(x);
 * g.print(); // [[2, 2, 2], [3, 3, 3]]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { WasmBackend } from "./routines.ts";
import { fastPieces } from "./speed.ts";

let count = 0;

/**
 * How many gradients of `Sum` the piece has computed since the process
 * started.
 *
 * @example
 * ```ts
 * import { sumGradients } from "./sum_gradient.ts";
 *
 * console.log(sumGradients() >= 0); // true
 * ```
 */
export function sumGradients(): number {
  return count;
}

/**
 * `dy` `[outer...]` spread over `shape`, whose axes `axes` (sorted) were
 * summed: a run of `inner` copies of each value when the summed axes are
 * the last ones, `outer` copies of the whole of `dy` when they are the
 * first ones; otherwise null.
 */
function spread(
  dy: tf.Tensor,
  shape: readonly number[],
  axes: readonly number[],
): tf.Tensor | null {
  const rank = shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  const last = axes.every((axis, i) => axis === rank - axes.length + i);
  const first = axes.every((axis, i) => axis === i);
  if (size === 0 || !(last || first)) return null;
  const reduced = axes.reduce((n, axis) => n * shape[axis], 1);
  const values = dy.dataSync() as Float32Array;
  const backend = tf.backend() as WasmBackend;
  const out = backend.makeOutput([...shape], "float32");
  const floats = new Float32Array(
    backend.wasm.asm.memory.buffer,
    backend.dataIdMap.get(out.dataId).memoryOffset,
    size,
  );
  if (last) {
    for (let i = 0; i < values.length; i++) {
      floats.fill(values[i], i * reduced, (i + 1) * reduced);
    }
  } else {
    for (let at = 0; at < size; at += values.length) floats.set(values, at);
  }
  count++;
  return tf.engine().makeTensorFromTensorInfo(out);
}

const own = tf.getGradient("Sum")!;
tf.registerGradient({
  ...own,
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    const d = dy as tf.Tensor;
    const ours = fastPieces().sumGradient && tf.getBackend() === "wasm" &&
      x.dtype === "float32" && d.dtype === "float32";
    if (!ours) return own.gradFunc(dy, saved, attrs);
    const { axis } = attrs as { axis: number | number[] };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    return {
      x: () => spread(d, x.shape, axes) ?? own.gradFunc(dy, saved, attrs).x(),
    };
  },
});
