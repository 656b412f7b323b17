import "./_backend.ts";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Conv2d, convNet } from "../lib/conv.ts";
import { ShapeError } from "../lib/errors.ts";
import { countParams } from "../lib/model.ts";
import { calcGrad, gradOf, zeroGrad } from "../lib/optim.ts";
import { setSeed } from "../lib/random.ts";
import { fastPieces, setFast } from "../lib/fast/speed.ts";
import { assertClose } from "./_assert.ts";

Deno.test("a Conv2d computes what tf.conv2d computes with the same filters, stride = kernel", () => {
  setSeed(3);
  const conv = new Conv2d({ height: 5, width: 5, channels: 2 }, 3);
  const x = tf.randomUniform([2, 5 * 5 * 2], 0, 1, "float32", 1) as tf.Tensor2D;
  const ours = conv.forward(x);
  const theirs = tf.tidy(() => {
    const images = x.reshape([2, 5, 5, 2]).pad([[0, 0], [0, 1], [0, 1], [
      0,
      0,
    ]]);
    const filters = conv.weight.reshape([2, 2, 2, 3]) as tf.Tensor4D;
    return tf.conv2d(images as tf.Tensor4D, filters, 2, "valid").add(conv.bias)
      .reshape([2, 3 * 3 * 3]);
  });
  assert.deepEqual(conv.output, { height: 3, width: 3, channels: 3 });
  assert.deepEqual(ours.shape, [2, 27]);
  assertClose(ours.dataSync(), theirs.dataSync(), 1e-5);
  tf.dispose([x, ours, theirs, ...conv.params]);
});

Deno.test('overlapping windows compute what tf.conv2d computes with "same" padding', () => {
  setSeed(8);
  const conv = new Conv2d({ height: 6, width: 6, channels: 2 }, 3, {
    kernel: 3,
    stride: 2,
  });
  const x = tf.randomUniform([2, 6 * 6 * 2], 0, 1, "float32", 4) as tf.Tensor2D;
  const ours = conv.forward(x);
  const theirs = tf.tidy(() => {
    const filters = conv.weight.reshape([3, 3, 2, 3]) as tf.Tensor4D;
    const images = x.reshape([2, 6, 6, 2]) as tf.Tensor4D;
    return tf.conv2d(images, filters, 2, "same").add(conv.bias).reshape([
      2,
      27,
    ]);
  });
  assert.deepEqual(conv.output, { height: 3, width: 3, channels: 3 });
  assertClose(ours.dataSync(), theirs.dataSync(), 1e-5);
  tf.dispose([x, ours, theirs, ...conv.params]);
});

Deno.test("a Conv2d's weight gradient matches finite differences", () => {
  setSeed(4);
  const conv = new Conv2d({ height: 4, width: 4, channels: 1 }, 2);
  const x = tf.randomUniform([3, 16], 0, 1, "float32", 2) as tf.Tensor2D;
  const loss = (predictions: tf.Tensor2D) => predictions.square().mean();
  calcGrad(x, x, conv, loss); // targets are unused by this loss
  const analytic = gradOf(conv.weight)!.dataSync().slice();
  const w = conv.weight.dataSync().slice();
  const numeric = w.map((_, i) => {
    const at = (delta: number) =>
      tf.tidy(() => {
        const moved = w.slice();
        moved[i] += delta;
        conv.weight.assign(
          tf.tensor2d(moved, conv.weight.shape as [number, number]),
        );
        return loss(conv.forward(x)).dataSync()[0];
      });
    const slope = (at(1e-2) - at(-1e-2)) / 2e-2;
    conv.weight.assign(tf.tensor2d(w, conv.weight.shape as [number, number]));
    return slope;
  });
  assertClose(analytic, numeric, 2e-3);
  zeroGrad(conv.params);
  tf.dispose([x, ...conv.params]);
});

Deno.test("gradients flow through a Conv2d to the layer below", () => {
  setSeed(5);
  const conv = new Conv2d({ height: 4, width: 4, channels: 1 }, 2);
  const x = tf.randomUniform([1, 16], 0, 1, "float32", 3) as tf.Tensor2D;
  const dx = tf.grad((input) => conv.forward(input as tf.Tensor2D).sum())(x);
  // d(sum)/dx at a pixel is the sum of the weights that read it: the row of
  // the weight matrix for that pixel's place in its 2×2 block.
  const w = conv.weight.arraySync() as number[][];
  const expected = [...Array(16).keys()].map((p) => {
    const row = Math.floor(p / 4) % 2, column = (p % 4) % 2;
    return w[row * 2 + column].reduce((a, b) => a + b, 0);
  });
  assertClose(dx.dataSync(), expected, 1e-5);
  tf.dispose([x, dx, ...conv.params]);
});

Deno.test("a Conv2d names the shape it expects when given another", () => {
  const conv = new Conv2d({ height: 28, width: 28, channels: 1 }, 4);
  const x = tf.zeros([2, 100]) as tf.Tensor2D;
  assert.throws(() => conv.forward(x), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /28×28×1 .*\[n, 784\].*\[2,100\]/);
    return true;
  });
  tf.dispose([x, ...conv.params]);
});

Deno.test("convNet maps digits to one output with 3,329 parameters", () => {
  setSeed(6);
  const net = convNet();
  const x = tf.zeros([3, 784]) as tf.Tensor2D;
  const y = net.forward(x);
  assert.deepEqual(y.shape, [3, 1]);
  assert.equal(
    countParams(net),
    (25 * 8 + 8) + (32 * 16 + 16) + (64 * 32 + 32) + (512 + 1),
  );
  tf.dispose([x, y, ...net.params]);
});

Deno.test("training a convNet leaves no tensor behind", () => {
  setSeed(7);
  const net = convNet();
  const x = tf.zeros([3, 784]) as tf.Tensor2D;
  const y = tf.zeros([3, 1]) as tf.Tensor2D;
  net.forward(x).dispose(); // first use: TensorFlow.js sets up its kernels
  const before = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    calcGrad(x, y, net);
    zeroGrad(net.params);
  }
  net.forward(x).dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y, ...net.params]);
});

Deno.test("convNet's loss and gradients are the same with every speed piece on and off", () => {
  setSeed(12);
  const net = convNet();
  const random = tf.randomUniform([6, 784], 0, 1, "float32", 5);
  const x = tf.tidy(() => random.mul(random.greater(0.8))) as tf.Tensor2D;
  const y = tf.tensor2d([1, 0, 1, 1, 0, 0], [6, 1]);
  const gradients = (on: boolean) => {
    const pieces = fastPieces();
    setFast(
      Object.fromEntries(Object.keys(pieces).map((name) => [name, on])),
    );
    const tensors = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(
      () => net.forward(x).sub(y).square().mean() as tf.Scalar,
      [...net.params],
    );
    const out = [value, ...net.params.map((p) => grads[p.name])]
      .map((t) => t.dataSync());
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, tensors);
    setFast(pieces);
    return out;
  };
  const [on, off] = [gradients(true), gradients(false)];
  assert.equal(on.length, 1 + net.params.length);
  for (const [i, values] of on.entries()) assertClose(values, off[i], 1e-4);
  tf.dispose([random, x, y, ...net.params]);
});
