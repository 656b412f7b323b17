/**
 * Downloading and extracting a data set: {@linkcode untarData} fetches a
 * `.tgz` archive, checks it, and extracts it under the project's `data/`
 * folder, once.
 *
 * The archive is read into memory (the lesson's is 3 MB, and at most
 * `maxDownloadBytes`, 64 MB by default) while its checksum is computed, then
 * checked. Its entries are then checked as it is inflated as a stream (see
 * `tar.ts`: unsafe paths, links, and more than `maxExtractBytes`, 256 MB by
 * default, are refused), and only then extracted into a hidden temporary
 * folder beside the destination, which is renamed into place when every file
 * is written. A failure at any step leaves nothing behind, and the next call
 * starts over; temporary folders that an interrupted call left behind are
 * removed by the next extraction once they are ten minutes old.
 *
 * A server that sends no answer within `headersTimeoutMs` (30 s), or nothing
 * more for `stallTimeoutMs` (30 s) in the middle of the archive, is given up
 * on with a `DownloadError`.
 *
 * Beside the extracted folder, a small manifest (`.<name>.manifest.json`)
 * records how many files each folder of the archive holds. When the folder
 * exists already, it is counted against that manifest (or, for the official
 * MNIST_SAMPLE extracted by hand, against its known counts), and a folder that
 * lost files is reported with a `DataError`: it is not repaired or deleted by
 * itself, since it may hold work of the user's.
 *
 * The environment variable `MNIST_SAMPLE_URL` replaces the source of
 * `URLs.MNIST_SAMPLE` with another URL or a local file (for machines without
 * internet access, and CI).
 *
 * @example Get the lesson's data set
 * ```ts
 * import { untarData, URLs } from "./download.ts";
 *
 * const path = await untarData(URLs.MNIST_SAMPLE);
 * console.log(path); // ".../data/mnist_sample"
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { megabytes } from "../bytes.ts";
import { ArgumentError, DataError } from "../errors.ts";
import { envVar } from "../env.ts";
import {
  type Checksum,
  fetchArchive,
  publishedChecksum,
  type Source,
} from "./fetch.ts";
import {
  checkComplete,
  extractedCounts,
  type FileCounts,
  manifestPath,
  MNIST_SAMPLE_COUNTS,
  writeManifest,
} from "./manifest.ts";
import { DEFAULT_MAX_EXTRACT_BYTES, extractTgz } from "./tar.ts";
import { interruptible } from "../interrupt.ts";

/**
 * Where the lesson's data sets are published.
 *
 * @example
 * ```ts
 * import { URLs } from "./download.ts";
 *
 * console.log(URLs.MNIST_SAMPLE.endsWith("mnist_sample.tgz")); // true
 * ```
 */
export const URLs = {
  /** Every 3 and 7 of MNIST as 28×28 PNG files: `train/3`, `train/7`, `valid/3`, `valid/7`. */
  MNIST_SAMPLE: "https://s3.amazonaws.com/fast-ai-sample/mnist_sample.tgz",
  /** All of MNIST as 28×28 PNG files: `training/0`…`9` (60,000), `testing/0`…`9` (10,000). */
  MNIST: "https://s3.amazonaws.com/fast-ai-imageclas/mnist_png.tgz",
} as const;

/** The published checksums of the official archives. */
const checksums: ReadonlyMap<string, Checksum> = new Map([
  [URLs.MNIST_SAMPLE, {
    algorithm: "md5",
    hex: "2dbc7ec6f9259b583af0072c55816a88",
    from: "the official checksum",
  }],
]);

/**
 * How many files each folder of an official archive holds (hidden files not
 * counted), to check a folder extracted by hand.
 */
const knownCounts: ReadonlyMap<string, FileCounts> = new Map([
  [URLs.MNIST_SAMPLE, MNIST_SAMPLE_COUNTS],
]);

/** The environment variables that replace the source of an official archive. */
const replacements: ReadonlyMap<string, string> = new Map([
  [URLs.MNIST_SAMPLE, "MNIST_SAMPLE_URL"],
]);

