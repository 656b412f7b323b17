/**
 * Downloading and extracting a data set: {@linkcode untarData} fetches a
 * `.tgz` archive, checks it, and extracts it under the project's `data/`
 * folder, once.
 *
 * The archive is read into memory (the lesson's is 3 MB) while its checksum is
 * computed, then checked, decompressed and extracted into a hidden temporary
 * folder beside the destination, which is renamed into place only when every
 * file is written. A failure at any step leaves nothing behind, and the next
 * call starts over.
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
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { DataError, DownloadError } from "../errors.ts";
import { envVar } from "./env.ts";
import { readTar, type TarEntry } from "./tar.ts";

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
} as const;

interface Checksum {
  readonly algorithm: "md5" | "sha256";
  readonly hex: string;
  /** Where the expected value comes from, for error messages. */
  readonly from: string;
}

/** The published checksums of the official archives. */
const checksums: ReadonlyMap<string, Checksum> = new Map([
  [URLs.MNIST_SAMPLE, {
    algorithm: "md5",
    hex: "2dbc7ec6f9259b583af0072c55816a88",
    from: "the official checksum",
  }],
]);

/** The environment variables that replace the source of an official archive. */
const replacements: ReadonlyMap<string, string> = new Map([
  [URLs.MNIST_SAMPLE, "MNIST_SAMPLE_URL"],
]);

/**
 * How far a long task has got: bytes downloaded, or files extracted.
 *
 * @example Print percentages
 * ```ts
 * import type { Progress } from "./download.ts";
 *
 * const show = (p: Progress) =>
 *   console.log(p.task, p.total ? Math.round(100 * p.done / p.total) + "%" : p.done);
 * show({ task: "extract", done: 7217, total: 14435, unit: "files" }); // extract 50%
 * ```
 */
export interface Progress {
  /** The task under way. */
  readonly task: "download" | "extract";
  /** How much is done, in `unit`s. */
  readonly done: number;
  /** How much there is to do, when known (a server may not say). */
  readonly total: number | undefined;
  /** What `done` and `total` count. */
  readonly unit: "bytes" | "files";
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
   * percent). Default: a text bar on stderr when it is a terminal, else
   * nothing.
   */
  readonly onProgress?: (progress: Progress) => void;
}

/**
 * A bar of 30 characters and a percentage, for `done` out of `total`.
 *
 * @example
 * ```ts
 * import { textBar } from "./download.ts";
 *
 * console.log(textBar(1, 2)); // "[###############...............]  50%"
 * ```
 */
export function textBar(done: number, total: number): string {
  const fraction = Math.min(done / total, 1);
  const filled = "#".repeat(Math.round(30 * fraction)).padEnd(30, ".");
  return `[${filled}] ${String(Math.floor(100 * fraction)).padStart(3)}%`;
}

/**
 * A progress reporter that draws a text bar, rewritten in place, on stderr
 * (or any other output with a `writeSync`).
 *
 * @example Show progress in a terminal, whatever stderr is
 * ```ts
 * import { textProgress, untarData, URLs } from "./download.ts";
 *
 * await untarData(URLs.MNIST_SAMPLE, { onProgress: textProgress() });
 * // extract  [###############...............]  50%  7217 / 14435 files
 * ```
 */
export function textProgress(
  out: { writeSync(bytes: Uint8Array): number } = Deno.stderr,
): (progress: Progress) => void {
  const encoder = new TextEncoder();
  return ({ task, done, total, unit }) => {
    const count = (n: number) =>
      unit === "bytes" ? (n / 1e6).toFixed(1) : String(n);
    const of = total === undefined ? "" : ` / ${count(total)}`;
    const amount = `${count(done)}${of} ${unit === "bytes" ? "MB" : "files"}`;
    const bar = total !== undefined && total > 0
      ? `${textBar(done, total)}  `
      : "";
    const end = done === total ? "\n" : "";
    out.writeSync(encoder.encode(`\r${task.padEnd(8)} ${bar}${amount}${end}`));
  };
}

