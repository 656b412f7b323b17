import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  BasicOptim,
  calcGrad,
  gradOf,
  Momentum,
  momentum,
  SGD,
  zeroGrad,
} from "../lib/optim.ts";
import { initParams, Linear, relu, Sequential } from "../lib/model.ts";
import { mnistLoss, mseLoss } from "../lib/loss.ts";
import { ArgumentError, LessonError } from "../lib/errors.ts";
import { randn, setSeed } from "../lib/random.ts";
import { assertClose } from "./_assert.ts";

// The lesson's loss in float64, as a reference.
const sigmoid64 = (z: number) => 1 / (1 + Math.exp(-z));
function mnist64(outputs: readonly number[], targets: readonly number[]) {
  const terms = outputs.map((z, i) =>
    targets[i] === 1 ? 1 - sigmoid64(z) : sigmoid64(z)
  );
  return terms.reduce((a, b) => a + b, 0) / terms.length;
}

/**
 * The derivative of `loss` with respect to each number in `params` (flat
 * arrays), by central differences in float64.
 */
function centralDifferences(
  loss: (params: number[][]) => number,
  params: readonly number[][],
  h = 1e-6,
): number[][] {
  return params.map((p, k) =>
    p.map((_, i) => {
      const shifted = (delta: number) =>
        loss(params.map((q, j) =>
          j === k ? q.map((v, l) => l === i ? v + delta : v) : q
        ));
      return (shifted(h) - shifted(-h)) / (2 * h);
    })
  );
}

// A small batch: 6 rows of 4 features, targets 1 (a three) or 0 (a seven).
setSeed(11);
const rows = 6;
const features = 4;
const xData = Array.from(randn(rows * features));
const yData = [1, 0, 0, 1, 1, 0];
const row = (r: number) => xData.slice(r * features, (r + 1) * features);

function batch(): [tf.Tensor2D, tf.Tensor2D] {
  return [
    tf.tensor2d(xData, [rows, features]),
    tf.tensor2d(yData, [rows, 1]),
  ];
}

Deno.test("calcGrad of the lesson's hand-made linear model matches central differences", () => {
  const weights = initParams([features, 1]);
  const bias = initParams([1]);
  const linear1 = (xb: tf.Tensor2D) =>
    xb.matMul(weights).add(bias) as tf.Tensor2D;
  const [xb, yb] = batch();
  const loss = calcGrad(xb, yb, linear1);

  const reference = ([w, b]: number[][]) =>
    mnist64(
      yData.map((_, r) => row(r).reduce((sum, x, i) => sum + x * w[i], b[0])),
      yData,
    );
  const start = [Array.from(weights.dataSync()), Array.from(bias.dataSync())];
  assertClose([loss], [reference(start)], 1e-6);
  const [dw, db] = centralDifferences(reference, start);
  assertClose(gradOf(weights)!.dataSync(), dw, 1e-5);
  assertClose(gradOf(bias)!.dataSync(), db, 1e-5);
  zeroGrad([weights, bias]);
  tf.dispose([xb, yb, weights, bias]);
});

Deno.test("calcGrad of Linear, ReLU, Linear matches central differences", () => {
  const hidden = 3;
  const first = new Linear(features, hidden);
  const second = new Linear(hidden, 1);
  const net = new Sequential(first, relu, second);
  const [xb, yb] = batch();
  calcGrad(xb, yb, net);

  const reference = ([w1, b1, w2, b2]: number[][]) =>
    mnist64(
      yData.map((_, r) => {
        const h = b1.map((bj, j) =>
          Math.max(
            0,
            row(r).reduce((s, x, i) => s + x * w1[i * hidden + j], bj),
          )
        );
        return h.reduce((s, hj, j) => s + hj * w2[j], b2[0]);
      }),
      yData,
    );
  const start = net.params.map((p) => Array.from(p.dataSync()));
  const expected = centralDifferences(reference, start);
  net.params.forEach((p, k) => {
    assertClose(gradOf(p)!.dataSync(), expected[k], 1e-5);
  });
  zeroGrad(net.params);
  tf.dispose([xb, yb, ...net.params]);
});

