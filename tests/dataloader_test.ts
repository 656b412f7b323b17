import "./_backend.ts";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type Batch, DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { ArgumentError, DataError, ShapeError } from "../lib/errors.ts";
import { Random, setSeed } from "../lib/random.ts";

const range = (n: number): number[] => [...Array(n).keys()];

Deno.test("batches hold batchSize items, and the last one what is left", () => {
  const dl = new DataLoader(range(15), { batchSize: 4 });
  assert.deepEqual([...dl].map((batch) => batch.length), [4, 4, 4, 3]);
  assert.equal(dl.length, 4);
});

Deno.test("without shuffling, batches keep the data set's order", () => {
  const dl = new DataLoader(range(7), { batchSize: 3 });
  assert.deepEqual([...dl], [[0, 1, 2], [3, 4, 5], [6]]);
});

Deno.test("a shuffled epoch covers every item exactly once", () => {
  const dl = new DataLoader(range(15), { batchSize: 5, shuffle: true });
  const seen = [...dl].flat();
  assert.notDeepEqual(seen, range(15), "the order should change");
  assert.deepEqual(seen.toSorted((a, b) => a - b), range(15));
});

Deno.test("each epoch draws a new order", () => {
  const dl = new DataLoader(range(30), { batchSize: 30, shuffle: true });
  assert.notDeepEqual([...dl][0], [...dl][0]);
});

Deno.test("the same seed gives the same batches, another seed others", () => {
  const batches = (
    seed: number,
  ) => [...new DataLoader(range(15), { batchSize: 5, shuffle: true, seed })];
  assert.deepEqual(batches(3), batches(3));
  assert.notDeepEqual(batches(3), batches(4));
});

Deno.test("without an explicit seed, setSeed makes the shuffle reproducible", () => {
  const epochs = () => {
    setSeed(7);
    const dl = new DataLoader(range(20), { batchSize: 6, shuffle: true });
    return [[...dl], [...dl]];
  };
  assert.deepEqual(epochs(), epochs());
});

Deno.test("the alphabet in batches of 6 ends with a batch of 2 pairs", () => {
  const pairs = [..."abcdefghijklmnopqrstuvwxyz"].map((c, i) =>
    [i, c] as const
  );
  const batches = [...new DataLoader(pairs, { batchSize: 6, shuffle: true })];
  assert.deepEqual(batches.map((b) => b.length), [6, 6, 6, 6, 2]);
  for (const [i, c] of batches.flat()) {
    assert.equal(c, String.fromCharCode(97 + i), "pairs stay together");
  }
});

Deno.test("a batch size that is not a whole number of at least 1 is refused", () => {
  for (const batchSize of [0, 2.5]) {
    assert.throws(
      () => new DataLoader(range(3), { batchSize }),
      (e: Error) =>
        e instanceof ArgumentError && e.message.includes(`${batchSize}`),
    );
  }
});

function toyTensors(rows: number): [tf.Tensor2D, tf.Tensor2D] {
  // Row i of x is [i, 10 i, 100 i]; its target is i: a batch shows which rows it holds.
  const x = tf.tensor2d(range(rows).flatMap((i) => [i, 10 * i, 100 * i]), [
    rows,
    3,
  ]);
  const y = tf.tensor2d(range(rows), [rows, 1]);
  return [x, y];
}

Deno.test("tensor batches pair each input row with its own target", () => {
  const [x, y] = toyTensors(10);
  const dl = new DataLoader(new TensorDataset(x, y), {
    batchSize: 4,
    shuffle: true,
    seed: 1,
  });
  const targets: number[] = [];
  for (const [xb, yb] of dl) {
    const xs = xb.arraySync();
    const ys = yb.dataSync();
    assert.deepEqual(xb.shape.slice(1), [3]);
    xs.forEach((row, k) =>
      assert.deepEqual(row, [ys[k], 10 * ys[k], 100 * ys[k]])
    );
    targets.push(...ys);
  }
  assert.deepEqual(targets.toSorted((a, b) => a - b), range(10));
  tf.dispose([x, y]);
});

