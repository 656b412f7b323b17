/**
 * The training loop: {@linkcode trainEpoch} makes one pass over the training
 * batches, {@linkcode validateEpoch} measures a metric on the validation
 * batches, and a {@linkcode Learner} puts data, model, optimizer, loss and
 * metrics together and fits for some epochs, recording each one.
 *
 * @example Fit a linear layer to a toy problem: is the first input above the second?
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DataLoader, TensorDataset } from "./dataloader.ts";
 * import { Learner } from "./learner.ts";
 * import { Linear } from "./model.ts";
 *
 * const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3]]);
 * const y = tf.tensor2d([[1], [0], [1], [0]]);
 * const dset = new TensorDataset(x, y);
 * const dls = {
 *   train: new DataLoader(dset, { batchSize: 2, shuffle: true }),
 *   valid: new DataLoader(dset, { batchSize: 2 }),
 * };
 * const learn = new Learner(dls, new Linear(2, 1));
 * const records = await learn.fit(3, 1, { onEpoch: () => {} });
 * console.log(records.length); // 3
 * tf.dispose([x, y, ...learn.model.params]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ArgumentError, DataError, TrainingError } from "./errors.ts";
import { interruptible, throwIfInterrupted } from "./interrupt.ts";
import type { DataLoader, DataLoaders, TensorDataset } from "./dataloader.ts";
import {
  batchAccuracy,
  type LossFunc,
  type MetricFunc,
  mnistLoss,
} from "./loss.ts";
import { type Model, type Module, predict } from "./model.ts";
import {
  type BasicOptim,
  calcGrad,
  checkGradients,
  checkLearningRate,
  checkOptimizer,
  checkParams,
  type OptFunc,
  SGD,
} from "./optim.ts";

/**
 * One pass over the training batches: for each, the gradients of the loss,
 * a step of the optimizer, and gradients zeroed. Returns the mean loss over
 * the epoch's rows (each batch's loss, computed before its step, weighted by
 * its size).
 *
 * Each batch's loss is read anyway (to average it); when it is NaN or
 * infinite, the epoch stops before the optimizer steps, with the gradients
 * zeroed.
 *
 * @throws {ArgumentError} When the optimizer's learning rate is not a finite
 * number above 0, or a parameter was disposed.
 * @throws {TrainingError} When a batch's loss is NaN or infinite.
 * @throws {DataError} When that comes from inputs or targets that are NaN or
 * infinite (naming the batch, row and column).
 * @throws {ArgumentError} When the loader is empty, or the optimizer holds a
 * parameter that is disposed or not the model's.
 * @throws {InterruptedError} When SIGINT (the notebook's Stop button) came:
 * it stops before the next batch, keeping the weights of the batches before.
 *
 * @example The lesson's hand-made linear model
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DataLoader, TensorDataset } from "./dataloader.ts";
 * import { trainEpoch } from "./learner.ts";
 * import { initParams } from "./model.ts";
 * import { BasicOptim } from "./optim.ts";
 *
 * const weights = initParams([2, 1]);
 * const bias = initParams([1]);
 * const linear1 = (xb: tf.Tensor2D) => xb.matMul(weights).add(bias) as tf.Tensor2D;
 * const x = tf.tensor2d([[2, 0], [0, 2]]);
 * const y = tf.tensor2d([[1], [0]]);
 * const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 1 });
 * const loss = trainEpoch(linear1, dl, new BasicOptim([weights, bias], 1));
 * console.log(loss < 1); // true
 * tf.dispose([x, y, weights, bias]);
 * ```
 */
export function trainEpoch(
  model: Model,
  dl: DataLoader<TensorDataset>,
  opt: BasicOptim,
  lossFunc: LossFunc = mnistLoss,
): number {
  checkLearningRate(opt.lr, "trainEpoch");
  return interruptible(
    "trainEpoch",
    () =>
      train(
        model,
        dl,
        opt,
        lossFunc,
        (batch) =>
          `Interrupted: trainEpoch stopped before batch ${batch} of ` +
          `${dl.length}. The model keeps the weights of the ${batch} batches ` +
          "before it; run the cell again to train on from them.",
        "trainEpoch",
      ),
  );
}

