import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  countParams,
  initParams,
  Linear,
  type Module,
  predict,
  relu,
  Sequential,
  simpleNet,
} from "../lib/model.ts";
import { ArgumentError, ShapeError } from "../lib/errors.ts";
import { randn, setSeed } from "../lib/random.ts";
import { item, round } from "../lib/tensors.ts";
import { assertClose } from "./_assert.ts";

/** `x·W + b` in float64, from the plain arrays. */
function affine64(
  x: number[][],
  w: number[][],
  b: number[],
): number[][] {
  return x.map((row) =>
    b.map((bj, j) => row.reduce((sum, xi, i) => sum + xi * w[i][j], bj))
  );
}

function disposeModule(module: Module): void {
  tf.dispose([...module.params]);
}

Deno.test("initParams fills a trainable variable with seeded normal draws times std", () => {
  setSeed(7);
  const p = initParams([3, 2], 0.5);
  setSeed(7);
  const expected = randn(6, 0.5);
  assert.deepEqual(p.shape, [3, 2]);
  assert.ok(p.trainable);
  assert.deepEqual(p.dataSync(), expected);
  const q = initParams([3, 2], 0.5);
  assert.notDeepEqual(q.dataSync(), p.dataSync());
  tf.dispose([p, q]);
});

Deno.test("Linear(nIn, nOut) holds weight [nIn, nOut] and bias [nOut], uniform in ±1/√nIn", () => {
  setSeed(1);
  const layer = new Linear(16, 4);
  assert.deepEqual(layer.weight.shape, [16, 4]);
  assert.deepEqual(layer.bias.shape, [4]);
  assert.deepEqual(layer.params, [layer.weight, layer.bias]);
  const values = [...layer.weight.dataSync(), ...layer.bias.dataSync()];
  assert.ok(values.every((v) => Math.abs(v) <= 0.25));
  // Spread over the whole interval, on both sides.
  assert.ok(Math.max(...values) > 0.2 && Math.min(...values) < -0.2);
  disposeModule(layer);
});

Deno.test("Linear refuses a whole number of inputs or outputs below 1", () => {
  assert.throws(
    () => new Linear(0, 1),
    (e: Error) => e instanceof ArgumentError && /nIn is 0/.test(e.message),
  );
  assert.throws(
    () => new Linear(3, 1.5),
    (e: Error) => e instanceof ArgumentError && /nOut is 1.5/.test(e.message),
  );
});

Deno.test("Linear computes x·W + b", () => {
  const layer = new Linear(3, 2);
  const rows = [[1, 2, 3], [-1, 0.5, 2]];
  const x = tf.tensor2d(rows);
  const y = layer.forward(x);
  const w = layer.weight.arraySync() as number[][];
  const b = layer.bias.arraySync() as number[];
  assertClose(y.dataSync(), affine64(rows, w, b).flat(), 1e-6);
  tf.dispose([x, y]);
  disposeModule(layer);
});

for (const nOut of [1, 3]) {
  Deno.test(`Linear's gradients (${nOut} output${nOut > 1 ? "s" : ""}) equal TensorFlow.js's own for x·W + b, inputs included`, () => {
    const layer = new Linear(5, nOut);
    const x = tf.tensor2d(randn(20), [4, 5]);
    const r = tf.tensor2d(randn(4 * nOut), [4, nOut]); // uneven weights
    const params = [...layer.params];
    const gradients = (f: (x: tf.Tensor2D) => tf.Tensor) => {
      const loss = (x: tf.Tensor2D) => f(x).mul(r).sum() as tf.Scalar;
      const { value, grads } = tf.variableGrads(() => loss(x), params);
      const dx = tf.grad((x: tf.Tensor) => loss(x as tf.Tensor2D))(x);
      value.dispose();
      return [dx, grads[layer.weight.name], grads[layer.bias.name]];
    };
    const ours = gradients((x) => layer.forward(x));
    const theirs = gradients((x) => x.matMul(layer.weight).add(layer.bias));
    ours.forEach((grad, i) => {
      assert.deepEqual(grad.shape, theirs[i].shape);
      assertClose(grad.dataSync(), theirs[i].dataSync(), 1e-5);
    });
    tf.dispose([x, r, ...ours, ...theirs]);
    disposeModule(layer);
  });
}

Deno.test("Linear refuses a batch of the wrong width, with a ShapeError naming both", () => {
  const layer = new Linear(784, 1);
  const images = tf.zeros([2, 28, 28]) as unknown as tf.Tensor2D;
  assert.throws(
    () => layer.forward(images),
    (e: unknown) =>
      e instanceof ShapeError && /\[n, 784\].*\[2,28,28\]/.test(e.message),
  );
  tf.dispose(images);
  disposeModule(layer);
});

Deno.test("relu zeroes the negatives and keeps the rest", () => {
  const x = tf.tensor2d([[-2, -0.5, 0, 0.5, 3]]);
  const y = relu(x);
  assert.deepEqual(y.dataSync(), new Float32Array([0, 0, 0, 0.5, 3]));
  tf.dispose([x, y]);
});

