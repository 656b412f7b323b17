import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  batchAccuracy,
  logLoss,
  mnistLoss,
  mnistLossOnProbabilities,
  mseLoss,
  sigmoid,
} from "../lib/loss.ts";
import { ShapeError } from "../lib/errors.ts";
import { assertClose } from "./_assert.ts";

// References in float64, written from the formulas, independent of the library.
const sigmoid64 = (z: number) => 1 / (1 + Math.exp(-z));
const mean = (values: number[]) =>
  values.reduce((a, b) => a + b, 0) / values.length;
const mnist64 = (p: number[], t: number[]) =>
  mean(p.map((z, i) => t[i] === 1 ? 1 - sigmoid64(z) : sigmoid64(z)));
const mse64 = (p: number[], t: number[]) =>
  mean(p.map((z, i) => (z - t[i]) ** 2));
const logLoss64 = (p: number[], t: number[]) =>
  -mean(
    p.map((z, i) =>
      t[i] * Math.log(sigmoid64(z)) + (1 - t[i]) * Math.log(1 - sigmoid64(z))
    ),
  );

/** The derivative of `f` at `v` by central differences, in float64. */
function centralDifferences(
  f: (v: number[]) => number,
  v: readonly number[],
  h = 1e-6,
): number[] {
  return v.map((_, i) => {
    const up = v.slice();
    const down = v.slice();
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/** The value of a loss and its gradient with respect to the predictions. */
function valueAndGrad(
  loss: (p: tf.Tensor2D, t: tf.Tensor2D) => tf.Tensor,
  p: readonly number[],
  t: readonly number[],
): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const predictions = tf.tensor2d([...p], [p.length, 1]);
    const targets = tf.tensor2d([...t], [t.length, 1]);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) =>
      loss(x as tf.Tensor2D, targets) as tf.Scalar
    )(predictions);
    return {
      value: value.dataSync()[0],
      grad: grad.dataSync() as Float32Array,
    };
  });
}

const outputs = [-2.5, -0.7, 0.1, 0.4, 1.3, 3.2];
const labels = [1, 0, 0, 1, 1, 0];

Deno.test("sigmoid is 1 / (1 + e^-x), ½ at 0", () => {
  const xs = [-4, -1, 0, 0.5, 4];
  const x = tf.tensor(xs);
  const y = sigmoid(x);
  assertClose(y.dataSync(), xs.map(sigmoid64), 1e-6);
  assert.equal(y.dataSync()[2], 0.5);
  tf.dispose([x, y]);
});

Deno.test("mnistLossOnProbabilities gives the lesson's 0.4333, then 0.2333 for a better third prediction", () => {
  const targets = tf.tensor2d([[1], [0], [1]]);
  const worse = tf.tensor2d([[0.9], [0.4], [0.2]]);
  const better = tf.tensor2d([[0.9], [0.4], [0.8]]);
  const lossWorse = mnistLossOnProbabilities(worse, targets);
  const lossBetter = mnistLossOnProbabilities(better, targets);
  assertClose(lossWorse.dataSync(), [1.3 / 3], 1e-6);
  assertClose(lossBetter.dataSync(), [0.7 / 3], 1e-6);
  tf.dispose([targets, worse, better, lossWorse, lossBetter]);
});

Deno.test("mnistLoss is mnistLossOnProbabilities of the sigmoid of the outputs", () => {
  const p = tf.tensor2d(outputs, [6, 1]);
  const t = tf.tensor2d(labels, [6, 1]);
  const folded = mnistLoss(p, t);
  const s = sigmoid(p);
  const twoSteps = mnistLossOnProbabilities(s, t);
  assertClose(folded.dataSync(), twoSteps.dataSync(), 1e-6);
  assertClose(folded.dataSync(), [mnist64(outputs, labels)], 1e-6);
  tf.dispose([p, t, folded, s, twoSteps]);
});