/** Refuses a loader with no rows: its mean loss would be 0 / 0, NaN. */
function refuseEmpty(
  dl: DataLoader<TensorDataset>,
  caller: string,
  which: string,
): void {
  if (dl.dataset.length > 0) return;
  throw new ArgumentError(
    `${caller} got an empty ${which} set (its DataLoader holds 0 rows): ` +
      "its loss and accuracy would be NaN. Build the DataLoader from a " +
      "dataset with rows (for MNIST, check that the image folders are not " +
      "empty).",
  );
}

/**
 * The datasets whose every row was found finite by a whole validation pass.
 * Their tensors cannot change, so later passes skip the check: reading every
 * batch back to look at each value took a fifth of a linear model's fit.
 */
const finiteDatasets = new WeakSet<object>();

/** Refuses a batch whose inputs or targets hold NaN or infinite values. */
function refuseNonFinite(
  xb: tf.Tensor2D,
  yb: tf.Tensor2D,
  batch: number,
  batches: number,
  which: string,
): void {
  for (const [tensor, what] of [[xb, "inputs"], [yb, "targets"]] as const) {
    const values = tensor.dataSync();
    // A plain loop: findIndex with a callback took 1.3 ms for a batch of
    // 256 images, this 0.1 ms (checked on a dataset's first pass only).
    let index = 0;
    while (index < values.length && Number.isFinite(values[index])) index++;
    if (index === values.length) continue;
    const columns = tensor.shape[1];
    throw new DataError(
      `The ${which} ${what} of batch ${batch} of ${batches} hold ` +
        `${values[index]} (row ${Math.floor(index / columns)} of the ` +
        `batch, column ${index % columns}): the loss cannot be computed. ` +
        "Fix the data so that every value is a number (pixels from 0 to 1), " +
        "then build the DataLoader again.",
    );
  }
}

/** What an interrupted loop says, given the batch it stopped before. */
type StopMessage = (batch: number) => string;

function train(
  model: Model,
  dl: DataLoader<TensorDataset>,
  opt: BasicOptim,
  lossFunc: LossFunc,
  stopped: StopMessage,
  caller: string,
): number {
  checkOptimizer(model, opt, caller);
  refuseEmpty(dl, caller, "training");
  let total = 0;
  let rows = 0;
  let batch = 0;
  for (const [xb, yb] of dl) {
    throwIfInterrupted(() => stopped(batch));
    const loss = calcGrad(xb, yb, model, lossFunc);
    if (batch === 0) checkGradients(model, opt, caller);
    if (!Number.isFinite(loss)) {
      opt.zeroGrad();
      // Inputs or targets that are not numbers give such a loss at any
      // learning rate: blame them, not the learning rate.
      refuseNonFinite(xb, yb, batch, dl.length, "training");
      throw new TrainingError(
        `The loss became ${loss} at batch ${batch} of ${dl.length} ` +
          `(learning rate ${opt.lr}): the steps overshoot. Train a new ` +
          `model with a smaller learning rate, for example ${opt.lr / 10}.`,
      );
    }
    total += loss * xb.shape[0];
    rows += xb.shape[0];
    opt.step();
    opt.zeroGrad();
    batch++;
  }
  return total / rows;
}

/**
 * Mean scores of a model over every row of a loader's batches: each function
 * gives a batch's mean, and batches are weighted by their sizes.
 */
function evaluate(
  model: Model,
  dl: DataLoader<TensorDataset>,
  funcs: readonly MetricFunc[],
  stopped: StopMessage,
  caller: string,
): number[] {
  refuseEmpty(dl, caller, "validation");
  const totals = funcs.map(() => 0);
  let rows = 0;
  let batch = 0;
  const checked = finiteDatasets.has(dl.dataset);
  for (const [xb, yb] of dl) {
    const at = batch++;
    throwIfInterrupted(() => stopped(at));
    // A NaN input gives a NaN loss, but only a miss in the accuracy.
    if (!checked) refuseNonFinite(xb, yb, at, dl.length, "validation");
    const scores = tf.tidy(() => {
      const predictions = predict(model, xb);
      return tf.stack(funcs.map((func) => func(predictions, yb)));
    });
    const values = scores.dataSync();
    scores.dispose();
    if (!values.every(Number.isFinite)) {
      throw new TrainingError(
        `The validation scores became ${values.join(", ")} at batch ${at} ` +
          `of ${dl.length}, on inputs that are all numbers: the model's ` +
          "parameters are NaN or infinite. Train a new model, with a " +
          "smaller learning rate.",
      );
    }
    for (let i = 0; i < totals.length; i++) {
      totals[i] += values[i] * xb.shape[0];
    }
    rows += xb.shape[0];
  }
  finiteDatasets.add(dl.dataset);
  return totals.map((total) => total / rows);
}

