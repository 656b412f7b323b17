/**
 * Live progress of the lesson's long tasks, shown in place in a notebook:
 * {@linkcode progressBar} follows `untarData`'s download and extraction,
 * {@linkcode fitProgress} follows `Learner.fit` with a table that grows a row
 * per epoch and a chart of the losses and metrics.
 *
 * In a notebook, each is one output updated in place (by its display id):
 * the saved notebook keeps the final state. Outside one, progress goes to
 * the terminal as text.
 *
 * @example Download, then train, with progress
 * ```ts
 * import { DataLoader, TensorDataset } from "../dataloader.ts";
 * import { untarData, URLs } from "../load/download.ts";
 * import { Learner } from "../learner.ts";
 * import { loadMnistSample } from "../load/mnist.ts";
 * import { Linear } from "../model.ts";
 * import { fitProgress, progressBar } from "./progress.ts";
 *
 * const path = await untarData(URLs.MNIST_SAMPLE, { onProgress: progressBar() });
 * const { train, valid } = await loadMnistSample(path);
 * const dls = {
 *   train: new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 256, shuffle: true }),
 *   valid: new DataLoader(new TensorDataset(valid.x, valid.y), { batchSize: 256 }),
 * };
 * const learn = new Learner(dls, new Linear(28 * 28, 1));
 * await learn.fit(20, 1.0, fitProgress(20));
 * ```
 *
 * @module
 */
import { type Progress, textBar, textProgress } from "../load/download.ts";
import { plotMetrics } from "./figures.ts";
import {
  epochCells,
  epochColumns,
  type EpochRecord,
  type FitOptions,
  textRow,
} from "../learner.ts";
import type { RenderOptions } from "./render.ts";
import {
  bundle,
  type Display,
  type DisplayOptions,
  type MimeBundle,
  notebookDisplay,
  tableBundle,
} from "./show.ts";

/**
 * Where progress is displayed.
 *
 * @example Collect the updates instead of showing them
 * ```ts
 * import type { ProgressOptions } from "./progress.ts";
 * import type { MimeBundle } from "./show.ts";
 *
 * const updates: MimeBundle[] = [];
 * const options: ProgressOptions = { display: (bundle) => void updates.push(bundle) };
 * ```
 */
export interface ProgressOptions {
  /**
   * Where to display. Default: the notebook; outside one, the terminal (as
   * text).
   */
  readonly display?: Display;
}

/** Shortest time between two updates of a bar, but for the last of a task. */
const BAR_INTERVAL_MS = 100;

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** The line describing a task under way, or done. */
function describe({ task, done, total, unit }: Progress): string {
  const amount = unit === "bytes"
    ? megabytes
    : (n: number) => `${count(n)} files`;
  if (done === total) {
    return `${task === "download" ? "downloaded" : "extracted"} ${
      amount(done)
    }`;
  }
  const verb = task === "download" ? "downloading" : "extracting";
  if (total === undefined) return `${verb} ${amount(done)}`;
  const of = unit === "bytes"
    ? `${(done / 1e6).toFixed(1)} / ${megabytes(total)}`
    : `${count(done)} / ${count(total)} files`;
  return `${verb} ${of}`;
}

function barBundle(progress: Progress, before: string | undefined): MimeBundle {
  const line = [before, describe(progress)].filter(Boolean).join(", ");
  const { done, total } = progress;
  if (total === undefined || total === 0 || done === total) {
    return { "text/plain": line, "text/html": `<span>${line}</span>` };
  }
  const percent = Math.floor(100 * Math.min(done / total, 1));
  return {
    "text/plain": `${textBar(done, total)}  ${line}`,
    "text/html": `<progress value="${percent}" max="100"></progress> ` +
      `<span>${percent}%  ${line}</span>`,
  };
}

/** Sends displays one after the other, and reports a failure once. */
function sender(display: Display): (b: MimeBundle, o: DisplayOptions) => void {
  let queue = Promise.resolve();
  let failed = false;
  return (b, o) => {
    queue = queue.then(() => display(b, o)).catch((e) => {
      if (!failed) console.warn(`Progress display failed: ${e}`);
      failed = true;
    });
  };
}

