import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import {
  type EpochRecord,
  Learner,
  trainEpoch,
  validateEpoch,
} from "../lib/learner.ts";
import { batchAccuracy, mnistLoss, mseLoss } from "../lib/loss.ts";
import { initParams, Linear, type Module } from "../lib/model.ts";
import { BasicOptim, gradOf, SGD } from "../lib/optim.ts";
import { randn, setSeed } from "../lib/random.ts";
import {
  ArgumentError,
  DataError,
  LessonError,
  TrainingError,
} from "../lib/errors.ts";

const features = 8;

/**
 * A linearly separable problem: points whose side of a fixed plane through
 * the origin, at a distance of at least 0.3, is the label (1 above).
 */
function separable(n: number): TensorDataset {
  const normal = [1, -2, 0.5, 1.5, -1, 0.8, -0.3, 1.2];
  const x: number[] = [];
  const y: number[] = [];
  while (y.length < n) {
    const point = Array.from(randn(features));
    const side = point.reduce((s, v, i) => s + v * normal[i], 0);
    if (Math.abs(side) < 0.3) continue;
    x.push(...point);
    y.push(side > 0 ? 1 : 0);
  }
  const [xt, yt] = [tf.tensor2d(x, [n, features]), tf.tensor2d(y, [n, 1])];
  const dataset = new TensorDataset(xt, yt);
  tf.dispose([xt, yt]);
  return dataset;
}

function loaders(seed: number) {
  setSeed(seed);
  return {
    train: new DataLoader(separable(400), { batchSize: 32, shuffle: true }),
    valid: new DataLoader(separable(200), { batchSize: 64 }),
  };
}

/** A Linear(1, 1) whose output is its input: a threshold at 0. */
function identity(): Linear {
  const layer = new Linear(1, 1);
  layer.weight.assign(tf.ones([1, 1]));
  layer.bias.assign(tf.zeros([1]));
  return layer;
}

function dataset(x: number[], y: number[]): TensorDataset {
  const [xt, yt] = [
    tf.tensor2d(x, [x.length, 1]),
    tf.tensor2d(y, [y.length, 1]),
  ];
  const d = new TensorDataset(xt, yt);
  tf.dispose([xt, yt]);
  return d;
}

function withoutSeconds(records: readonly EpochRecord[]) {
  return records.map(({ seconds: _, ...rest }) => rest);
}

const quiet = { onEpoch: () => {} };

Deno.test("validateEpoch is the accuracy over all rows, not the mean of batch accuracies, to 4 decimals", () => {
  // Batches of 4: the first 3 of 4 right (0.75), the second 1 of 3 (0.3333).
  const x = [1, 1, 1, 1, -1, -1, -1];
  const y = [1, 1, 1, 0, 0, 1, 1];
  const model = identity();
  const dl = new DataLoader(dataset(x, y), { batchSize: 4 });
  assert.equal(validateEpoch(model, dl), 0.5714); // 4 / 7, not 0.5417
  tf.dispose([...model.params]);
});

Deno.test("validateEpoch takes another metric", () => {
  const model = identity();
  const dl = new DataLoader(dataset([0, 1, 3], [0, 0, 0]), { batchSize: 2 });
  assert.equal(validateEpoch(model, dl, mseLoss), 3.3333); // (0 + 1 + 9) / 3
  tf.dispose([...model.params]);
});