Deno.test("the gradient of mnistLoss matches central differences", () => {
  const { value, grad } = valueAndGrad(mnistLoss, outputs, labels);
  assertClose([value], [mnist64(outputs, labels)], 1e-6);
  const expected = centralDifferences((p) => mnist64(p, labels), outputs);
  assertClose(grad, expected, 1e-5);
  // Not a tautology: the slopes have the signs the targets call for.
  assert.ok(grad[0] < 0 && grad[1] > 0);
});

Deno.test("the gradient of mnistLossOnProbabilities is -1/n where the target is 1, +1/n elsewhere", () => {
  const p = [0.9, 0.4, 0.2];
  const { grad } = valueAndGrad(mnistLossOnProbabilities, p, [1, 0, 1]);
  assertClose(grad, [-1 / 3, 1 / 3, -1 / 3], 1e-6);
});

Deno.test("mseLoss is the mean squared error, with matching gradient", () => {
  const { value, grad } = valueAndGrad(mseLoss, outputs, labels);
  assertClose([value], [mse64(outputs, labels)], 1e-6);
  assertClose(
    grad,
    centralDifferences((p) => mse64(p, labels), outputs),
    1e-5,
  );
});

Deno.test("logLoss is the binary cross-entropy of sigmoid outputs, with matching gradient", () => {
  const { value, grad } = valueAndGrad(logLoss, outputs, labels);
  assertClose([value], [logLoss64(outputs, labels)], 1e-6);
  assertClose(
    grad,
    centralDifferences((p) => logLoss64(p, labels), outputs),
    1e-5,
  );
});

Deno.test("logLoss stays finite for huge outputs (confidently wrong costs |z|) and has slope σ(0) - t at 0", () => {
  const { value, grad } = valueAndGrad(logLoss, [200, -200, 200, 0], [
    0,
    1,
    1,
    1,
  ]);
  assertClose([value], [(400 + Math.LN2) / 4], 1e-5);
  assertClose(grad, [1 / 4, -1 / 4, 0, -0.5 / 4], 1e-6);
});

Deno.test("batchAccuracy counts an output above 0 as a 3 and compares with the target", () => {
  const p = tf.tensor2d([[2], [-1], [0.5], [-3], [0]]);
  const t = tf.tensor2d([[1], [0], [0], [0], [1]]);
  const accuracy = batchAccuracy(p, t);
  // Right: rows 0, 1 and 3. Wrong: row 2 (says 3, is 7), row 4 (σ(0) = ½ is not above ½).
  assertClose(accuracy.dataSync(), [3 / 5], 1e-6);
  tf.dispose([p, t, accuracy]);
});

Deno.test("every loss and metric refuses predictions and targets of different shapes", () => {
  const p = tf.tensor2d([[1], [2]]);
  const flat = tf.tensor1d([1, 0]) as unknown as tf.Tensor2D;
  for (
    const f of [
      mnistLoss,
      mnistLossOnProbabilities,
      batchAccuracy,
      mseLoss,
      logLoss,
    ]
  ) {
    assert.throws(() => f(p, flat), (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /\[2,1\].*\[2\].*reshape/s);
      return true;
    });
  }
  tf.dispose([p, flat]);
});

Deno.test("losses and metrics leave only their result behind, also when differentiated", () => {
  const p = tf.tensor2d(outputs, [6, 1]);
  const t = tf.tensor2d(labels, [6, 1]);
  const before = tf.memory().numTensors;
  for (
    const f of [
      mnistLoss,
      mnistLossOnProbabilities,
      batchAccuracy,
      mseLoss,
      logLoss,
    ]
  ) {
    const value = f(p, t);
    assert.equal(tf.memory().numTensors, before + 1);
    value.dispose();
  }
  for (const f of [mnistLoss, mseLoss, logLoss]) {
    const grad = tf.grad((x: tf.Tensor) => f(x as tf.Tensor2D, t))(p);
    assert.equal(tf.memory().numTensors, before + 1);
    grad.dispose();
  }
  tf.dispose([p, t]);
});
