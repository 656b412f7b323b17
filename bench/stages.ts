/**
 * What `deno task bench` measures: its stages, how many runs each gets, how
 * far the two sides' accuracies may differ, and how each training stage fits
 * (the same settings on our side, `ours.ts`, and on PyTorch's,
 * `reference.py`).
 *
 * @module
 */
import { convNet } from "../lib/conv.ts";
import { logLoss, type LossFunc, mnistLoss } from "../lib/loss.ts";
import { crossEntropy } from "../lib/multiclass.ts";
import { Linear, type Module, simpleNet } from "../lib/model.ts";
import { momentum, type OptFunc, SGD } from "../lib/optim.ts";
import { AbsTemplates } from "../lib/templates.ts";

/** Runs per stage, on each side. */
export const RUNS = {
  decode_cold: 3,
  decode_cached: 5,
  baseline: 5,
  linear_20: 5,
  simple_net_40: 3,
  abs_templates_20: 3,
  conv_net_10: 3,
  least_squares: 3,
  ten_linear_10: 3,
  ten_simple_net_10: 3,
} as const;

/** A stage's name. */
export type Stage = keyof typeof RUNS;

/** Every stage, in the order the bench runs them. */
export const STAGES = Object.keys(RUNS) as Stage[];

/** How far two accuracies may differ and still be compared. */
export const TOLERANCE: Record<Stage, number> = {
  decode_cold: 0,
  decode_cached: 0,
  baseline: 0, // no randomness: the digits must match exactly
  linear_20: 0.006, // different seeds and random streams: a few images
  simple_net_40: 0.006,
  abs_templates_20: 0.006,
  conv_net_10: 0.006,
  least_squares: 0.0005, // the same arithmetic in float64
  ten_linear_10: 0.01, // the same 2,000 images, other seeds: 20 images
  ten_simple_net_10: 0.01,
};

/** The folders of MNIST_SAMPLE that the decoding stages read. */
export const FOLDERS = ["train/3", "train/7", "valid/3", "valid/7"];

/** One run of a stage, on either side. */
export interface Run {
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** Seconds on a CPU, summed over the process's threads. */
  readonly cpuSeconds: number;
  readonly accuracy: number | null;
}

/** How a training stage fits. */
export interface Training {
  readonly model: () => Module;
  readonly epochs: number;
  /** Epochs of the untimed fit that warms each side up. */
  readonly warmUp: number;
  readonly lr: number;
  readonly lossFunc: LossFunc;
  readonly optFunc: OptFunc;
  /** Train on the ten digits (labels 0 to 9), measured by argmax accuracy. */
  readonly tenDigits?: boolean;
}

/** The training stages: a fresh model fitted with the lesson's Learner. */
export const TRAININGS = {
  linear_20: {
    model: () => new Linear(784, 1),
    epochs: 20,
    warmUp: 20,
    lr: 1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  simple_net_40: {
    model: simpleNet,
    epochs: 40,
    warmUp: 10,
    lr: 0.1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  // Notebook 7's abs templates (lib/templates.ts), 20 epochs at learning rate 1.
  abs_templates_20: {
    model: () => new AbsTemplates(),
    epochs: 20,
    warmUp: 5,
    lr: 1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  // Notebook 8's conv net, as it trains it.
  conv_net_10: {
    model: convNet,
    epochs: 10,
    warmUp: 1,
    lr: 0.1,
    lossFunc: logLoss,
    optFunc: momentum(0.9),
  },
  // Notebook 9's ten digits, as it trains them.
  ten_linear_10: {
    model: () => new Linear(784, 10),
    epochs: 10,
    warmUp: 2,
    lr: 0.1,
    lossFunc: crossEntropy,
    optFunc: momentum(0.9),
    tenDigits: true,
  },
  ten_simple_net_10: {
    model: () => simpleNet(10),
    epochs: 10,
    warmUp: 2,
    lr: 0.1,
    lossFunc: crossEntropy,
    optFunc: momentum(0.9),
    tenDigits: true,
  },
} as const satisfies Partial<Record<Stage, Training>>;

/** Whether `stage` trains a model. */
export const isTraining = (stage: Stage): stage is keyof typeof TRAININGS =>
  stage in TRAININGS;