Deno.test("trainEpoch returns the loss over all rows, each batch weighted by its size", () => {
  setSeed(5);
  const data = separable(10);
  const model = new Linear(features, 1);
  // With an optimizer that never steps the parameters stay, so the epoch's
  // loss is the full set's.
  const dl = new DataLoader(data, { batchSize: 4 }); // batches of 4, 4, 2
  const frozen = Object.assign(new BasicOptim(model.params, 1), {
    step() {},
  });
  const loss = trainEpoch(model, dl, frozen);
  const [x, y] = data.collate([...Array(10).keys()]);
  const expected = tf.tidy(() => mnistLoss(model.forward(x), y).dataSync()[0]);
  assert.ok(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
  tf.dispose([x, y, ...model.params]);
});

Deno.test("trainEpoch trains the lesson's hand-made linear function and zeroes the gradients", () => {
  const dls = loaders(2);
  const weights = initParams([features, 1]);
  const bias = initParams([1]);
  const linear1 = (xb: tf.Tensor2D) =>
    xb.matMul(weights).add(bias) as tf.Tensor2D;
  const opt = new BasicOptim([weights, bias], 1);
  const before = validateEpoch(linear1, dls.valid);
  const losses = [...Array(10).keys()].map(() =>
    trainEpoch(linear1, dls.train, opt)
  );
  const after = validateEpoch(linear1, dls.valid);
  assert.ok(losses[9] < losses[0], `losses ${losses}`);
  assert.ok(after > before && after > 0.9, `accuracy ${before} → ${after}`);
  assert.equal(gradOf(weights), null);
  tf.dispose([weights, bias]);
});

Deno.test("a Learner fits a linearly separable problem to over 0.99 accuracy", async () => {
  const dls = loaders(1);
  const learn = new Learner(dls, new Linear(features, 1));
  const records = await learn.fit(10, 1, quiet);
  const last = records[records.length - 1];
  assert.ok(last.metrics.accuracy > 0.99, `accuracy ${last.metrics.accuracy}`);
  assert.ok(last.trainLoss < records[0].trainLoss);
  assert.equal(
    validateEpoch(learn.model, dls.valid),
    round4(last.metrics.accuracy),
  );
  tf.dispose([...learn.model.params]);
});

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

Deno.test("fit records each epoch, calls onEpoch with it, keeps the records in recorder", async () => {
  const dls = loaders(1);
  const learn = new Learner(dls, new Linear(features, 1), SGD, mnistLoss, {
    accuracy: batchAccuracy,
    mse: mseLoss,
  });
  const seen: EpochRecord[] = [];
  const records = await learn.fit(3, 0.5, {
    onEpoch: (r) => void seen.push(r),
  });
  assert.deepEqual(seen, records);
  assert.deepEqual(learn.recorder, records);
  assert.deepEqual(records.map((r) => r.epoch), [0, 1, 2]);
  for (const r of records) {
    assert.deepEqual(Object.keys(r.metrics), ["accuracy", "mse"]);
    assert.ok(r.seconds > 0 && r.seconds < 5);
    assert.ok(r.trainLoss > 0 && r.validLoss > 0);
  }
  // The validation loss and metrics are those of the model after the epoch.
  const last = records[2];
  assert.equal(
    round4(last.validLoss),
    validateEpoch(learn.model, dls.valid, mnistLoss),
  );
  assert.equal(
    round4(last.metrics.mse),
    validateEpoch(learn.model, dls.valid, mseLoss),
  );
  // A second fit goes on from there, with a new record list and the new lr.
  const more = await learn.fit(1, 0.1, quiet);
  assert.equal(learn.opt?.lr, 0.1);
  assert.deepEqual(learn.recorder, more);
  assert.equal(more[0].epoch, 0);
  tf.dispose([...learn.model.params]);
});

Deno.test("fit awaits an asynchronous onEpoch before the next epoch", async () => {
  const dls = loaders(1);
  const learn = new Learner(dls, new Linear(features, 1));
  const events: string[] = [];
  await learn.fit(2, 1, {
    onEpoch: async (r) => {
      events.push(`start ${r.epoch}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${r.epoch}`);
    },
  });
  assert.deepEqual(events, ["start 0", "end 0", "start 1", "end 1"]);
  tf.dispose([...learn.model.params]);
});

Deno.test("fit without onEpoch prints a header, then a row per epoch", async () => {
  const dls = loaders(1);
  const learn = new Learner(dls, new Linear(features, 1));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await learn.fit(2, 1);
  } finally {
    console.log = log;
  }
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^epoch\s+trainLoss\s+validLoss\s+accuracy\s+time$/,
  );
  const r = learn.recorder[1];
  assert.match(
    lines[2],
    new RegExp(
      `^1\\s+${r.trainLoss.toFixed(6)}\\s+${r.validLoss.toFixed(6)}\\s+` +
        `${r.metrics.accuracy.toFixed(6)}\\s+\\d+\\.\\d\\d s$`,
    ),
  );
  tf.dispose([...learn.model.params]);
});

Deno.test("the same seed gives the same records; another seed, another start", async () => {
  const run = async (seed: number) => {
    const dls = loaders(seed);
    const model = new Linear(features, 1);
    const initial = Array.from(model.weight.dataSync());
    const records = await new Learner(dls, model).fit(3, 1, quiet);
    tf.dispose([...model.params]);
    return { initial, records: withoutSeconds(records) };
  };
  const [a, b, c] = [await run(9), await run(9), await run(10)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.initial, c.initial);
  assert.notDeepEqual(a.records, c.records);
});

Deno.test("trainEpoch, validateEpoch and fit leave no tensors behind", async () => {
  const dls = loaders(3);
  const model: Module = new Linear(features, 1);
  const before = tf.memory().numTensors;
  trainEpoch(model, dls.train, SGD(model.params, 1));
  assert.equal(tf.memory().numTensors, before);
  validateEpoch(model, dls.valid);
  assert.equal(tf.memory().numTensors, before);
  await new Learner(dls, model).fit(2, 1, quiet);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...model.params]);
});

