import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { ArgumentError, ShapeError } from "../lib/errors.ts";
import { Learner } from "../lib/learner.ts";
import { Linear, simpleNet } from "../lib/model.ts";
import { accuracy, crossEntropy, DIGITS, softmax } from "../lib/multiclass.ts";
import { SGD } from "../lib/optim.ts";
import { randn, setSeed } from "../lib/random.ts";
import { assertClose } from "./_assert.ts";

// References in float64, written from the formulas, independent of the library.
function softmax64(row: readonly number[]): number[] {
  const top = Math.max(...row);
  const exps = row.map((s) => Math.exp(s - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
/** Cross-entropy of flat scores (`classes` per row) against labels. */
function crossEntropy64(
  flat: readonly number[],
  labels: readonly number[],
  classes: number,
): number {
  let total = 0;
  labels.forEach((label, row) => {
    const p = softmax64(flat.slice(row * classes, (row + 1) * classes));
    total -= Math.log(p[label]);
  });
  return total / labels.length;
}

const classes = 4;
const scores = [
  [2.0, -1.0, 0.5, 0.1],
  [-0.3, 1.7, 0.2, -2.2],
  [0.0, 0.0, 0.0, 0.0],
  [3.1, 2.9, -1.0, 0.4],
  [-1.5, 0.3, 2.2, 1.1],
];
const labels = [0, 2, 3, 1, 2];

Deno.test("softmax: each row sums to 1, in (0, 1), ordered like the scores, as in float64", () => {
  const s = tf.tensor2d(scores);
  const p = softmax(s);
  const rows = p.arraySync();
  rows.forEach((row, i) => {
    assertClose(row, softmax64(scores[i]), 1e-6);
    assertClose([row.reduce((a, b) => a + b, 0)], [1], 1e-6);
  });
  assert.ok(rows[0][0] > rows[0][2] && rows[0][2] > rows[0][3]);
  tf.dispose([s, p]);
});

Deno.test("softmax stays finite for scores of ±1000, rows still summing to 1", () => {
  const s = tf.tensor2d([[1000, -1000, 0], [-1000, -1000, -1000], [
    1000,
    1000,
    -1000,
  ]]);
  const p = softmax(s);
  const values = p.dataSync();
  assert.ok(values.every(Number.isFinite), `not finite: ${values}`);
  assertClose(values, [1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0], 1e-6);
  tf.tidy(() => assertClose(p.sum(1).dataSync(), [1, 1, 1], 1e-6));
  tf.dispose([s, p]);
});

Deno.test("the sigmoid is the softmax of the two scores [s, 0]", () => {
  const zs = [-4, -0.5, 0, 2, 6];
  const s = tf.tensor2d(zs.map((z) => [z, 0]));
  const p = softmax(s);
  const first = p.arraySync().map((row) => row[0]);
  assertClose(first, zs.map((z) => 1 / (1 + Math.exp(-z))), 1e-6);
  tf.dispose([s, p]);
});

Deno.test("crossEntropy is the mean of -log p[label], and its gradient matches float64 central differences", () => {
  const flat = scores.flat();
  const t = tf.tensor2d(labels, [labels.length, 1]);
  const { value, grad } = tf.tidy(() => {
    const x = tf.tensor2d(scores);
    const r = tf.valueAndGrad((v: tf.Tensor) =>
      crossEntropy(v as tf.Tensor2D, t, classes) as tf.Scalar
    )(x);
    return { value: r.value.dataSync()[0], grad: r.grad.dataSync() };
  });
  assertClose([value], [crossEntropy64(flat, labels, classes)], 1e-6);
  const h = 1e-6;
  const numeric = flat.map((_, i) => {
    const up = flat.slice();
    const down = flat.slice();
    up[i] += h;
    down[i] -= h;
    return (crossEntropy64(up, labels, classes) -
      crossEntropy64(down, labels, classes)) / (2 * h);
  });
  assertClose(grad, numeric, 1e-5);
  // Not a tautology: the label's score is pushed up, the others down.
  assert.ok(grad[0] < 0 && grad[1] > 0);
  t.dispose();
});

Deno.test("crossEntropy stays finite for scores of ±1000: confidently wrong costs the gap", () => {
  const s = tf.tensor2d([[1000, -1000], [-1000, 1000]]);
  const t = tf.tensor1d([0, 0]);
  const loss = crossEntropy(s, t, 2);
  assertClose(loss.dataSync(), [2000 / 2], 1e-6);
  tf.dispose([s, t, loss]);
});

Deno.test("accuracy takes the highest score as the prediction (labels [n] or [n, 1])", () => {
  const s = tf.tensor2d(scores);
  const column = tf.tensor2d(labels, [labels.length, 1]);
  const flat = tf.tensor1d(labels);
  // Argmax per row: 0, 1, 0 (a tie: the first), 0, 2; right: rows 0 and 4.
  for (const t of [column, flat]) {
    const acc = accuracy(s, t, classes);
    assertClose(acc.dataSync(), [2 / 5], 1e-6);
    acc.dispose();
  }
  tf.dispose([s, column, flat]);
});

Deno.test("labels that are not whole numbers from 0 to 9 are refused, naming the first", () => {
  const s = tf.zeros([3, DIGITS]) as tf.Tensor2D;
  for (
    const [bad, row, value] of [
      [[3, 10, -1], 1, "10"],
      [[3, 7, -1], 2, "-1"],
      [[2.5, 1, 12], 0, "2.5"],
      [[0, NaN, 1], 1, "NaN"],
    ] as const
  ) {
    const t = tf.tensor1d([...bad]);
    const before = tf.memory().numTensors;
    for (const f of [crossEntropy, accuracy]) {
      assert.throws(() => f(s, t), (e: unknown) => {
        assert.ok(e instanceof ArgumentError, String(e));
        assert.match(
          e.message,
          new RegExp(`0 to 9; the label of row ${row} is ${value}\\.`),
        );
        return true;
      });
    }
    assert.equal(tf.memory().numTensors, before);
    t.dispose();
  }
  s.dispose();
});

Deno.test("a model whose output width is not the number of classes gets a ShapeError", () => {
  const t = tf.tensor1d([1, 2, 9]);
  for (const width of [1, 9, 11]) {
    const s = tf.zeros([3, width]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (const f of [crossEntropy, accuracy]) {
      assert.throws(() => f(s, t), (e: unknown) => {
        assert.ok(e instanceof ShapeError, String(e));
        assert.match(e.message, new RegExp(`\\[n, 10\\].*\\[3,${width}\\]`));
        return true;
      });
    }
    assert.equal(tf.memory().numTensors, before);
    s.dispose();
  }
  // And one label per row.
  const s = tf.zeros([3, DIGITS]) as tf.Tensor2D;
  const two = tf.tensor1d([1, 2]);
  assert.throws(() => crossEntropy(s, two), ShapeError);
  tf.dispose([t, s, two]);
});

Deno.test("softmax, crossEntropy and accuracy leave only their result behind, also when differentiated", () => {
  const s = tf.tensor2d(scores);
  const t = tf.tensor1d(labels);
  const before = tf.memory().numTensors;
  for (
    const f of [
      (x: tf.Tensor2D) => softmax(x),
      (x: tf.Tensor2D) => crossEntropy(x, t, classes),
      (x: tf.Tensor2D) => accuracy(x, t, classes),
    ]
  ) {
    const value = f(s);
    assert.equal(tf.memory().numTensors, before + 1);
    value.dispose();
  }
  const grad = tf.grad((x: tf.Tensor) =>
    crossEntropy(x as tf.Tensor2D, t, classes)
  )(s);
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([grad, s, t]);
});

/** Three classes of points around three centres, in 4 dimensions. */
function blobs(n: number): TensorDataset {
  const centres = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]];
  const noise = randn(n * 4, 0.5);
  const x = Array.from(
    { length: n * 4 },
    (_, i) => centres[Math.floor(i / 4) % 3][i % 4] + noise[i],
  );
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const [xt, yt] = [tf.tensor2d(x, [n, 4]), tf.tensor2d(y, [n, 1])];
  const dataset = new TensorDataset(xt, yt);
  tf.dispose([xt, yt]);
  return dataset;
}

Deno.test("Learner trains a 3-class linear model with crossEntropy and accuracy, freeing every tensor", async () => {
  setSeed(5);
  const dls = {
    train: new DataLoader(blobs(300), { batchSize: 32, shuffle: true }),
    valid: new DataLoader(blobs(150), { batchSize: 64 }),
  };
  const model = new Linear(4, 3);
  const learn = new Learner(
    dls,
    model,
    SGD,
    (p, t) => crossEntropy(p, t, 3),
    { accuracy: (p, t) => accuracy(p, t, 3) },
  );
  const before = tf.memory().numTensors;
  const records = await learn.fit(5, 0.5, {});
  assert.equal(tf.memory().numTensors, before);
  assert.ok(records[4].validLoss < records[0].trainLoss);
  assert.ok(
    records[4].metrics.accuracy > 0.9,
    `${records[4].metrics.accuracy}`,
  );
  tf.dispose([...model.params]);
});

Deno.test("Learner with crossEntropy refuses a one-output model on ten classes (ShapeError), changing nothing", async () => {
  setSeed(6);
  const x = tf.randomUniform([64, 784]) as tf.Tensor2D;
  const y = tf.tensor2d(Array.from({ length: 64 }, (_, i) => i % 10), [64, 1]);
  const dset = new TensorDataset(x, y);
  const dls = {
    train: new DataLoader(dset, { batchSize: 32 }),
    valid: new DataLoader(dset, { batchSize: 32 }),
  };
  const net = simpleNet();
  const weights = net.params.map((p) => p.dataSync().slice());
  const learn = new Learner(dls, net, SGD, crossEntropy, { accuracy });
  const before = tf.memory().numTensors;
  await assert.rejects(() => learn.fit(1, 0.1, {}), ShapeError);
  assert.equal(tf.memory().numTensors, before);
  net.params.forEach((p, i) => assert.deepEqual(p.dataSync(), weights[i]));
  tf.dispose([x, y, ...net.params]);
});