/**
 * How far one step of a long task has got: bytes downloaded, or files
 * extracted. `untarData` sends these for its two steps, download (1 of 2)
 * then extract (2 of 2), about once per percent, and always at the start and
 * the end of each step; each event says in words where it stands (`text`),
 * so that a display need not know the steps.
 *
 * @example Print the events' words
 * ```ts
 * import type { Progress } from "./download.ts";
 *
 * const show = (p: Progress) => console.log(`${p.step}/${p.steps} ${p.text}`);
 * show({
 *   task: "extract", step: 2, steps: 2, done: 7217, total: 14435,
 *   unit: "files", finished: false, text: "extracting 7,217 / 14,435 files",
 * }); // 2/2 extracting 7,217 / 14,435 files
 * ```
 */
export interface Progress {
  /** The step under way. */
  readonly task: "download" | "extract";
  /** How much is done, in `unit`s. */
  readonly done: number;
  /** How much there is to do, when known (a server may not say). */
  readonly total: number | undefined;
  /** What `done` and `total` count. */
  readonly unit: "bytes" | "files";
  /** Which step this is, from 1 (always set by `untarData`). */
  readonly step?: number;
  /** How many steps there are (always set by `untarData`). */
  readonly steps?: number;
  /** Whether this is the last event of the step (always set by `untarData`). */
  readonly finished?: boolean;
  /**
   * The step's state in words (always set by `untarData`): "downloading 1.2 /
   * 3.1 MB", "downloaded 3.1 MB", "extracting 7,217 / 14,435 files",
   * "extracted 14,435 files".
   */
  readonly text?: string;
}

/**
 * Options of {@linkcode untarData}.
 *
 * @example Extract into a folder of one's own, from a local copy
 * ```ts
 * import { untarData, type UntarOptions, URLs } from "./download.ts";
 *
 * const options: UntarOptions = { dest: "/tmp/data", source: "mnist_sample.tgz" };
 * await untarData(URLs.MNIST_SAMPLE, options);
 * ```
 */
export interface UntarOptions {
  /** The folder that will hold the extracted folder. Default: the project's `data/`. */
  readonly dest?: string | URL;
  /**
   * Read the archive from here instead: a URL or a local file path (relative
   * to the working directory). Default: the environment variable that
   * replaces the URL (`MNIST_SAMPLE_URL`), if set, else the URL itself.
   */
  readonly source?: string;
  /**
   * Called as the download and the extraction advance (about once per
   * percent), for example with `progressBar()` from `lib/plot/progress.ts`,
   * which draws the bar. Default: nothing is reported.
   */
  readonly onProgress?: (progress: Progress) => void;
  /** How long to wait for a server's answer, in ms. Default: 30,000. */
  readonly headersTimeoutMs?: number;
  /** How long a download may receive nothing, in ms. Default: 30,000. */
  readonly stallTimeoutMs?: number;
  /** The most bytes a download may have. Default: 64 MB (64,000,000). */
  readonly maxDownloadBytes?: number;
  /** The most bytes an archive may inflate to. Default: 256 MB (256,000,000). */
  readonly maxExtractBytes?: number;
}

/** The two steps of untarData, in order, with their words. */
const STEPS = {
  download: { step: 1, unit: "bytes", doing: "downloading", did: "downloaded" },
  extract: { step: 2, unit: "files", doing: "extracting", did: "extracted" },
} as const;

function amount(unit: Progress["unit"], n: number): string {
  return unit === "bytes"
    ? megabytes(n, { unit: false })
    : n.toLocaleString("en-US");
}

/**
 * Calls `onProgress` with `done` when its percentage changes (or on every call
 * when the total is unknown), and with the end of the step.
 */
function reporter(
  task: Progress["task"],
  total: number | undefined,
  onProgress: ((progress: Progress) => void) | undefined,
): { report: (done: number) => void; finish: (done: number) => void } {
  const { step, unit, doing, did } = STEPS[task];
  const units = unit === "bytes" ? "MB" : "files";
  let last = -1;
  const send = (done: number, finished: boolean) => {
    const text = finished
      ? `${did} ${amount(unit, done)} ${units}`
      : total === undefined
      ? `${doing} ${amount(unit, done)} ${units}`
      : `${doing} ${amount(unit, done)} / ${amount(unit, total)} ${units}`;
    onProgress?.({
      task,
      step,
      steps: 2,
      done,
      total: finished ? done : total,
      unit,
      finished,
      text,
    });
  };
  return {
    report: (done) => {
      const percent = total ? Math.floor((100 * done) / total) : done;
      if (onProgress === undefined || percent === last || done === total) {
        return;
      }
      last = percent;
      send(done, false);
    },
    finish: (done) => send(done, true),
  };
}