/**
 * A metric over all the rows of a loader (by default the validation
 * accuracy), rounded to 4 decimals.
 *
 * @example Random weights: about half right
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DataLoader, TensorDataset } from "./dataloader.ts";
 * import { validateEpoch } from "./learner.ts";
 * import { Linear } from "./model.ts";
 *
 * const x = tf.randomNormal([100, 5]) as tf.Tensor2D;
 * const y = tf.randomUniform([100, 1]).round() as tf.Tensor2D;
 * const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 32 });
 * const model = new Linear(5, 1);
 * console.log(validateEpoch(model, dl)); // e.g. 0.49
 * tf.dispose([x, y, ...model.params]);
 * ```
 */
export function validateEpoch(
  model: Model,
  dl: DataLoader<TensorDataset>,
  metric: MetricFunc = batchAccuracy,
): number {
  return interruptible(
    "validateEpoch",
    () => {
      const [score] = evaluate(
        model,
        dl,
        [metric],
        (batch) =>
          `Interrupted: validateEpoch stopped before batch ${batch} of ` +
          `${dl.length}, and returned nothing. The model was not changed.`,
        "validateEpoch",
      );
      return Math.round(score * 1e4) / 1e4;
    },
  );
}

/**
 * What {@linkcode Learner.fit} records after each epoch.
 *
 * @example
 * ```ts
 * import type { EpochRecord } from "./learner.ts";
 *
 * const record: EpochRecord = {
 *   epoch: 0,
 *   trainLoss: 0.31,
 *   validLoss: 0.29,
 *   metrics: { accuracy: 0.71 },
 *   seconds: 0.05,
 * };
 * ```
 */
export interface EpochRecord {
  /** The epoch's number within its `fit` call, from 0. */
  readonly epoch: number;
  /** The mean loss over the training rows, during the epoch. */
  readonly trainLoss: number;
  /** The mean loss over the validation rows, after the epoch. */
  readonly validLoss: number;
  /** Each metric over the validation rows, after the epoch, by name. */
  readonly metrics: Readonly<Record<string, number>>;
  /** How long the epoch took, training and validation, in seconds. */
  readonly seconds: number;
}

/**
 * What {@linkcode Learner.fit} reports to, as it trains: `onBegin` once with
 * the number of epochs and the metrics' names, `onEpoch` after each epoch
 * with its record, `onEnd` once at the end (each awaited when it returns a
 * promise; each may be left out). The default, {@linkcode printEpochs},
 * prints a table.
 *
 * @example Collect the accuracies instead of printing a table
 * ```ts
 * import type { FitOptions } from "./learner.ts";
 *
 * const accuracies: number[] = [];
 * const options: FitOptions = {
 *   onEpoch: (r) => void accuracies.push(r.metrics.accuracy),
 * };
 * ```
 */
export interface FitOptions {
  /** Called before the first epoch. */
  readonly onBegin?: (
    epochs: number,
    metricNames: readonly string[],
  ) => void | Promise<void>;
  /** Called after each epoch with its record. */
  readonly onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Called after the last epoch with every record. */
  readonly onEnd?: (records: readonly EpochRecord[]) => void | Promise<void>;
}

/**
 * The column names of a table of epochs: epoch, the losses, each metric, and
 * the time.
 *
 * @example
 * ```ts
 * import { epochColumns } from "./learner.ts";
 *
 * console.log(epochColumns(["accuracy"])); // ["epoch", "trainLoss", "validLoss", "accuracy", "time"]
 * ```
 */
