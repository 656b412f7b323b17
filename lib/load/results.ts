/**
 * The accuracy of every model in the series, kept on disk as the notebooks
 * run: each notebook saves its models' results with {@linkcode saveResult},
 * and the recap reads them all back with {@linkcode loadResults} (and shows
 * them with `resultsTable`, in `plot/results_table.ts`).
 *
 * Results live in `data/results.json` (ignored by git, like the data set).
 * Saving is files on disk, in and out, like the rest of `load/`: it holds a
 * {@linkcode Deno.FsFile.lock}, so that notebooks run side by side never
 * lose each other's results.
 *
 * @example Record a model, then read back everything recorded
 * ```ts
 * import { loadResults, saveResult } from "./results.ts";
 *
 * saveResult({ notebook: "06", model: "linear, mnistLoss", parameters: 785, accuracy: 0.9823 });
 * console.log(loadResults().length);
 * ```
 *
 * @module
 */
import { DataError } from "../errors.ts";

/**
 * One model's result on the validation set.
 *
 * @example
 * ```ts
 * import type { ModelResult } from "./results.ts";
 *
 * const baseline: ModelResult = { notebook: "02", model: "pixel similarity (L1)", parameters: 0, accuracy: 0.9511 };
 * ```
 */
export interface ModelResult {
  /** The notebook that trained it, by number: "02". */
  readonly notebook: string;
  /** What it is, in a few words. */
  readonly model: string;
  /** How many numbers it learned (0 for the baseline). */
  readonly parameters: number;
  /** Accuracy on the 2,038 validation images. */
  readonly accuracy: number;
}

/** Where results are kept by default. */
const defaultFile = new URL("../../data/results.json", import.meta.url);

/**
 * The results saved so far, sorted by notebook (empty when none).
 *
 * @throws {DataError} when the file cannot be read or is not a list of
 * results (delete it: the notebooks write it again).
 *
 * @example
 * ```ts
 * import { loadResults } from "./results.ts";
 *
 * console.log(loadResults().length);
 * ```
 */
export function loadResults(file: URL = defaultFile): ModelResult[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new DataError(
      `Could not read the results in ${file.pathname} ` +
        `(${(e as Error).message}): allow Deno to read it.`,
      { cause: e },
    );
  }
  let results: unknown;
  try {
    results = JSON.parse(text);
  } catch {
    results = undefined;
  }
  const valid = Array.isArray(results) &&
    results.every((r) =>
      typeof r?.notebook === "string" && typeof r?.model === "string" &&
      typeof r?.parameters === "number" && typeof r?.accuracy === "number"
    );
  if (!valid) {
    throw new DataError(
      `${file.pathname} is not a list of results: delete it, and run the ` +
        "notebooks again to record their results.",
    );
  }
  return (results as ModelResult[])
    .toSorted((a, b) => a.notebook.localeCompare(b.notebook));
}

/**
 * Saves a model's result, replacing an earlier one of the same notebook and
 * model. Returns nothing, so that a notebook cell ending with it shows no
 * output: saving is bookkeeping, not part of the lesson.
 *
 * @throws {DataError} when the file cannot be read, is damaged, or cannot
 * be written.
 *
 * @example
 * ```ts
 * import { saveResult } from "./results.ts";
 *
 * saveResult({ notebook: "07", model: "simpleNet", parameters: 23581, accuracy: 0.9823 });
 * ```
 */
export function saveResult(
  result: ModelResult,
  file: URL = defaultFile,
): void {
  withLock(file, () => {
    const others = loadResults(file).filter((r) =>
      r.notebook !== result.notebook || r.model !== result.model
    );
    const temporary = new URL(
      `${file.pathname}.${Deno.pid}-${crypto.randomUUID()}.partial`,
      file,
    );
    try {
      Deno.writeTextFileSync(
        temporary,
        JSON.stringify([...others, result], null, 1) + "\n",
      );
      Deno.renameSync(temporary, file);
    } catch (e) {
      try {
        Deno.removeSync(temporary);
      } catch {
        // never written
      }
      throw cannotSave(file, e);
    }
  });
}

function cannotSave(file: URL, e: unknown): DataError {
  return new DataError(
    `Could not save the results in ${file.pathname} ` +
      `(${(e as Error).message}): allow Deno to write there.`,
    { cause: e },
  );
}

/**
 * Runs `update` while holding an exclusive {@linkcode Deno.FsFile.lock} on
 * `<file>.lock`: notebooks run side by side (`deno task notebooks`) may save
 * at the same moment, and each save reads, changes and rewrites the whole
 * file. The system releases the lock when the file is closed, and when a
 * kernel dies holding it, so no stale lock outlives its owner.
 *
 * The lock file is removed before it is closed, so that none is left in
 * `data/`; a process that was waiting on the removed file then finds another
 * (or no) file at that path, and tries again on the current one.
 */
function withLock(file: URL, update: () => void): void {
  const path = `${file.pathname}.lock`;
  for (;;) {
    let lock: Deno.FsFile;
    try {
      lock = Deno.openSync(path, { write: true, create: true });
    } catch (e) {
      throw cannotSave(file, e);
    }
    try {
      lock.lockSync(true);
      if (!isCurrent(lock, path)) continue; // removed by its last holder
      try {
        update();
      } finally {
        Deno.removeSync(path);
      }
      return;
    } finally {
      lock.close();
    }
  }
}

/** Whether the open file `lock` is still the one found at `path`. */
function isCurrent(lock: Deno.FsFile, path: string): boolean {
  try {
    const held = lock.statSync(), found = Deno.statSync(path);
    return held.dev === found.dev && held.ino === found.ino;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
