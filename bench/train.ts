/**
 * Benchmark of the training loop on data of the lesson's shapes: prints the
 * milliseconds per epoch of the linear model (lr 1, batches of 256, 20
 * epochs; by hand with trainEpoch, then as a Linear layer in a Learner) and
 * of `simpleNet` (lr 0.1, batches of 256, 5 epochs), and what batching alone
 * costs.
 *
 * The data are synthetic, seeded and nearly linearly separable, like the 3s
 * and 7s: two "ideal digits" of 784 pixels that differ in a few dozen, each
 * image one of them plus noise, clipped to [0, 1]. Run with `deno run -P bench/train.ts` (the wasm backend)
 * or add `TFJS_BACKEND=cpu` to compare.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "../lib/backend.ts";
import type { Tensor2D } from "../lib/backend.ts";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import {
  type EpochRecord,
  Learner,
  trainEpoch,
  validateEpoch,
} from "../lib/learner.ts";
import { batchAccuracy, mnistLoss } from "../lib/loss.ts";
import { initParams, Linear, simpleNet } from "../lib/model.ts";
import { rng, setSeed } from "../lib/random.ts";
import { BasicOptim, SGD } from "../lib/optim.ts";

const nTrain = 12_396;
const nValid = 2_038;
const nPixels = 784;

/** `n` images, each one of the two ideal digits (at random) plus noise. */
function synthetic(
  n: number,
  ideals: readonly Float32Array[],
): [Tensor2D, Tensor2D] {
  const x = new Float32Array(n * nPixels);
  const y = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    const label = rng().uniform() < 0.5 ? 1 : 0;
    y[row] = label;
    const ideal = ideals[label];
    for (let j = 0; j < nPixels; j++) {
      const v = ideal[j] + 0.6 * rng().normal();
      x[row * nPixels + j] = Math.min(1, Math.max(0, v));
    }
  }
  return [tf.tensor2d(x, [n, nPixels]), tf.tensor2d(y, [n, 1])];
}

/** A random "digit": a fifth of the pixels lit. */
function idealDigit(): Float32Array {
  return Float32Array.from(
    { length: nPixels },
    () => rng().uniform() < 0.2 ? 0.5 + 0.5 * rng().uniform() : 0,
  );
}

/** A copy of `ideal` with `n` random pixels redrawn: a look-alike. */
function lookAlike(ideal: Float32Array, n: number): Float32Array {
  const other = ideal.slice();
  for (let i = 0; i < n; i++) {
    other[Math.floor(rng().uniform() * nPixels)] = rng().uniform();
  }
  return other;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

setSeed(42);
const seven = idealDigit();
const ideals = [seven, lookAlike(seven, 25)];
const [trainX, trainY] = synthetic(nTrain, ideals);
const [validX, validY] = synthetic(nValid, ideals);
const trainSet = new TensorDataset(trainX, trainY);
const validSet = new TensorDataset(validX, validY);
tf.dispose([trainX, trainY, validX, validY]);
const dls = {
  train: new DataLoader(trainSet, { batchSize: 256, shuffle: true }),
  valid: new DataLoader(validSet, { batchSize: 256 }),
};

console.log(
  `backend ${tf.getBackend()}; train [${nTrain}, ${nPixels}], ` +
    `valid [${nValid}, ${nPixels}], batches of 256`,
);

// Batching alone: what an epoch costs before any arithmetic.
const batchTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  for (const _ of dls.train) { /* collate and dispose only */ }
  for (const _ of dls.valid) { /* collate and dispose only */ }
  batchTimes.push(performance.now() - start);
}
console.log(
  `batching only (train + valid): ${median(batchTimes).toFixed(1)} ms/epoch`,
);

async function bench(
  name: string,
  learn: Learner,
  epochs: number,
  lr: number,
): Promise<void> {
  const before = tf.memory().numTensors;
  const records: EpochRecord[] = await learn.fit(epochs, lr, {
    onEpoch: () => {},
  });
  const ms = records.map((r) => r.seconds * 1000);
  const last = records[records.length - 1];
  console.log(
    `${name}: ${epochs} epochs at lr ${lr}: first epoch ` +
      `${ms[0].toFixed(1)} ms, median ${median(ms.slice(1)).toFixed(1)} ` +
      `ms/epoch, ${(ms.reduce((a, b) => a + b) / 1000).toFixed(2)} s in ` +
      `all; accuracy ${records[0].metrics.accuracy.toFixed(4)} after epoch ` +
      `0, ${last.metrics.accuracy.toFixed(4)} at the end; tensors leaked: ` +
      `${tf.memory().numTensors - before}`,
  );
}

// The lesson's step 9: a hand-made linear function, trainEpoch and
// validateEpoch, timed apart.
const weights = initParams([nPixels, 1]);
const bias = initParams([1]);
const linear1 = (xb: Tensor2D) => xb.matMul(weights).add(bias) as Tensor2D;
const opt = new BasicOptim([weights, bias], 1);
const trainMs: number[] = [];
const validMs: number[] = [];
let accuracy = 0;
for (let epoch = 0; epoch < 20; epoch++) {
  const start = performance.now();
  trainEpoch(linear1, dls.train, opt);
  const middle = performance.now();
  accuracy = validateEpoch(linear1, dls.valid);
  trainMs.push(middle - start);
  validMs.push(performance.now() - middle);
}
console.log(
  `linear1 (hand-made): 20 epochs at lr 1: median ` +
    `${median(trainMs).toFixed(1)} ms trainEpoch + ` +
    `${median(validMs).toFixed(1)} ms validateEpoch; accuracy ${accuracy}`,
);
tf.dispose([weights, bias]);

const metrics = { accuracy: batchAccuracy };
const linear = new Learner(
  dls,
  new Linear(nPixels, 1),
  SGD,
  mnistLoss,
  metrics,
);
await bench("linear (Linear(784, 1))", linear, 20, 1);
const net = new Learner(dls, simpleNet(), SGD, mnistLoss, metrics);
await bench("simpleNet", net, 5, 0.1);
tf.dispose([...linear.model.params, ...net.model.params]);