export function epochColumns(metrics: readonly string[]): string[] {
  return ["epoch", "trainLoss", "validLoss", ...metrics, "time"];
}

/**
 * One epoch as a table row, under {@linkcode epochColumns}: losses and
 * metrics to 6 decimals, the time in seconds with its unit.
 *
 * @example
 * ```ts
 * import { epochCells } from "./learner.ts";
 *
 * const record = { epoch: 0, trainLoss: 0.1, validLoss: 0.2, metrics: { accuracy: 0.9 }, seconds: 0.05 };
 * console.log(epochCells(record)); // ["0", "0.100000", "0.200000", "0.900000", "0.05 s"]
 * ```
 */
export function epochCells(record: EpochRecord): string[] {
  return [
    String(record.epoch),
    record.trainLoss.toFixed(6),
    record.validLoss.toFixed(6),
    ...Object.values(record.metrics).map((value) => value.toFixed(6)),
    `${record.seconds.toFixed(2)} s`,
  ];
}

/**
 * Cells padded into one line of a text table.
 *
 * @example
 * ```ts
 * import { epochColumns, textRow } from "./learner.ts";
 *
 * console.log(textRow(epochColumns([]))); // "epoch       trainLoss   validLoss   time"
 * ```
 */
export function textRow(cells: readonly string[]): string {
  return cells.map((cell) => cell.padEnd(11)).join(" ").trimEnd();
}

/**
 * What {@linkcode Learner.fit} reports to by default: it prints a header
 * (see {@linkcode epochColumns}), then a row per epoch (see
 * {@linkcode epochCells}). The one place where the table of epochs is
 * printed as text.
 *
 * @example A header and one row
 * ```ts
 * import { printEpochs } from "./learner.ts";
 *
 * const print = printEpochs();
 * await print.onBegin?.(1, ["accuracy"]); // epoch  trainLoss  validLoss  accuracy  time
 * await print.onEpoch?.({ epoch: 0, trainLoss: 0.2, validLoss: 0.1, metrics: { accuracy: 0.9 }, seconds: 0.05 });
 * ```
 */
export function printEpochs(): FitOptions {
  return {
    onBegin: (_, metricNames) =>
      console.log(textRow(epochColumns(metricNames))),
    onEpoch: (record) => console.log(textRow(epochCells(record))),
  };
}

/**
 * Data, a model, an optimizer, a loss and metrics, ready to train: the
 * lesson's `Learner`.
 *
 * @example The lesson's simple net on random data
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DataLoader, TensorDataset } from "./dataloader.ts";
 * import { Learner } from "./learner.ts";
 * import { batchAccuracy, mnistLoss } from "./loss.ts";
 * import { simpleNet } from "./model.ts";
 * import { SGD } from "./optim.ts";
 *
 * const x = tf.randomUniform([512, 784]) as tf.Tensor2D;
 * const y = tf.randomUniform([512, 1]).round() as tf.Tensor2D;
 * const dset = new TensorDataset(x, y);
 * const dls = {
 *   train: new DataLoader(dset, { batchSize: 256, shuffle: true }),
 *   valid: new DataLoader(dset, { batchSize: 256 }),
 * };
 * const learn = new Learner(dls, simpleNet(), SGD, mnistLoss, { accuracy: batchAccuracy });
 * await learn.fit(2, 0.1); // prints: epoch, trainLoss, validLoss, accuracy, time
 * console.log(learn.recorder.length); // 2
 * tf.dispose([x, y, ...learn.model.params]);
 * ```
 */
export class Learner {
  /** The training and validation batches. */
  readonly dls: DataLoaders<TensorDataset>;
  /** The model being trained. */
  readonly model: Module;
  /** Makes the optimizer, at the first `fit`. */
  readonly optFunc: OptFunc;
  /** The loss training minimizes (also reported on the validation set). */
  readonly lossFunc: LossFunc;
  /** The metrics reported after each epoch, by name. */
  readonly metrics: Readonly<Record<string, MetricFunc>>;
  /** The optimizer, once `fit` has made it. */
  opt: BasicOptim | null = null;
  /** The records of the epochs of the latest `fit`. */
  recorder: readonly EpochRecord[] = [];