/** Calls `onProgress` with `done` when its percentage changes (or on every call when the total is unknown). */
function reporter(
  task: Progress["task"],
  unit: Progress["unit"],
  total: number | undefined,
  onProgress: ((progress: Progress) => void) | undefined,
): (done: number) => void {
  let last = -1;
  return (done) => {
    const step = total ? Math.floor((100 * done) / total) : done;
    if (onProgress === undefined || step === last) return;
    last = step;
    onProgress({ task, done, total, unit });
  };
}

function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/** Where the archive is read from, and what to check when that fails. */
interface Source {
  readonly location: string;
  readonly hint: string;
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

/** The checksum in `<source>.sha256` (`<hex>  <file name>`), if that file exists. */
async function sidecarChecksum(source: string): Promise<Checksum | undefined> {
  const from = `${source}.sha256`;
  let text: string;
  if (/^https?:/i.test(source)) {
    let response: Response;
    try {
      response = await fetch(from);
    } catch (e) {
      throw new DownloadError(
        `Could not reach ${from}: ${(e as Error).message}. Check the URL ` +
          "and your connection.",
        { cause: e },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      return undefined; // no checksum published next to the archive
    }
    text = await response.text();
  } else {
    try {
      text = await Deno.readTextFile(isUrl(from) ? new URL(from) : from);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }
  const hex = text.trim().split(/\s+/)[0].toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new DataError(
      `${from} does not hold a sha256 checksum (expected "<64 hex digits>  ` +
        '<file name>"): fix it, or delete it to skip the check.',
    );
  }
  return { algorithm: "sha256", hex, from };
}

/** The bytes of a URL or local file, and their size if known in advance. */
async function open(
  { location: source, hint }: Source,
): Promise<{ stream: ReadableStream<Uint8Array>; total: number | undefined }> {
  if (/^https?:/i.test(source)) {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // a missing permission, say
      throw new DownloadError(
        `Could not download ${source}: ${e.message}. ${capitalized(hint)}.`,
        { cause: e },
      );
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new DownloadError(
        `${source} answered HTTP ${response.status} ` +
          `${response.statusText}: ${hint}.`,
      );
    }
    const length = response.headers.get("content-length");
    return {
      stream: response.body,
      total: length === null ? undefined : Number(length),
    };
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(isUrl(source) ? new URL(source) : source);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new DataError(
      `The archive ${source} does not exist: ${hint}.`,
      { cause: e },
    );
  }
  return { stream: file.readable, total: (await file.stat()).size };
}

function capitalized(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** Reads the whole archive, hashing it on the way, then checks the hash. */
async function fetchArchive(
  from: Source,
  expected: Checksum | undefined,
  onProgress: ((progress: Progress) => void) | undefined,
): Promise<Uint8Array> {
  const source = from.location;
  const { stream, total } = await open(from);
  const report = reporter("download", "bytes", total, onProgress);
  const hash = expected && createHash(expected.algorithm);
  const chunks: Uint8Array[] = [];
  let done = 0;
  report(0);
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      hash?.update(chunk);
      done += chunk.length;
      report(done);
    }
  } catch (e) {
    throw new DownloadError(
      `Reading ${source} failed after ${done} bytes: ${
        (e as Error).message
      }. ` +
        "Try again.",
      { cause: e },
    );
  }
  if (total !== undefined && done !== total) {
    throw new DownloadError(
      `${source} ended after ${done} of ${total} bytes: try again.`,
    );
  }
  const actual = hash?.digest("hex");
  if (expected !== undefined && actual !== expected.hex) {
    throw new DownloadError(
      `${source} has the wrong checksum: ${expected.algorithm} ${actual}, ` +
        `but ${expected.from} is ${expected.hex}. The file is damaged or is ` +
        `not the expected archive: try again, and if it persists ` +
        `${from.hint}${
          expected.algorithm === "sha256" ? ` and ${expected.from}` : ""
        }.`,
    );
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new DataError(
      `${source} is not a gzip archive (.tgz): it does not start with the ` +
        "gzip signature. Check that the URL or path names the archive itself.",
    );
  }
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataError(
      `${source} is truncated or damaged (gzip: ${(e as Error).message}): ` +
        "download it again.",
      { cause: e },
    );
  }
}