/**
 * A progress reporter for `untarData`'s `onProgress`. In a notebook it shows
 * one line updated in place (at the start and end of each task, and at most
 * ten times a second between), which ends as, e.g., "downloaded 3.2 MB,
 * extracted 14,434 files". Outside a notebook it draws `textProgress`'s text
 * bar on stderr when that is a terminal, and shows nothing otherwise.
 *
 * @example
 * ```ts
 * import { untarData, URLs } from "../load/download.ts";
 * import { progressBar } from "./progress.ts";
 *
 * const path = await untarData(URLs.MNIST_SAMPLE, { onProgress: progressBar() });
 * ```
 */
export function progressBar(
  options: ProgressOptions = {},
): (progress: Progress) => void {
  const display = options.display ?? notebookDisplay();
  if (display === undefined) {
    return Deno.stderr.isTerminal() ? textProgress() : () => {};
  }
  const send = sender(display);
  const id = `progress-${crypto.randomUUID()}`;
  let task: Progress["task"] | undefined; // the task last shown
  let last = -Infinity;
  let downloaded: string | undefined; // the line of the finished download
  return (progress) => {
    const finished = progress.done === progress.total;
    const now = performance.now();
    const news = finished || progress.task !== task;
    if (!news && now - last < BAR_INTERVAL_MS) return;
    last = now;
    const before = progress.task === "extract" ? downloaded : undefined;
    const update = task === undefined ? {} : { update: true };
    send(barBundle(progress, before), { id, ...update });
    task = progress.task;
    if (progress.task === "download" && finished) {
      downloaded = describe(progress);
    }
  };
}

function epochTable(records: readonly EpochRecord[]): MimeBundle {
  return tableBundle(
    epochColumns(Object.keys(records[0].metrics)),
    records.map(epochCells),
  );
}

/**
 * Options of {@linkcode fitProgress}: where to display, and the size of the
 * chart's image.
 *
 * @example A wider chart
 * ```ts
 * import type { FitProgressOptions } from "./progress.ts";
 *
 * const options: FitProgressOptions = { width: 900, height: 320 };
 * ```
 */
export interface FitProgressOptions extends ProgressOptions, RenderOptions {}

/**
 * `Learner.fit` options that show its progress: in a notebook, a table that
 * grows a row per epoch (epoch, trainLoss, validLoss, each metric, time)
 * and a chart of the losses and metrics, both updated in place. Only the
 * chart of the last epoch (number `epochs`) is drawn as a PNG too, so pass
 * the number of epochs given to `fit`. Outside a notebook, prints the rows as
 * the Learner does. Use one per `fit`.
 *
 * @example Train the lesson's simple net for 40 epochs
 * ```ts
 * import { Learner } from "../learner.ts";
 * import { simpleNet } from "../model.ts";
 * import { fitProgress } from "./progress.ts";
 * import type { DataLoaders, TensorDataset } from "../dataloader.ts";
 *
 * declare const dls: DataLoaders<TensorDataset>;
 * const learn = new Learner(dls, simpleNet());
 * await learn.fit(40, 0.1, fitProgress(40));
 * ```
 */
export function fitProgress(
  epochs: number,
  options: FitProgressOptions = {},
): FitOptions {
  const display = options.display ?? notebookDisplay();
  const records: EpochRecord[] = [];
  if (display === undefined) {
    return {
      onEpoch: (record) => {
        if (records.length === 0) {
          console.log(textRow(epochColumns(Object.keys(record.metrics))));
        }
        records.push(record);
        console.log(textRow(epochCells(record)));
      },
    };
  }
  const id = crypto.randomUUID();
  return {
    onEpoch: async (record) => {
      records.push(record);
      const how = records.length === 1 ? {} : { update: true };
      await display(epochTable(records), { id: `table-${id}`, ...how });
      const chart = await bundle(plotMetrics(records), {
        ...options,
        png: records.length >= epochs,
      });
      await display(chart, { id: `chart-${id}`, ...how });
    },
  };
}
