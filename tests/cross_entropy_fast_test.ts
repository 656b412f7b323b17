import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../lib/fast/backend.ts";
import { fastPieces, setFast } from "../lib/fast/speed.ts";
import { crossEntropy } from "../lib/multiclass.ts";
import { Random } from "../lib/random.ts";
import { testIf } from "./_support.ts";
import { onWasm } from "./_wasm.ts";
import { firstBitDifference } from "./_assert.ts";

/** Scores `[n, c]` drawn from `random`, spread by `scale`. */
function scoresOf(random: Random, n: number, c: number, scale: number) {
  return tf.tensor2d(
    Float32Array.from(
      { length: n * c },
      () => scale * (random.uniform() - 0.5),
    ),
    [n, c],
  );
}

/** The loss and its gradient with respect to the scores, as plain arrays. */
function lossAndGradient(
  scores: tf.Tensor2D,
  labels: tf.Tensor,
  classes: number,
) {
  const { value, grad } = tf.valueAndGrad((s: tf.Tensor) =>
    crossEntropy(s as tf.Tensor2D, labels, classes)
  )(scores);
  const result = {
    value: Float32Array.from(value.dataSync()),
    grad: Float32Array.from(grad.dataSync()),
  };
  tf.dispose([value, grad]);
  return result;
}

testIf(
  "the crossEntropyGradient piece gives TensorFlow.js's loss and gradient, bit for bit",
  [onWasm],
  () => {
    const random = new Random(7);
    const before = tf.memory().numTensors;
    const cases: [number, number, number][] = [
      [256, 10, 8], // a batch of the ten digits, scores of a trained model
      [64, 10, 0.01], // nearly equal scores
      [500, 10, 60], // confident scores: probabilities of 0 and 1
      [3, 2, 4], // two classes
      [1, 7, 1],
    ];
    for (const [n, c, scale] of cases) {
      for (let draw = 0; draw < 5; draw++) {
        const scores = scoresOf(random, n, c, scale);
        const labels = tf.tensor1d(
          Array.from({ length: n }, () => Math.floor(random.uniform() * c)),
        );
        setFast({ crossEntropyGradient: false });
        const plain = lossAndGradient(scores, labels, c);
        setFast({ crossEntropyGradient: true });
        const fast = lossAndGradient(scores, labels, c);
        const where = `${n} rows, ${c} classes, scale ${scale}, draw ${draw}`;
        assert.equal(
          firstBitDifference(fast.value, plain.value),
          -1,
          `loss, ${where}`,
        );
        assert.equal(
          firstBitDifference(fast.grad, plain.grad),
          -1,
          `gradient, ${where}`,
        );
        tf.dispose([scores, labels]);
      }
    }
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "the crossEntropyGradient piece makes a training step's loss 3 operations",
  [onWasm],
  async () => {
    const scores = tf.variable(tf.randomNormal([256, 10])) as tf.Variable<
      tf.Rank.R2
    >;
    const labels = tf.tensor2d(Array.from({ length: 256 }, (_, i) => [i % 10]));
    const kernels = async (on: boolean) => {
      setFast({ crossEntropyGradient: on });
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(scores, labels) as tf.Scalar,
          [scores],
        );
        tf.dispose([value, ...Object.values(grads)]);
      });
      return info.kernels.map((k) => k.name);
    };
    const plain = await kernels(false);
    const fast = await kernels(true);
    setFast({ crossEntropyGradient: true });
    assert.ok(plain.length >= 40, `plain: ${plain.length} operations`);
    // The step itself, the backend's Exp and Log, and the gradient's Exp.
    assert.deepEqual(fast.filter((name) => name !== "Identity"), [
      "Exp",
      "Log",
      fast.find((name) => !["Exp", "Log", "Identity"].includes(name)),
      "Exp",
    ]);
    tf.dispose([scores, labels]);
  },
);

testIf(
  "without the piece, or with scores that are not finite, TensorFlow.js computes the loss",
  [onWasm],
  () => {
    const scores = tf.tensor2d([[Infinity, 0], [0, 1]]);
    const labels = tf.tensor1d([0, 1]);
    const loss = crossEntropy(scores, labels, 2);
    const plain = tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.tensor1d([0, 1], "int32"), 2),
      scores,
    );
    assert.deepEqual(loss.dataSync(), plain.dataSync());
    assert.equal(fastPieces().crossEntropyGradient, true);
    tf.dispose([scores, labels, loss, plain]);
  },
);
