/**
 * A child process for `interrupt_test.ts`: fits a linear model for many
 * epochs, printing `epoch N` after each, so that the test can send SIGINT
 * mid-fit. It then reports, as one JSON line, the error fit ended with, the
 * epochs recorded, whether the weights are still readable, and whether a
 * second `fit` trains on from them; then it prints
 * `waiting` and sleeps, so that the test can check that SIGINT, outside the
 * library's calls, ends it as usual.
 *
 * `deno run -P tests/_fit_child.ts`
 *
 * @module
 */
import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { Learner } from "../lib/learner.ts";
import { Linear } from "../lib/model.ts";
import { setSeed } from "../lib/random.ts";
import { reportOutcome } from "./_child.ts";

setSeed(1);
const x = tf.randomNormal([8192, 784], 0, 1, "float32", 1) as tf.Tensor2D;
const y = tf.randomUniform([8192, 1], 0, 1, "float32", 2)
  .round() as tf.Tensor2D;
const dset = new TensorDataset(x, y);
const dls = {
  train: new DataLoader(dset, { batchSize: 64, shuffle: true }),
  valid: new DataLoader(dset, { batchSize: 64 }),
};
const learn = new Learner(dls, new Linear(784, 1));
const weights = () => learn.model.params.map((p) => Array.from(p.dataSync()));
let error: unknown;
try {
  await learn.fit(10_000, 0.1, {
    onEpoch: (record) => console.log(`epoch ${record.epoch}`),
  });
} catch (e) {
  error = e;
}
const now = weights();
const records = learn.recorder.length;
let trainedOn = false;
try {
  await learn.fit(1, 0.1, {});
  trainedOn = learn.recorder.length === 1;
} catch (e) {
  console.log(`second fit: ${e}`);
}
reportOutcome(error, {
  records,
  finite: now.flat().every(Number.isFinite),
  trainedOn,
});
console.log("waiting");
await new Promise((resolve) => setTimeout(resolve, 30_000));
console.log("still alive after 30 s");
