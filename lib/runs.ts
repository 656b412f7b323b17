/**
 * Repeated training runs, for comparing two models fairly: the same data,
 * loss and optimizer, several seeds and learning rates. {@linkcode trainRun}
 * trains one fresh model, {@linkcode lrSweep} tries learning rates,
 * {@linkcode seedRuns} repeats a run over seeds and summarizes the accuracies
 * with {@linkcode meanStd}.
 *
 * A run is the lesson's loop (`trainEpoch` with `SGD` on batches of 256),
 * validated once, after its last epoch. `setSeed(seed)` comes before the model
 * is made, and the training batches are shuffled with the same seed: two
 * models run with one seed get the same batches in the same order.
 *
 * @example Three seeds of the linear model on toy data
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 * import { Linear } from "./model.ts";
 * import { seedRuns } from "./runs.ts";
 *
 * const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3]]);
 * const y = tf.tensor2d([[1], [0], [1], [0]]);
 * const data = { train: new TensorDataset(x, y), valid: new TensorDataset(x, y) };
 * const summary = seedRuns(() => new Linear(2, 1), data, [1, 2, 3], { epochs: 5, lr: 1 });
 * console.log(summary.accuracies.length); // 3
 * summary.runs.forEach((run) => tf.dispose([...run.model.params]));
 * tf.dispose([x, y]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ArgumentError, TrainingError } from "./errors.ts";
import { DataLoader, type TensorDataset } from "./dataloader.ts";
import { hooks } from "./hooks.ts";
import { trainEpoch, validateEpoch } from "./learner.ts";
import { type LossFunc, mnistLoss } from "./loss.ts";
import type { Module } from "./model.ts";
import { SGD } from "./optim.ts";
import { setSeed } from "./random.ts";

/**
 * The training and validation sets of a run.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 * import type { RunData } from "./runs.ts";
 *
 * const x = tf.zeros([4, 2]) as tf.Tensor2D, y = tf.zeros([4, 1]) as tf.Tensor2D;
 * const data: RunData = { train: new TensorDataset(x, y), valid: new TensorDataset(x, y) };
 * ```
 */
export interface RunData {
  /** Shuffled into batches, anew each epoch. */
  readonly train: TensorDataset;
  /** Measured after the last epoch. */
  readonly valid: TensorDataset;
}

/**
 * How one run trains.
 *
 * @example The lesson's linear model, as notebook 6 trains it
 * ```ts
 * import type { RunSettings } from "./runs.ts";
 *
 * const settings: RunSettings = { epochs: 20, lr: 1, seed: 42 };
 * ```
 */
export interface RunSettings {
  /** Passes over the training batches. */
  readonly epochs: number;
  /** The learning rate of `SGD`. */
  readonly lr: number;
  /** Seeds the model's starting values and the order of the batches. */
  readonly seed: number;
  /** The loss; by default `mnistLoss`. */
  readonly lossFunc?: LossFunc;
  /** Rows per training batch; by default 256. */
  readonly batchSize?: number;
  /**
   * Train on TensorFlow.js as shipped, every speed piece of `lib/fast` off
   * but the one that gathers batches (for timing the models, not the
   * batches); by default false. The results are the same either way, up to
   * the order of additions.
   */
  readonly plain?: boolean;
}

/**
 * What one run gives.
 *
 * @example
 * ```ts
 * import type { Run } from "./runs.ts";
 *
 * const shown = (run: Run) => `${run.accuracy} in ${run.secondsPerEpoch} s per epoch`;
 * ```
 */
export interface Run {
  /** The trained model (the caller disposes its parameters). */
  readonly model: Module;
  /** Validation accuracy after the last epoch, or NaN when the loss diverged. */
  readonly accuracy: number;
  /** Training time per epoch, in seconds (validation not included). */
  readonly secondsPerEpoch: number;
}

function checkSettings(epochs: number, caller: string): void {
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new ArgumentError(
      `${caller} needs a whole number of epochs, 1 or more; got ${epochs}.`,
    );
  }
}

/**
 * Trains one fresh model from `make` (called after `setSeed(seed)`) with
 * `SGD` and returns its validation accuracy and training time per epoch.
 * When the loss becomes NaN or infinite (a learning rate too large), the run
 * stops there and its accuracy is NaN.
 *
 * @throws {ArgumentError} When `epochs` is not a whole number of at least 1,
 * or `lr` is not a finite number above 0.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 * import { Linear } from "./model.ts";
 * import { trainRun } from "./runs.ts";
 *
 * const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3]]);
 * const y = tf.tensor2d([[1], [0], [1], [0]]);
 * const data = { train: new TensorDataset(x, y), valid: new TensorDataset(x, y) };
 * const run = trainRun(() => new Linear(2, 1), data, { epochs: 10, lr: 1, seed: 42 });
 * console.log(run.accuracy); // 1
 * tf.dispose([x, y, ...run.model.params]);
 * ```
 */