function chooseSource(url: string, given: string | undefined): Source {
  if (given !== undefined) {
    return { location: given, hint: "check the source given to untarData" };
  }
  const variable = replacements.get(url);
  const replaced = variable === undefined ? undefined : envVar(variable);
  if (replaced !== undefined) {
    return { location: replaced, hint: `check ${variable}` };
  }
  return {
    location: url,
    hint: variable === undefined
      ? "check the URL or path, and your connection"
      : `check your connection, or set ${variable} to the URL or path of a ` +
        "copy of the archive",
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The limits of one call, with their defaults filled in and checked. */
interface Limits {
  readonly headersMs: number;
  readonly stallMs: number;
  readonly maxBytes: number;
  readonly maxExtract: number;
}

function limits(options: UntarOptions): Limits {
  const positive = (name: keyof UntarOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== "number" || !(value > 0) || value === Infinity) {
      throw new ArgumentError(
        `untarData's ${name} must be a positive, finite number; got ` +
          `${String(value)}. Leave it out for the default, ${fallback}.`,
      );
    }
    return value;
  };
  return {
    headersMs: positive("headersTimeoutMs", 30_000),
    stallMs: positive("stallTimeoutMs", 30_000),
    maxBytes: positive("maxDownloadBytes", 64e6),
    maxExtract: positive("maxExtractBytes", DEFAULT_MAX_EXTRACT_BYTES),
  };
}

/** How long a temporary folder must be untouched before it counts as left behind. */
const STALE_MS = 10 * 60 * 1000;

/**
 * Removes the temporary folders (`.<name>.partial-*`) that interrupted calls
 * left in `dest`: those untouched for ten minutes, which no extraction (a
 * few seconds) still uses.
 */
async function sweepPartials(dest: string, name: string): Promise<void> {
  const prefix = `.${name}.partial-`;
  for await (const entry of Deno.readDir(dest)) {
    if (!entry.isDirectory || !entry.name.startsWith(prefix)) continue;
    const path = join(dest, entry.name);
    try {
      const { mtime } = await Deno.stat(path);
      if (mtime !== null && Date.now() - mtime.getTime() > STALE_MS) {
        await Deno.remove(path, { recursive: true });
      }
    } catch (e) {
      // Another process may have swept it first.
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}

/** Whether `e` says that a folder cannot be written. */
function cannotWrite(e: unknown): boolean {
  return e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.NotCapable ||
    (e as { code?: string })?.code === "EROFS";
}

function notWritable(dest: string, e: unknown): DataError {
  return new DataError(
    `Cannot write in ${dest} (${(e as Error).message}): the data set is ` +
      `extracted there. Make the folder writable (for example \`chmod u+w ` +
      `${dest}\`, or grant Deno write permission to it), or give untarData ` +
      "another folder with its dest option.",
    { cause: e },
  );
}

/**
 * Downloads the archive at `url`, checks it, extracts it, and returns the
 * path of the extracted folder: `data/<name>` for `<name>.tgz`. When that
 * folder exists already, returns its path at once, without downloading, once
 * it is checked to hold as many files as the archive did.
 *
 * The checksum checked is the published one for an official URL; for another
 * source, the sha256 in the file of the same name plus `.sha256` beside it,
 * when there is one.
 *
 * @throws {DownloadError} The server refuses, the connection fails or stalls
 * (`headersTimeoutMs`, `stallTimeoutMs`), the download is bigger than
 * `maxDownloadBytes`, or the checksum differs.
 * @throws {DataError} A local file is missing; the archive is not a gzipped
 * tar, is truncated, inflates to more than `maxExtractBytes`, or holds a path
 * leading outside the folder, a link, or a file that is also a folder; the
 * destination cannot be written; or the existing folder is incomplete.
 * Nothing is left behind on failure.
 * @throws {ArgumentError} A timeout or cap is not a positive number.
 * @throws {InterruptedError} SIGINT (the notebook's Stop button) came while
 * it downloaded or extracted: nothing partial is kept.
 *
 * @example The lesson's data set, with a progress callback
 * ```ts
 * import { untarData, URLs } from "./download.ts";
 *
 * const path = await untarData(URLs.MNIST_SAMPLE, {
 *   onProgress: (p) => console.log(p.text),
 * });
 * console.log(path);
 * ```
 */
export function untarData(
  url: string,
  options: UntarOptions = {},
): Promise<string> {
  return interruptible("untarData", () => untar(url, options));
}

async function untar(url: string, options: UntarOptions): Promise<string> {
  const limit = limits(options);
  const dest = options.dest ?? new URL("../../data/", import.meta.url);
  const destPath = dest instanceof URL ? fileURLToPath(dest) : dest;
  const name = new URL(url, "file:///").pathname.split("/").pop()!
    .replace(/\.(tgz|tar\.gz)$/, "");
  const folder = join(destPath, name);
  if (await isDirectory(folder)) {
    const expected = await extractedCounts(folder) ?? knownCounts.get(url);
    const call = url === URLs.MNIST_SAMPLE
      ? "untarData(URLs.MNIST_SAMPLE)"
      : "untarData";
    if (expected !== undefined) await checkComplete(folder, expected, call);
    return folder;
  }

  const other = await Deno.lstat(folder).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
  if (other !== undefined) { // there, and not a folder
    throw new DataError(
      `${folder} exists but is not a folder (a file or a link): untarData ` +
        "extracts the data set there. Move or delete it, then run " +
        "untarData again; nothing was downloaded.",
    );
  }

  // A manifest without its folder describes a folder deleted since.
  await Deno.remove(manifestPath(folder)).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return;
    if (cannotWrite(e)) throw notWritable(destPath, e);
    throw e;
  });

  const from = chooseSource(url, options.source);
  const source = from.location;
  const onProgress = options.onProgress;
  const expected = checksums.get(source) ??
    await publishedChecksum(source, limit);
  let download: ReturnType<typeof reporter> | undefined;
  const archive = await fetchArchive(from, expected, limit, (done, total) => {
    download ??= reporter("download", total, onProgress);
    download.report(done);
  });
  download?.finish(archive.length);

  let temp: string;
  try {
    await Deno.mkdir(destPath, { recursive: true });
    await sweepPartials(destPath, name);
    temp = await Deno.makeTempDir({
      dir: destPath,
      prefix: `.${name}.partial-`,
    });
  } catch (e) {
    if (cannotWrite(e)) throw notWritable(destPath, e);
    throw e;
  }
  try {
    let progress: ReturnType<typeof reporter> | undefined;
    const listing = await extractTgz(archive, temp, {
      name: source,
      maxBytes: limit.maxExtract,
      hint: `Use an archive from a source you trust, and ${from.hint}`,
      onFile: (done, total) => {
        progress ??= reporter("extract", total, onProgress);
        progress.report(done);
      },
    });
    if (listing.files === 0) {
      throw new DataError(
        `${source} holds no files: ${from.hint}, and that it names the archive.`,
      );
    }
    // The archive holds `<name>/...` (as the official one does), or its
    // content directly.
    const wrapped = listing.paths.every((p) =>
      p === name || p.startsWith(`${name}/`)
    );
    const counts: Record<string, number> = {};
    for (const [path, count] of listing.perFolder) {
      if (!wrapped) counts[path] = count;
      else if (path === name) counts[""] = count;
      else if (path.startsWith(`${name}/`)) {
        counts[path.slice(name.length + 1)] = count;
      }
    }
    try {
      await Deno.rename(wrapped ? join(temp, name) : temp, folder);
    } catch (e) {
      // Another process may have extracted the same archive meanwhile.
      if (!(await isDirectory(folder))) throw e;
    }
    // Written last: a manifest always has its folder.
    await writeManifest(folder, counts, source);
    progress?.finish(listing.files);
  } catch (e) {
    if (cannotWrite(e)) throw notWritable(destPath, e);
    throw e;
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
  return folder;
}