  /**
   * A learner of `model` on `dls`. By default it trains with {@linkcode SGD}
   * on {@linkcode mnistLoss} and reports `accuracy` ({@linkcode batchAccuracy}).
   */
  constructor(
    dls: DataLoaders<TensorDataset>,
    model: Module,
    optFunc: OptFunc = SGD,
    lossFunc: LossFunc = mnistLoss,
    metrics: Readonly<Record<string, MetricFunc>> = {
      accuracy: batchAccuracy,
    },
  ) {
    this.dls = dls;
    this.model = model;
    this.optFunc = optFunc;
    this.lossFunc = lossFunc;
    this.metrics = metrics;
  }

  /**
   * Trains for `epochs` epochs at learning rate `lr`, and returns (and keeps
   * in {@linkcode Learner.recorder}) a record per epoch. It reports to
   * `options` (by default {@linkcode printEpochs}, which prints a table row
   * per epoch), and after each epoch yields to the event loop (at most every
   * 50 ms) so that a notebook can show progress.
   *
   * @throws {ArgumentError} When `epochs` is not a whole number of at least
   * 1, `lr` is not a finite number above 0, or a parameter was disposed.
   * @throws {TrainingError} When a batch's loss becomes NaN or infinite: the
   * records of the epochs before it stay in {@linkcode Learner.recorder}.
   * @throws {InterruptedError} When SIGINT (the notebook's Stop button) came:
   * fit stops before the next batch; the model keeps its weights and
   * {@linkcode Learner.recorder} the finished epochs.
   */
  async fit(
    epochs: number,
    lr: number,
    options: FitOptions = printEpochs(),
  ): Promise<EpochRecord[]> {
    if (
      typeof epochs !== "number" || !Number.isInteger(epochs) || epochs < 1
    ) {
      throw new ArgumentError(
        `fit needs a whole number of epochs, 1 or more, such as 20; got ` +
          `${epochs}.`,
      );
    }
    checkLearningRate(lr, "fit");
    checkParams(this.model.params, "fit");
    this.opt ??= this.optFunc(this.model.params, lr);
    this.opt.lr = lr;
    return await interruptible("fit", () => this.#fit(epochs, options));
  }

  async #fit(epochs: number, options: FitOptions): Promise<EpochRecord[]> {
    const opt = this.opt!;
    const names = Object.keys(this.metrics);
    await options.onBegin?.(epochs, names);
    const records: EpochRecord[] = [];
    this.recorder = records;
    let lastYield = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const start = performance.now();
      const stopped = (what: string, of: number) => (batch: number) =>
        `Interrupted: fit stopped in epoch ${epoch} of ${epochs}, before ` +
        `${what} batch ${batch} of ${of}. The model keeps the weights of ` +
        `its last step, and learn.recorder the ${epoch} epochs finished ` +
        "before; call fit again to train on from them.";
      let trainLoss: number;
      try {
        trainLoss = train(
          this.model,
          this.dls.train,
          opt,
          this.lossFunc,
          stopped("training", this.dls.train.length),
          "fit",
        );
      } catch (error) {
        if (!(error instanceof TrainingError)) throw error;
        throw new TrainingError(`Epoch ${epoch}: ${error.message}`, {
          cause: error,
        });
      }
      const [validLoss, ...scores] = evaluate(
        this.model,
        this.dls.valid,
        [this.lossFunc, ...names.map((name) => this.metrics[name])],
        stopped("validation", this.dls.valid.length),
        "fit",
      );
      const metrics = Object.fromEntries(names.map((n, i) => [n, scores[i]]));
      const seconds = (performance.now() - start) / 1000;
      const record = { epoch, trainLoss, validLoss, metrics, seconds };
      records.push(record);
      await options.onEpoch?.(record);
      // Let the event loop run (a notebook then shows the rows so far) at
      // most every 50 ms: timers nested this way wait at least 4 ms each,
      // a tenth of an epoch of the linear model.
      if (performance.now() - lastYield > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
    await options.onEnd?.(records);
    return records;
  }
}
