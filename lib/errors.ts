/**
 * The errors the library raises. Each message names the file, URL or shapes
 * involved and says what to do next; the classes let code tell them apart.
 *
 * @example Tell a data problem from other failures
 * ```ts
 * import { DataError } from "./errors.ts";
 *
 * try {
 *   throw new DataError("data/mnist_sample/train/3 is missing: delete data/mnist_sample and run untarData again.");
 * } catch (e) {
 *   console.log(e instanceof DataError); // true
 * }
 * ```
 *
 * @module
 */

/**
 * The base of every error the library raises.
 *
 * @example Catch any of the library's errors
 * ```ts
 * import { LessonError, ShapeError } from "./errors.ts";
 *
 * console.log(new ShapeError("x is [3, 2], w is [3, 1]") instanceof LessonError); // true
 * ```
 */
export class LessonError extends Error {
  /** Creates the error with a message a learner can act on. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A download failed: the network, the server's answer, or its checksum.
 *
 * @example
 * ```ts
 * import { DownloadError } from "./errors.ts";
 *
 * const e = new DownloadError("https://example.com/a.tgz answered 404: check the URL.");
 * console.log(e.name); // "DownloadError"
 * ```
 */
export class DownloadError extends LessonError {}

/**
 * Data on disk is missing or damaged: an archive, a folder, an image.
 *
 * @example
 * ```ts
 * import { DataError } from "./errors.ts";
 *
 * console.log(new DataError("not a gzip archive").name); // "DataError"
 * ```
 */
export class DataError extends LessonError {}

/**
 * Tensors or arrays whose shapes do not fit together.
 *
 * @example
 * ```ts
 * import { ShapeError } from "./errors.ts";
 *
 * console.log(new ShapeError("x has 3 rows, y has 2").name); // "ShapeError"
 * ```
 */
export class ShapeError extends LessonError {}

/**
 * No browser could draw a figure: none is installed or allowed to run, it
 * failed to start, or plotly.js failed in it.
 *
 * @example Tell a missing browser from other failures
 * ```ts
 * import { linePlot } from "./plot/charts.ts";
 * import { BrowserError } from "./errors.ts";
 * import { renderPng } from "./plot/render.ts";
 *
 * try {
 *   await renderPng(linePlot({ y: [1, 2] }));
 * } catch (e) {
 *   if (!(e instanceof BrowserError)) throw e;
 *   console.log(e.message); // says what to install
 * }
 * ```
 */
export class BrowserError extends LessonError {}

/**
 * An argument the library cannot work with: a learning rate that is not a
 * finite number, a count of epochs that is not a whole number, a size out of
 * range. The message names the argument, its value and what would do.
 *
 * @example
 * ```ts
 * import { ArgumentError, LessonError } from "./errors.ts";
 *
 * const e = new ArgumentError("fit needs a whole number of epochs, 1 or more; got 1.5.");
 * console.log(e instanceof LessonError, e.name); // true "ArgumentError"
 * ```
 */
export class ArgumentError extends LessonError {}

/**
 * Training went wrong numerically: the loss became NaN or infinite, which
 * usually means the learning rate is too large.
 *
 * @example
 * ```ts
 * import { TrainingError } from "./errors.ts";
 *
 * console.log(new TrainingError("the loss became NaN at epoch 2, batch 5").name); // "TrainingError"
 * ```
 */
export class TrainingError extends LessonError {}

/**
 * A long call (`fit`, `trainEpoch`, `validateEpoch`, extracting, rendering)
 * stopped because SIGINT arrived: the notebook's Stop button, or Ctrl-C. The
 * message says where it stopped; what was done before (the model's weights,
 * the epochs recorded) is kept.
 *
 * @example
 * ```ts
 * import { InterruptedError, LessonError } from "./errors.ts";
 *
 * const e = new InterruptedError("fit stopped at epoch 2, batch 7 of 48");
 * console.log(e instanceof LessonError, e.name); // true "InterruptedError"
 * ```
 */
export class InterruptedError extends LessonError {}