Deno.test("the lesson's 12,396 rows make 49 batches of 256, the last of 108", () => {
  const x = tf.zeros([12396, 2]) as tf.Tensor2D;
  const y = tf.zeros([12396, 1]) as tf.Tensor2D;
  const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 256 });
  const sizes = [...dl].map(([xb]) => xb.shape[0]);
  assert.equal(sizes.length, 49);
  assert.equal(sizes.at(-1), 12396 - 48 * 256);
  tf.dispose([x, y]);
});

Deno.test("tensor batches are freed as the loop moves on, even after a break", () => {
  const [x, y] = toyTensors(10);
  const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 3 });
  const before = tf.memory().numTensors;
  for (const _ of dl) {
    assert.equal(tf.memory().numTensors, before + 2);
  }
  assert.equal(tf.memory().numTensors, before);
  for (const _ of dl) break;
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});

Deno.test("oneBatch returns a batch the caller owns and must dispose", () => {
  const [x, y] = toyTensors(10);
  const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 4 });
  const before = tf.memory().numTensors;
  const batch: Batch = dl.oneBatch();
  assert.deepEqual(batch[0].shape, [4, 3]);
  assert.deepEqual([...batch[1].dataSync()], [0, 1, 2, 3]);
  assert.equal(tf.memory().numTensors, before + 2);
  tf.dispose([...batch]);
  tf.dispose([x, y]);
});

Deno.test("a TensorDataset refuses inputs and targets of different lengths, naming both shapes", () => {
  const x = tf.zeros([5, 3]) as tf.Tensor2D;
  const y = tf.zeros([4, 1]) as tf.Tensor2D;
  assert.throws(() => new TensorDataset(x, y), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /x \[5,3\] and y \[4,1\]/);
    return true;
  });
  tf.dispose([x, y]);
});

Deno.test("batches of images (gray levels / 255) equal the rows of x, as do those of other data", () => {
  // On wasm, images are gathered from their nonzero gray levels, other data
  // as blocks of rows (lib/fast/gather.ts): either way a batch holds exactly
  // the rows asked for.
  const random = new Random(3);
  const levels = Array.from(
    { length: 40 * 784 },
    () => random.uniform() < 0.8 ? 0 : Math.floor(random.uniform() * 256),
  );
  const images = tf.tensor2d(levels.map((v) => v / 255), [40, 784]);
  const other = tf.tensor2d(levels.map((v) => v / 100), [40, 784]);
  const y = tf.zeros([40, 1]) as tf.Tensor2D;
  const indices = [39, 0, 7, 7, 21];
  for (const x of [images as tf.Tensor2D, other as tf.Tensor2D]) {
    const [xb, yb] = new TensorDataset(x, y).collate(indices);
    const expected = tf.gather(x, indices);
    assert.deepEqual(xb.dataSync(), expected.dataSync());
    tf.dispose([xb, yb, expected]);
  }
  tf.dispose([images, other, y]);
});

Deno.test("a TensorDataset keeps its own copies of x and y until disposed", () => {
  const [x, y] = toyTensors(5);
  const before = tf.memory().numTensors;
  const dset = new TensorDataset(x, y);
  assert.equal(tf.memory().numTensors, before + 2);
  const expected = x.arraySync().slice(3, 5);
  tf.dispose([x, y]);
  const [xb, yb] = dset.collate([3, 4]);
  assert.deepEqual(xb.arraySync(), expected);
  assert.deepEqual([...yb.dataSync()], [3, 4]);
  tf.dispose([xb, yb]);
  dset.dispose();
  assert.equal(tf.memory().numTensors, before - 2);
  assert.throws(() => dset.collate([0]), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /disposed.*make it again/);
    return true;
  });
});