/** Writes the folders and files of a tar archive under `root`. */
async function writeEntries(
  entries: readonly TarEntry[],
  root: string,
  onProgress: ((progress: Progress) => void) | undefined,
): Promise<void> {
  const folders = new Set<string>();
  for (const entry of entries) {
    const parts = entry.path.split("/");
    if (entry.type === "file") parts.pop();
    if (entry.type !== "other" && parts.length > 0) {
      folders.add(parts.join("/"));
    }
  }
  for (const path of [...folders].sort()) { // parents before children
    await Deno.mkdir(join(root, path), { recursive: true });
  }
  const files = entries.filter((e) => e.type === "file");
  const report = reporter("extract", "files", files.length, onProgress);
  report(0);
  for (let i = 0; i < files.length; i += 64) { // 64 writes at a time
    const some = files.slice(i, i + 64);
    await Promise.all(
      some.map((file) => Deno.writeFile(join(root, file.path), file.data)),
    );
    report(i + some.length);
  }
}

/**
 * Downloads the archive at `url`, checks it, extracts it, and returns the
 * path of the extracted folder: `data/<name>` for `<name>.tgz`. When that
 * folder exists already, returns its path at once, without reading anything.
 *
 * The checksum checked is the published one for an official URL; for another
 * source, the sha256 in the file of the same name plus `.sha256` beside it,
 * when there is one. Throws a `DownloadError` when the server refuses, the
 * connection fails or the checksum differs, and a `DataError` when a local
 * file is missing or the archive is not a gzipped tar, is truncated, or holds
 * a path leading outside the folder. Nothing is left behind on failure.
 *
 * @example The lesson's data set, with a progress callback
 * ```ts
 * import { untarData, URLs } from "./download.ts";
 *
 * const path = await untarData(URLs.MNIST_SAMPLE, {
 *   onProgress: (p) => console.log(p.task, p.done, p.total),
 * });
 * console.log(path);
 * ```
 */
export async function untarData(
  url: string,
  options: UntarOptions = {},
): Promise<string> {
  const dest = options.dest ?? new URL("../../data/", import.meta.url);
  const destPath = dest instanceof URL ? fileURLToPath(dest) : dest;
  const name = new URL(url, "file:///").pathname.split("/").pop()!
    .replace(/\.(tgz|tar\.gz)$/, "");
  const folder = join(destPath, name);
  if (await isDirectory(folder)) return folder;

  const from = chooseSource(url, options.source);
  const source = from.location;
  const onProgress = options.onProgress ??
    (Deno.stderr.isTerminal() ? textProgress() : undefined);
  const expected = checksums.get(source) ?? await sidecarChecksum(source);
  const archive = await fetchArchive(from, expected, onProgress);
  const entries = readTar(gunzip(archive, source), source);
  if (!entries.some((e) => e.type === "file")) {
    throw new DataError(
      `${source} holds no files: ${from.hint}, and that it names the archive.`,
    );
  }

  await Deno.mkdir(destPath, { recursive: true });
  const temp = await Deno.makeTempDir({
    dir: destPath,
    prefix: `.${name}.partial-`,
  });
  try {
    await writeEntries(entries, temp, onProgress);
    // The archive holds `<name>/...` (as the official one does), or its
    // content directly.
    const wrapped = entries.every((e) =>
      e.path === name || e.path.startsWith(`${name}/`)
    );
    try {
      await Deno.rename(wrapped ? join(temp, name) : temp, folder);
    } catch (e) {
      // Another process may have extracted the same archive meanwhile.
      if (!(await isDirectory(folder))) throw e;
    }
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
  return folder;
}