Deno.test("the synthetic problem is not trivial: random weights get about half right", () => {
  setSeed(4);
  const dl = new DataLoader(separable(200), { batchSize: 64 });
  const model = new Linear(features, 1);
  const accuracy = validateEpoch(model, dl);
  assert.ok(accuracy > 0.2 && accuracy < 0.8, `accuracy ${accuracy}`);
  tf.dispose([...model.params]);
});

// Training faults: each is refused or stopped with an error that says what
// to do, and leaves no tensor behind.

Deno.test("fit refuses an epoch count that is not a whole number of at least 1, naming it", async () => {
  const learn = new Learner(loaders(1), new Linear(features, 1));
  const before = tf.memory().numTensors;
  for (const epochs of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      () => learn.fit(epochs, 0.1, { onEpoch: () => {} }),
      (e: Error) =>
        e instanceof ArgumentError &&
        e.message.includes(`whole number of epochs`) &&
        e.message.includes(`got ${epochs}.`),
    );
  }
  assert.equal(learn.recorder.length, 0);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...learn.model.params]);
});

Deno.test("fit and trainEpoch refuse a learning rate that is not a finite number above 0", async () => {
  const dls = loaders(1);
  const learn = new Learner(dls, new Linear(features, 1));
  for (const lr of [NaN, Infinity, -Infinity, 0, -0.1]) {
    await assert.rejects(
      () => learn.fit(1, lr, { onEpoch: () => {} }),
      (e: Error) =>
        e instanceof ArgumentError && e.message.includes(`got ${lr}.`),
    );
    assert.throws(
      () =>
        trainEpoch(
          learn.model,
          dls.train,
          new BasicOptim(learn.model.params, lr),
        ),
      (e: Error) =>
        e instanceof ArgumentError && /^trainEpoch needs a learning rate/.test(
          e.message,
        ),
    );
  }
  assert.equal(learn.recorder.length, 0);
  tf.dispose([...learn.model.params]);
});

Deno.test("a loss that becomes NaN stops fit with a TrainingError naming the epoch and batch", async () => {
  const learn = new Learner(loaders(1), new Linear(features, 1), SGD, mseLoss);
  const before = tf.memory().numTensors;
  // Mean squared error on this problem diverges with steps this large.
  await assert.rejects(
    () => learn.fit(5, 1e6, { onEpoch: () => {} }),
    (e: Error) =>
      e instanceof TrainingError &&
      /^Epoch \d+: The loss became (NaN|Infinity) at batch \d+ of 13/.test(
        e.message,
      ) && /smaller learning rate/.test(e.message),
  );
  // The parameters were not stepped by the broken batch, and no gradient
  // is left over.
  assert.ok(learn.model.params.every((p) => gradOf(p) === null));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...learn.model.params]);
});

Deno.test("a loss function that throws leaves no tensor behind", async () => {
  const learn = new Learner(
    loaders(1),
    new Linear(features, 1),
    SGD,
    () => {
      throw new Error("a broken loss function");
    },
  );
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => learn.fit(1, 0.1, { onEpoch: () => {} }),
    /a broken loss function/,
  );
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...learn.model.params]);
});

Deno.test("fitting a model whose parameters were disposed is an ArgumentError, not a TypeError", async () => {
  const dls = loaders(1);
  const model = new Linear(features, 1);
  tf.dispose([...model.params]);
  const before = tf.memory().numTensors;
  const learn = new Learner(dls, model);
  const named = (e: Error) =>
    e instanceof ArgumentError && e instanceof LessonError &&
    /parameter 0 .* was disposed/.test(e.message);
  await assert.rejects(() => learn.fit(1, 0.1, { onEpoch: () => {} }), named);
  assert.throws(
    () => trainEpoch(model, dls.train, new BasicOptim(model.params, 0.1)),
    named,
  );
  assert.equal(tf.memory().numTensors, before);
});

function assertOptimizerRefused(fn: () => unknown, ...words: string[]) {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ArgumentError, `expected an ArgumentError: ${e}`);
    for (const word of words) {
      assert.ok(e.message.includes(word), `"${e.message}" lacks "${word}"`);
    }
    assert.match(e.message, /new BasicOptim\(model\.params, lr\)/);
    return true;
  });
}

