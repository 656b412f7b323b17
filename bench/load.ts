/**
 * Times getting and loading MNIST_SAMPLE: extraction (when `data/mnist_sample`
 * is missing), listing a folder, loading all four folders as tensors without
 * the pixel caches (decoding the 14,434 PNG files) and with them, and stacking
 * one folder.
 *
 * Run from the project folder: `deno run -P bench/load.ts` (set
 * `MNIST_SAMPLE_URL` to a local copy of the archive when offline). It deletes
 * and rebuilds the `.pixels-cache` files of `data/mnist_sample`. "Without
 * caches" still finds the PNG files in the operating system's file cache,
 * unless it was dropped before the run.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { untarData, URLs } from "../lib/download.ts";
import { getImageFiles, loadMnistSample, stackFolder } from "../lib/mnist.ts";

async function timed<T>(
  label: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  const start = performance.now();
  const value = await fn();
  const ms = (performance.now() - start).toFixed(0).padStart(6);
  console.log(`${label.padEnd(40)} ${ms} ms`);
  return value;
}

async function loadAll(label: string, path: string): Promise<void> {
  const { train, valid } = await timed(label, () => loadMnistSample(path));
  tf.dispose([train.x, train.y, valid.x, valid.y]);
}

console.log(`backend: ${tf.getBackend()}`);
const path = await timed(
  "untarData (extracts when missing)",
  () => untarData(URLs.MNIST_SAMPLE),
);
await timed("getImageFiles train/3", () => getImageFiles(`${path}/train/3`));

for (const folder of ["train/3", "train/7", "valid/3", "valid/7"]) {
  await Deno.remove(`${path}/${folder}/.pixels-cache`).catch(() => {});
}
await loadAll("loadMnistSample, without caches", path);
for (const run of [1, 2, 3]) {
  await loadAll(`loadMnistSample, cached (run ${run})`, path);
}
const stacked = await timed(
  "stackFolder train/3, cached",
  () => stackFolder(`${path}/train/3`),
);
stacked.dispose();
console.log(`tensors left: ${tf.memory().numTensors}`);
