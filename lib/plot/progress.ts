/**
 * Live progress of the lesson's long tasks, shown in place in a notebook:
 * {@linkcode progressBar} follows a task that reports progress events (such
 * as `untarData`'s download and extraction), {@linkcode fitProgress} follows
 * `Learner.fit` with a table that grows a row per epoch and a chart of the
 * losses and metrics.
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
 * await learn.fit(20, 1.0, fitProgress());
 * ```
 *
 * @module
 */
import { megabytes } from "../bytes.ts";
import {
  epochCells,
  epochColumns,
  type EpochRecord,
  type FitOptions,
  printEpochs,
} from "../learner.ts";
import { plotMetrics } from "./lesson_figures.ts";
import type { RenderOptions } from "./render.ts";
import {
  bundle,
  type Display,
  type DisplayOptions,
  escapeHtml,
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

/**
 * One report of a task's progress, as `untarData` sends them: a task names
 * itself, says how much is done and, when it knows, how much there is.
 *
 * @example Half of a download
 * ```ts
 * import type { TaskProgress } from "./progress.ts";
 *
 * const half: TaskProgress = { task: "download", done: 1_600_000, total: 3_200_000, unit: "bytes" };
 * ```
 */
export interface TaskProgress {
  /** The task's name, shown as it is: "download", "extract"... */
  readonly task: string;
  /** How much is done, in `unit`s. */
  readonly done: number;
  /** How much there is to do, when known. */
  readonly total?: number | undefined;
  /** What `done` and `total` count: "bytes" (shown in MB), "files"... */
  readonly unit?: string;
  /** Where the task stands, in words ("downloaded 3.1 MB"), if it says. */
  readonly text?: string;
}

/** Shortest time between two updates of a bar, but for the end of a task. */
const BAR_INTERVAL_MS = 100;

/** Characters in a text bar. */
const BAR_WIDTH = 30;

/** A text progress bar and its percentage: `[#####.....]  50%`. */
function textBar(done: number, total: number): string {
  const share = total > 0 ? Math.min(Math.max(done / total, 0), 1) : 0;
  const filled = Math.round(share * BAR_WIDTH);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  return `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${percent}`;
}

/** An amount in its unit: bytes in MB, anything else counted. */
function amount(n: number, unit: string | undefined): string {
  if (unit === "bytes") return megabytes(n);
  const count = n.toLocaleString("en-US");
  return unit === undefined ? count : `${count} ${unit}`;
}

/** The line describing a task: "download 1.6 / 3.2 MB", "extract 300 files". */
function describe({ task, done, total, unit, text }: TaskProgress): string {
  if (text !== undefined) return text;
  if (total === undefined || done >= total) {
    return `${task} ${amount(done, unit)}`;
  }
  const of = unit === "bytes"
    ? `${megabytes(done, { unit: false })} / ${amount(total, unit)}`
    : `${amount(done, undefined)} / ${amount(total, unit)}`;
  return `${task} ${of}`;
}

function finished({ done, total }: TaskProgress): boolean {
  return total !== undefined && done >= total;
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

/** The bundle of the tasks done so far and the one under way. */
function barBundle(done: readonly string[], event: TaskProgress): MimeBundle {
  const line = [...done, describe(event)].join(", ");
  const { total } = event;
  if (total === undefined || total === 0 || finished(event)) {
    return {
      "text/plain": line,
      "text/html": `<span>${escapeHtml(line)}</span>`,
    };
  }
  const percent = Math.floor(100 * Math.min(event.done / total, 1));
  return {
    "text/plain": `${textBar(event.done, total)}  ${line}`,
    "text/html": `<progress value="${percent}" max="100"></progress> ` +
      `<span>${percent}%  ${escapeHtml(line)}</span>`,
  };
}

/**
 * Draws progress on the terminal (stderr): one line per task, redrawn in
 * place, ended when the task ends.
 */
function terminalBar(): (event: TaskProgress) => void {
  const encoder = new TextEncoder();
  let shown = 0; // characters on the current line
  return (event) => {
    const { total } = event;
    const line =
      (total === undefined || finished(event)
        ? ""
        : `${textBar(event.done, total)}  `) + describe(event);
    const end = finished(event) ? "\n" : "";
    Deno.stderr.writeSync(
      encoder.encode(`\r${line.padEnd(shown)}${end}`),
    );
    shown = end === "" ? line.length : 0;
  };
}

/**
 * A progress reporter for `untarData`'s `onProgress`, or any task that sends
 * {@linkcode TaskProgress}s. In a notebook it shows one line updated in
 * place (at the start and end of each task, and at most ten times a second
 * between), which ends as, e.g., "download 3.2 MB, extract 14,434 files".
 * Outside a notebook it draws a text bar on stderr when that is a terminal,
 * and shows nothing otherwise.
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
): (event: TaskProgress) => void {
  const display = options.display ?? notebookDisplay();
  let draw: (event: TaskProgress) => void;
  if (display !== undefined) {
    const send = sender(display);
    const id = `progress-${crypto.randomUUID()}`;
    const done: string[] = []; // the lines of the tasks finished
    let first = true;
    draw = (event) => {
      send(barBundle(done, event), { id, ...(first ? {} : { update: true }) });
      first = false;
      if (finished(event)) done.push(describe(event));
    };
  } else if (Deno.stderr.isTerminal()) {
    draw = terminalBar();
  } else {
    return () => {};
  }
  let task: string | undefined; // the task last shown
  let last = -Infinity;
  return (event) => {
    const now = performance.now();
    const news = finished(event) || event.task !== task;
    if (!news && now - last < BAR_INTERVAL_MS) return;
    last = now;
    task = event.task;
    draw(event);
  };
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
 * What `Learner.fit` reports to, to show its progress: in a notebook, a table
 * that grows a row per epoch (epoch, trainLoss, validLoss, each metric,
 * time) and a chart of the losses and metrics, both updated in place; the
 * chart of the last epoch is drawn as a PNG too (`fit` says how many epochs
 * there are). Outside a notebook, it prints the rows as `fit` does by
 * default. Use one per `fit`.
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
 * await learn.fit(40, 0.1, fitProgress());
 * ```
 */
export function fitProgress(options: FitProgressOptions = {}): FitOptions {
  const display = options.display ?? notebookDisplay();
  if (display === undefined) return printEpochs();
  const id = crypto.randomUUID();
  const records: EpochRecord[] = [];
  let epochs = 0;
  let columns: string[] = [];
  return {
    onBegin: (count, metricNames) => {
      epochs = count;
      columns = epochColumns(metricNames);
    },
    onEpoch: async (record) => {
      records.push(record);
      const how = records.length === 1 ? {} : { update: true };
      const table = tableBundle(columns, records.map(epochCells));
      await display(table, { id: `table-${id}`, ...how });
      const chart = await bundle(plotMetrics(records), {
        ...options,
        png: records.length >= epochs,
      });
      await display(chart, { id: `chart-${id}`, ...how });
    },
  };
}