Deno.test("an optimizer of another model's parameters is refused, naming the parameter, before any step", () => {
  const dls = loaders(2);
  const model = new Linear(features, 1), other = new Linear(features, 1);
  const before = tf.memory().numTensors;
  const weights = Array.from(model.weight.dataSync());
  assertOptimizerRefused(
    () => trainEpoch(model, dls.train, new BasicOptim(other.params, 0.1)),
    "trainEpoch's optimizer holds parameter 0",
    `shape [${features},1]`,
    "not one of the model's parameters",
  );
  assertOptimizerRefused(
    () => trainEpoch(model, dls.train, new BasicOptim([model.weight], 0.1)),
    "The model's parameter 1",
    "is not in trainEpoch's optimizer",
  );
  assert.deepEqual(Array.from(model.weight.dataSync()), weights);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([...model.params, ...other.params]);
});

Deno.test("an optimizer holding disposed parameters is refused, naming the parameter", () => {
  const dls = loaders(3);
  const model = new Linear(features, 1), old = new Linear(features, 1);
  const opt = new BasicOptim(old.params, 0.1);
  tf.dispose([...old.params]);
  assertOptimizerRefused(
    () => trainEpoch(model, dls.train, opt),
    "trainEpoch's optimizer holds parameter 0",
    "which was disposed",
  );
  tf.dispose([...model.params]);
});

Deno.test("a function model whose optimizer holds parameters it does not use is refused after one batch, with no gradient left", () => {
  const dls = loaders(4);
  const weights = initParams([features, 1]), bias = initParams([1]);
  const others = [initParams([features, 1]), initParams([1])];
  const linear1 = (xb: tf.Tensor2D) =>
    xb.matMul(weights).add(bias) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const kept = Array.from(others[0].dataSync());
  assertOptimizerRefused(
    () => trainEpoch(linear1, dls.train, new BasicOptim(others, 0.1)),
    "trainEpoch's optimizer holds parameter 0",
    "got no gradient from the loss",
  );
  assert.equal(gradOf(weights), null, "the model's gradients were zeroed");
  assert.deepEqual(Array.from(others[0].dataSync()), kept);
  assert.equal(tf.memory().numTensors, before);
  // The optimizer of the model's own parameters trains.
  const loss = trainEpoch(
    linear1,
    dls.train,
    new BasicOptim([weights, bias], 0.1),
  );
  assert.ok(Number.isFinite(loss));
  tf.dispose([weights, bias, ...others]);
});

Deno.test("an empty training or validation set is an ArgumentError, not NaN losses", async () => {
  const empty = new TensorDataset(
    tf.zeros([0, features]) as tf.Tensor2D,
    tf.zeros([0, 1]) as tf.Tensor2D,
  );
  const full = loaders(5);
  const none = new DataLoader(empty, { batchSize: 32 });
  const model = new Linear(features, 1);
  const refused = (which: string) => (e: Error) =>
    e instanceof ArgumentError &&
    e.message.includes(
      `got an empty ${which} set (its DataLoader holds 0 rows)`,
    );
  assert.throws(
    () => trainEpoch(model, none, new BasicOptim(model.params, 0.1)),
    refused("training"),
  );
  assert.throws(() => validateEpoch(model, none), refused("validation"));
  await assert.rejects(
    new Learner({ train: none, valid: full.valid }, model).fit(1, 0.1, {}),
    refused("training"),
  );
  await assert.rejects(
    new Learner({ train: full.train, valid: none }, model).fit(1, 0.1, {}),
    refused("validation"),
  );
  tf.dispose([...model.params]);
});

Deno.test("NaN in training or validation inputs is a DataError naming the batch, row and column, not the learning rate", async () => {
  const x = Array.from(
    { length: 64 },
    (_, i) => Array.from({ length: features }, (_, j) => ((i * 7 + j) % 5) / 5),
  );
  const y = x.map((_, i) => [i % 2]);
  x[37][5] = NaN;
  const [xt, yt] = [tf.tensor2d(x), tf.tensor2d(y)];
  const dirty = new TensorDataset(xt, yt);
  tf.dispose([xt, yt]);
  const dl = new DataLoader(dirty, { batchSize: 32 });
  const model = new Linear(features, 1);
  const named = (which: string) => (e: Error) => {
    assert.ok(e instanceof DataError, `expected a DataError: ${e}`);
    assert.equal(
      e.message,
      `The ${which} inputs of batch 1 of 2 hold NaN (row 5 of the batch, ` +
        "column 5): the loss cannot be computed. Fix the data so that every " +
        "value is a number (pixels from 0 to 1), then build the DataLoader " +
        "again.",
    );
    return true;
  };
  assert.throws(
    () => trainEpoch(model, dl, new BasicOptim(model.params, 0.1)),
    named("training"),
  );
  assert.throws(() => validateEpoch(model, dl), named("validation"));
  const clean2 = loaders(6);
  await assert.rejects(
    new Learner({ train: clean2.train, valid: dl }, model).fit(1, 0.1, {}),
    named("validation"),
  );
  tf.dispose([...model.params]);
});