Deno.test("calcGrad returns the batch's loss, by the loss function given", () => {
  const model = new Linear(features, 1);
  const [xb, yb] = batch();
  const loss = calcGrad(xb, yb, model, mseLoss);
  const expected = tf.tidy(() => mseLoss(model.forward(xb), yb).dataSync()[0]);
  assertClose([loss], [expected], 1e-6);
  assert.notEqual(
    loss,
    tf.tidy(() => mnistLoss(model.forward(xb), yb).dataSync()[0]),
  );
  zeroGrad(model.params);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("gradients accumulate across calcGrad calls until zeroGrad clears them", () => {
  const model = new Linear(features, 1);
  const [xb, yb] = batch();
  assert.equal(gradOf(model.weight), null);
  calcGrad(xb, yb, model);
  const once = Array.from(gradOf(model.weight)!.dataSync());
  calcGrad(xb, yb, model);
  const twice = Array.from(gradOf(model.weight)!.dataSync());
  assertClose(twice, once.map((g) => 2 * g), 1e-6);
  zeroGrad(model.params);
  assert.equal(gradOf(model.weight), null);
  assert.equal(gradOf(model.bias), null);
  calcGrad(xb, yb, model);
  assertClose(gradOf(model.weight)!.dataSync(), once, 1e-6);
  zeroGrad(model.params);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("calcGrad of a plain function gives gradients only to the variables it uses", () => {
  const used = initParams([features, 1]);
  const unused = initParams([features, 1]);
  const model = (xb: tf.Tensor2D) => xb.matMul(used) as tf.Tensor2D;
  const [xb, yb] = batch();
  calcGrad(xb, yb, model);
  assert.notEqual(gradOf(used), null);
  assert.equal(gradOf(unused), null);
  zeroGrad([used, unused]);
  tf.dispose([xb, yb, used, unused]);
});

Deno.test("calcGrad leaves non-trainable variables alone: a bias fixed at 0", () => {
  const weights = initParams([features, 1]);
  const bias = tf.variable(tf.zeros([1]), false);
  const model = (xb: tf.Tensor2D) =>
    xb.matMul(weights).add(bias) as tf.Tensor2D;
  const [xb, yb] = batch();
  calcGrad(xb, yb, model);
  const opt = new BasicOptim([weights, bias], 1);
  opt.step();
  opt.zeroGrad();
  assert.equal(bias.dataSync()[0], 0);
  tf.dispose([xb, yb, weights, bias]);
});

Deno.test("BasicOptim.step moves each parameter by exactly -lr·grad", () => {
  const model = new Linear(features, 1);
  const [xb, yb] = batch();
  calcGrad(xb, yb, model);
  const lr = 0.25;
  const opt = new BasicOptim(model.params, lr);
  const before = model.params.map((p) => Array.from(p.dataSync()));
  const grads = model.params.map((p) => Array.from(gradOf(p)!.dataSync()));
  opt.step();
  model.params.forEach((p, k) => {
    const expected = before[k].map((v, i) =>
      Math.fround(v - Math.fround(lr * grads[k][i]))
    );
    assert.deepEqual(Array.from(p.dataSync()), expected);
  });
  // Stepping does not consume the gradients: zeroGrad does.
  assert.notEqual(gradOf(model.weight), null);
  opt.zeroGrad();
  assert.equal(gradOf(model.weight), null);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("BasicOptim.step on a loss lowers it", () => {
  const model = new Linear(features, 1);
  const [xb, yb] = batch();
  const opt = SGD(model.params, 1);
  assert.ok(opt instanceof BasicOptim);
  assert.equal(opt.lr, 1);
  const first = calcGrad(xb, yb, model);
  opt.step();
  opt.zeroGrad();
  const second = calcGrad(xb, yb, model);
  opt.zeroGrad();
  assert.ok(second < first, `${second} is not below ${first}`);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("calcGrad, step and zeroGrad leave no tensors behind", () => {
  const model = new Sequential(new Linear(features, 3), relu, new Linear(3, 1));
  const [xb, yb] = batch();
  const opt = new BasicOptim(model.params, 0.1);
  const before = tf.memory().numTensors;
  calcGrad(xb, yb, model);
  calcGrad(xb, yb, model);
  assert.equal(tf.memory().numTensors, before + model.params.length);
  opt.step();
  opt.zeroGrad();
  assert.equal(tf.memory().numTensors, before);
  // Also inside a caller's tidy: the stored gradients survive it.
  tf.tidy(() => calcGrad(xb, yb, model));
  assert.equal(tf.memory().numTensors, before + model.params.length);
  assert.ok(!gradOf(model.params[0])!.isDisposed);
  zeroGrad(model.params);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("calcGrad explains a model without parameters and a loss that is not one number", () => {
  const [xb, yb] = batch();
  const noParams = new Sequential(relu);
  assert.throws(
    () => calcGrad(xb, yb, noParams),
    (e: unknown) => e instanceof LessonError && /initParams/.test(e.message),
  );
  const model = new Linear(features, 1);
  const perRow = (p: tf.Tensor2D, t: tf.Tensor2D) => p.sub(t).square();
  const before = tf.memory().numTensors;
  assert.throws(
    () => calcGrad(xb, yb, model, perRow),
    (e: unknown) =>
      e instanceof LessonError && /scalar.*\[6,1\].*mean/s.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before);
  assert.equal(gradOf(model.weight), null);
  tf.dispose([xb, yb, ...model.params]);
});

Deno.test("Momentum steps follow the running sum of gradients, and dispose frees it", () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const gradient = tf.tensor1d([1, -2]);
  const xb = tf.zeros([1, 1]) as tf.Tensor2D;
  // A model whose loss is w·gradient: its gradient with respect to w is constant.
  const model = () => w.mul(gradient).sum().reshape([1, 1]) as tf.Tensor2D;
  const total = (p: tf.Tensor2D) => p.sum();
  const before = tf.memory().numTensors;
  const opt = new Momentum([w], 0.1, 0.5);
  const step = () => {
    calcGrad(xb, xb, model, total);
    opt.step();
    opt.zeroGrad();
  };
  step(); // v = g, so w = [1, 2] - 0.1·[1, -2]
  assertClose(w.dataSync(), [0.9, 2.2], 1e-6);
  step(); // v = 0.5·g + g = 1.5·g
  assertClose(w.dataSync(), [0.75, 2.5], 1e-6);
  assert.equal(tf.memory().numTensors, before + 1, "one running sum");
  opt.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([w, gradient, xb]);
});

Deno.test("a momentum that is not a number from 0 to below 1 is an ArgumentError, at once", () => {
  const model = new Linear(2, 1);
  for (const beta of [NaN, -5, 1, 1.5, Infinity]) {
    const named = (e: Error) =>
      e instanceof ArgumentError &&
      e.message ===
        "momentum's beta is the share of the previous step each step keeps: " +
          `a number from 0 up to (not including) 1, such as 0.9; got ${beta}.`;
    assert.throws(() => momentum(beta), named);
    assert.throws(() => new Momentum(model.params, 0.1, beta), named);
  }
  assert.equal(new Momentum(model.params, 0.1, 0).beta, 0);
  tf.dispose([...model.params]);
});