Deno.test("predict runs a plain function or a module's forward", () => {
  const x = tf.tensor2d([[-1, 2]]);
  const double = (t: tf.Tensor2D) => t.mul(2) as tf.Tensor2D;
  const module: Module = { forward: (t) => t.neg(), params: [] };
  const a = predict(double, x);
  const b = predict(module, x);
  assert.deepEqual(a.dataSync(), new Float32Array([-2, 4]));
  assert.deepEqual(b.dataSync(), new Float32Array([1, -2]));
  tf.dispose([x, a, b]);
});

Deno.test("Sequential applies its layers in order and lists the modules' parameters", () => {
  const first = new Linear(2, 3);
  const second = new Linear(3, 1);
  const net = new Sequential(first, relu, second);
  assert.deepEqual(net.params, [...first.params, ...second.params]);
  const rows = [[0.5, -1], [2, 1]];
  const x = tf.tensor2d(rows);
  const y = net.forward(x);
  const hidden = affine64(
    rows,
    first.weight.arraySync() as number[][],
    first.bias.arraySync() as number[],
  ).map((row) => row.map((v) => Math.max(v, 0)));
  const expected = affine64(
    hidden,
    second.weight.arraySync() as number[][],
    second.bias.arraySync() as number[],
  );
  assertClose(y.dataSync(), expected.flat(), 1e-6);
  tf.dispose([x, y]);
  disposeModule(net);
});

Deno.test("two linear layers without a non-linearity collapse into one: x·(W1·W2) + (b1·W2 + b2)", () => {
  const first = new Linear(4, 3);
  const second = new Linear(3, 2);
  const net = new Sequential(first, second);
  const x = tf.tensor2d(randn(20, 3), [5, 4]);
  const y = net.forward(x);
  const collapsed = tf.tidy(() => {
    const w = first.weight.matMul(second.weight);
    const b = first.bias.reshape([1, 3]).matMul(second.weight).add(
      second.bias,
    );
    return x.matMul(w).add(b);
  });
  assertClose(y.dataSync(), collapsed.dataSync(), 1e-5);
  // With a ReLU between them, they no longer collapse.
  const bent = new Sequential(first, relu, second).forward(x);
  const gap = tf.tidy(() => bent.sub(collapsed).abs().max().dataSync()[0]);
  assert.ok(gap > 1e-3, `ReLU changed the outputs by only ${gap}`);
  tf.dispose([x, y, collapsed, bent]);
  disposeModule(net);
});

Deno.test("simpleNet maps [n, 784] to [n, 1] through 30 hidden units: 23,581 parameters", () => {
  const net = simpleNet();
  assert.deepEqual(net.params.map((p) => p.shape), [
    [784, 30],
    [30],
    [30, 1],
    [1],
  ]);
  assert.equal(countParams(net), 784 * 30 + 30 + 30 + 1);
  assert.equal(countParams(net), 23_581);
  const x = tf.zeros([3, 784]) as tf.Tensor2D;
  const y = net.forward(x);
  assert.deepEqual(y.shape, [3, 1]);
  tf.dispose([x, y]);
  disposeModule(net);
});

Deno.test("countParams adds up the sizes of a list of variables: 784 weights and 1 bias", () => {
  const weights = initParams([784, 1]);
  const bias = initParams([1]);
  assert.equal(countParams([weights, bias]), 785);
  tf.dispose([weights, bias]);
});

Deno.test("the same seed gives the same weights, another seed other weights", () => {
  setSeed(3);
  const a = simpleNet();
  setSeed(3);
  const b = simpleNet();
  setSeed(4);
  const c = simpleNet();
  a.params.forEach((p, i) => {
    assert.deepEqual(p.dataSync(), b.params[i].dataSync());
    assert.notDeepEqual(p.dataSync(), c.params[i].dataSync());
  });
  [a, b, c].forEach(disposeModule);
});

Deno.test("building, running and disposing models leaves no tensors behind", () => {
  const before = tf.memory().numTensors;
  const x = tf.ones([2, 784]) as tf.Tensor2D;
  const net = simpleNet();
  const y = predict(net, x);
  const g = tf.grad((x: tf.Tensor) => net.forward(x as tf.Tensor2D).sum())(x);
  tf.dispose([x, y, g]);
  disposeModule(net);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("item reads a one-element tensor, round rounds to 4 decimals", () => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const total = tf.tensor([1, 2, 3]).sum();
    assert.equal(item(total), 6);
    assert.equal(round(total.div(7)), 0.8571);
    assert.throws(() => item(tf.tensor([1, 2])), ShapeError);
  });
  assert.equal(round(2 / 3, 2), 0.67);
  assert.equal(round(0.951128), 0.9511);
  assert.equal(tf.memory().numTensors, before);
});
