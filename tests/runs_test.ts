import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { TensorDataset } from "../lib/dataloader.ts";
import { Linear } from "../lib/model.ts";
import { randn, setSeed } from "../lib/random.ts";
import { lrSweep, meanStd, seedRuns, trainRun } from "../lib/runs.ts";
import { fastPieces } from "../lib/fast/speed.ts";
import { ArgumentError } from "../lib/errors.ts";

/** Points labelled by their side of a plane through the origin. */
function separable(n: number, seed: number): TensorDataset {
  setSeed(seed);
  const x = Array.from(randn(n * 6));
  const y = Array.from(
    { length: n },
    (_, i) => x[i * 6] - 2 * x[i * 6 + 1] + x[i * 6 + 2] > 0 ? 1 : 0,
  );
  const [xt, yt] = [tf.tensor2d(x, [n, 6]), tf.tensor2d(y, [n, 1])];
  const dataset = new TensorDataset(xt, yt);
  tf.dispose([xt, yt]);
  return dataset;
}

const data = { train: separable(300, 1), valid: separable(200, 2) };
const linear = () => new Linear(6, 1);

Deno.test("a run is decided by its seed: the same seed, the same model and accuracy", () => {
  const a = trainRun(linear, data, { epochs: 10, lr: 1, seed: 5 });
  const b = trainRun(linear, data, { epochs: 10, lr: 1, seed: 5 });
  const c = trainRun(linear, data, { epochs: 3, lr: 1, seed: 6 });
  assert.deepEqual(
    a.model.params[0].arraySync(),
    b.model.params[0].arraySync(),
  );
  assert.equal(a.accuracy, b.accuracy);
  assert.notDeepEqual(
    a.model.params[0].arraySync(),
    c.model.params[0].arraySync(),
  );
  assert.ok(a.accuracy > 0.9, `a separable set is learned: ${a.accuracy}`);
  assert.ok(a.secondsPerEpoch > 0);
  [a, b, c].forEach((run) => tf.dispose([...run.model.params]));
});

Deno.test("a plain run learns the same as a fast one, and turns the speed pieces back on", () => {
  const before = fastPieces();
  const fast = trainRun(linear, data, { epochs: 3, lr: 1, seed: 5 });
  const plain = trainRun(linear, data, {
    epochs: 3,
    lr: 1,
    seed: 5,
    plain: true,
  });
  assert.deepEqual(fastPieces(), before);
  const gap = tf.tidy(() =>
    fast.model.params[0].sub(plain.model.params[0]).abs().max().dataSync()[0]
  );
  assert.ok(gap < 1e-5, `weights differ by ${gap}`);
  assert.equal(fast.accuracy, plain.accuracy);
  [fast, plain].forEach((run) => tf.dispose([...run.model.params]));
});

Deno.test("a run whose loss diverges has accuracy NaN, and other rates still run", () => {
  const mse = (p: tf.Tensor2D, y: tf.Tensor2D) => p.sub(y).square().mean();
  const sweep = lrSweep(linear, data, [0.1, 1e30], {
    epochs: 2,
    seed: 3,
    lossFunc: mse,
  });
  assert.equal(sweep.length, 2);
  assert.equal(sweep[0].lr, 0.1);
  assert.ok(sweep[0].accuracy > 0.5);
  assert.ok(Number.isNaN(sweep[1].accuracy));
});

Deno.test("seedRuns gives one run per seed, with the mean and sample standard deviation", () => {
  const summary = seedRuns(linear, data, [1, 2, 3], { epochs: 2, lr: 1 });
  assert.equal(summary.runs.length, 3);
  assert.deepEqual(summary.accuracies, summary.runs.map((r) => r.accuracy));
  const { mean, std } = meanStd(summary.accuracies);
  assert.equal(summary.mean, mean);
  assert.equal(summary.std, std);
  summary.runs.forEach((run) => tf.dispose([...run.model.params]));
});

Deno.test("meanStd divides by n - 1, and refuses no values", () => {
  const { mean, std } = meanStd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(std - Math.sqrt(5 / 3)) < 1e-12);
  assert.deepEqual(meanStd([0.5]), { mean: 0.5, std: 0 });
  assert.throws(() => meanStd([]), ArgumentError);
  assert.throws(
    () => seedRuns(linear, data, [], { epochs: 1, lr: 1 }),
    ArgumentError,
  );
  assert.throws(
    () => trainRun(linear, data, { epochs: 0, lr: 1, seed: 1 }),
    ArgumentError,
  );
});

Deno.test("runs leave no tensor behind but their models", () => {
  const before = tf.memory().numTensors;
  const run = trainRun(linear, data, { epochs: 2, lr: 1, seed: 1 });
  lrSweep(linear, data, [0.5, 1], { epochs: 1, seed: 1 });
  tf.dispose([...run.model.params]);
  assert.equal(tf.memory().numTensors, before);
});