export function trainRun(
  make: () => Module,
  data: RunData,
  settings: RunSettings,
): Run {
  const { epochs, lr, seed, lossFunc = mnistLoss, batchSize = 256 } = settings;
  checkSettings(epochs, "trainRun");
  setSeed(seed);
  const model = make();
  const train = new DataLoader(data.train, { batchSize, shuffle: true, seed });
  const valid = new DataLoader(data.valid, { batchSize });
  const opt = SGD(model.params, lr);
  const start = performance.now();
  let diverged = false;
  const loop = () => {
    for (let epoch = 0; epoch < epochs && !diverged; epoch++) {
      try {
        trainEpoch(model, train, opt, lossFunc);
      } catch (error) {
        if (!(error instanceof TrainingError)) throw error;
        diverged = true;
      }
    }
  };
  // With fast/ loaded, plainly() turns its speed pieces off (lib/hooks.ts).
  if (settings.plain) hooks().plainly(loop);
  else loop();
  const secondsPerEpoch = (performance.now() - start) / 1000 / epochs;
  const accuracy = diverged ? NaN : validateEpoch(model, valid);
  return { model, accuracy, secondsPerEpoch };
}

/**
 * The mean and the sample standard deviation (divided by `n - 1`; 0 for one
 * value) of some numbers, e.g. accuracies over seeds.
 *
 * @throws {ArgumentError} When `values` is empty.
 *
 * @example
 * ```ts
 * import { meanStd } from "./runs.ts";
 *
 * console.log(meanStd([0.98, 0.97, 0.99])); // { mean: 0.98, std: 0.01 } (about)
 * ```
 */
export function meanStd(
  values: readonly number[],
): { mean: number; std: number } {
  if (values.length === 0) {
    throw new ArgumentError("meanStd needs at least one value; got none.");
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const squares = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  const std = values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0;
  return { mean, std };
}

/**
 * One run per learning rate, each from the same seed: the validation
 * accuracy for each rate (NaN where the loss diverged). The models are
 * disposed.
 *
 * @throws {ArgumentError} As {@linkcode trainRun}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 * import { Linear } from "./model.ts";
 * import { lrSweep } from "./runs.ts";
 *
 * const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3]]);
 * const y = tf.tensor2d([[1], [0], [1], [0]]);
 * const data = { train: new TensorDataset(x, y), valid: new TensorDataset(x, y) };
 * console.log(lrSweep(() => new Linear(2, 1), data, [0.1, 1], { epochs: 5, seed: 42 }));
 * tf.dispose([x, y]);
 * ```
 */
export function lrSweep(
  make: () => Module,
  data: RunData,
  lrs: readonly number[],
  settings: Omit<RunSettings, "lr">,
): { lr: number; accuracy: number }[] {
  return lrs.map((lr) => {
    const run = trainRun(make, data, { ...settings, lr });
    tf.dispose([...run.model.params]);
    return { lr, accuracy: run.accuracy };
  });
}

/**
 * What {@linkcode seedRuns} gives: every run, their accuracies, and the
 * accuracies' mean and standard deviation.
 *
 * @example
 * ```ts
 * import type { SeedSummary } from "./runs.ts";
 *
 * const line = (s: SeedSummary) => `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
 * ```
 */
export interface SeedSummary {
  /** One run per seed, in the order of the seeds. */
  readonly runs: readonly Run[];
  /** Each run's validation accuracy. */
  readonly accuracies: readonly number[];
  /** Their mean. */
  readonly mean: number;
  /** Their sample standard deviation. */
  readonly std: number;
  /** The median training time per epoch over the runs, in seconds. */
  readonly secondsPerEpoch: number;
}

/**
 * One run per seed, with the same settings otherwise, summarized. The
 * models are kept in `runs` (the caller disposes their parameters).
 *
 * @throws {ArgumentError} When `seeds` is empty, or as {@linkcode trainRun}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 * import { Linear } from "./model.ts";
 * import { seedRuns } from "./runs.ts";
 *
 * const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3]]);
 * const y = tf.tensor2d([[1], [0], [1], [0]]);
 * const data = { train: new TensorDataset(x, y), valid: new TensorDataset(x, y) };
 * const summary = seedRuns(() => new Linear(2, 1), data, [1, 2], { epochs: 5, lr: 1 });
 * console.log(summary.mean, summary.std);
 * summary.runs.forEach((run) => tf.dispose([...run.model.params]));
 * tf.dispose([x, y]);
 * ```
 */
export function seedRuns(
  make: () => Module,
  data: RunData,
  seeds: readonly number[],
  settings: Omit<RunSettings, "seed">,
): SeedSummary {
  if (seeds.length === 0) {
    throw new ArgumentError("seedRuns needs at least one seed; got none.");
  }
  const runs = seeds.map((seed) => trainRun(make, data, { ...settings, seed }));
  const accuracies = runs.map((run) => run.accuracy);
  const times = runs.map((run) => run.secondsPerEpoch).sort((a, b) => a - b);
  return {
    runs,
    accuracies,
    ...meanStd(accuracies),
    secondsPerEpoch: times[Math.floor(times.length / 2)],
  };
}
