import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../lib/fast/backend.ts";
import { setFast } from "../lib/fast/speed.ts";
import { sumGradients } from "../lib/fast/sum_gradient.ts";
import { Random } from "../lib/random.ts";
import { testIf } from "./_support.ts";
import { onWasm } from "./_wasm.ts";
import { firstBitDifference } from "./_assert.ts";

/** The gradient of `f` at `x`, with the piece on or off, as floats. */
function gradientOf(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, on: boolean) {
  setFast({ sumGradient: on });
  try {
    const g = tf.grad(f)(x);
    const values = Float32Array.from(g.dataSync());
    g.dispose();
    return values;
  } finally {
    setFast({ sumGradient: true });
  }
}

testIf(
  "the sumGradient piece gives TensorFlow.js's gradient of a sum, bit for bit, and takes first and last axes",
  [onWasm],
  () => {
    const random = new Random(3);
    const before = tf.memory().numTensors;
    const cases: [number[], number | number[], boolean, boolean][] = [
      [[256, 784], 1, true, true], // the abs templates' votes summed per image
      [[64, 10, 784], 2, false, true], // notebook 9's ten templates
      [[256, 30], 0, false, true], // a bias's gradient
      [[4, 5, 6], [0, 1], true, true],
      [[4, 5, 6], [1, 2], false, true],
      [[3, 4], [0, 1], false, true], // every axis
      [[4, 5, 6], 1, false, false], // a middle axis: TensorFlow.js's own
    ];
    for (const [shape, axis, keepDims, ours] of cases) {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(
        Float32Array.from({ length: size }, () => random.uniform() - 0.5),
        shape,
      );
      const summed = tf.tidy(() => x.sum(axis, keepDims));
      // A weight per summed value, with a -0, so that dy holds every sign.
      const weights = tf.tensor(
        Float32Array.from(
          { length: summed.size },
          (_, i) => i === 0 ? -0 : 3 * random.uniform() - 1,
        ),
        summed.shape,
      );
      const f = (t: tf.Tensor) => t.sum(axis, keepDims).mul(weights).sum();
      const counted = sumGradients();
      const fast = gradientOf(f, x, true);
      assert.equal(sumGradients() - counted, ours ? 2 : 1, `${shape}, ${axis}`);
      const plain = gradientOf(f, x, false);
      assert.equal(
        firstBitDifference(fast, plain),
        -1,
        `[${shape}], axis ${axis}`,
      );
      tf.dispose([x, summed, weights]);
    }
    assert.equal(tf.memory().numTensors, before);
  },
);
