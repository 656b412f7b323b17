/**
 * Reading an archive's bytes, from a URL or a local file, within limits:
 * {@linkcode fetchArchive} gives up on a server that sends no answer within
 * `headersMs` or nothing more for `stallMs`, stops a download past `maxBytes`,
 * and checks the bytes against a checksum; {@linkcode publishedChecksum}
 * finds the sha256 published beside an archive.
 *
 * @example Read an archive with a progress count
 * ```ts
 * import { fetchArchive } from "./fetch.ts";
 *
 * const limits = { headersMs: 30_000, stallMs: 30_000, maxBytes: 64e6 };
 * const from = { location: "https://example.com/a.tgz", hint: "check the URL" };
 * const bytes = await fetchArchive(from, undefined, limits, (done) => console.log(done));
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { megabytes } from "../bytes.ts";
import { DataError, DownloadError } from "../errors.ts";
import { throwIfInterrupted } from "../interrupt.ts";

/**
 * The expected checksum of an archive.
 *
 * @example
 * ```ts
 * import type { Checksum } from "./fetch.ts";
 *
 * const official: Checksum = { algorithm: "md5", hex: "2dbc7ec6f9259b583af0072c55816a88", from: "the official checksum" };
 * ```
 */
export interface Checksum {
  /** The hash function. */
  readonly algorithm: "md5" | "sha256";
  /** The expected digest, in lower-case hexadecimal. */
  readonly hex: string;
  /** Where the expected value comes from, for error messages. */
  readonly from: string;
  /** What to do when the archive does not match it. */
  readonly check?: string;
}

/**
 * How long to wait and how much to take.
 *
 * @example
 * ```ts
 * import type { FetchLimits } from "./fetch.ts";
 *
 * const quick: FetchLimits = { headersMs: 200, stallMs: 200, maxBytes: 1e6 };
 * ```
 */
export interface FetchLimits {
  /** How long to wait for a server's answer, in ms. */
  readonly headersMs: number;
  /** How long a download may receive nothing, in ms. */
  readonly stallMs: number;
  /** The most bytes a download may have. */
  readonly maxBytes: number;
}

/**
 * Whether `source` is a URL (`scheme://...`) rather than a file path.
 *
 * @example
 * ```ts
 * import { isUrl } from "./fetch.ts";
 *
 * console.log(isUrl("https://example.com/a.tgz"), isUrl("data/a.tgz")); // true false
 * ```
 */
export function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

function isHttp(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Where an archive is read from, and what to tell the user to check when
 * that fails.
 *
 * @example
 * ```ts
 * import type { Source } from "./fetch.ts";
 *
 * const from: Source = { location: "data/a.tgz", hint: "check MNIST_SAMPLE_URL" };
 * ```
 */
export interface Source {
  /** A URL, or a local file path. */
  readonly location: string;
  /** What to tell the user to check, as in "…: check MNIST_SAMPLE_URL". */
  readonly hint: string;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** An HTTP response, or a `DownloadError` when none comes within the time. */
async function request(
  url: string,
  limits: FetchLimits,
  controller: AbortController,
  hint: string,
): Promise<Response> {
  const timer = setTimeout(() => controller.abort(), limits.headersMs);
  try {
    return await fetch(url, { signal: controller.signal });
  } catch (e) {
    if (controller.signal.aborted) {
      throw new DownloadError(
        `${url} sent no answer within ${seconds(limits.headersMs)}: the ` +
          "server is down, overloaded or unreachable. Try again later; if " +
          `it persists, ${hint}.`,
        { cause: e },
      );
    }
    if (e instanceof Deno.errors.NotCapable) {
      throw new DownloadError(
        `Deno may not connect to ${new URL(url).host}: grant it network ` +
          `access (--allow-net=${new URL(url).hostname}), or ${hint}.`,
        { cause: e },
      );
    }
    if (!(e instanceof TypeError)) throw e;
    throw new DownloadError(
      `Could not download ${url}: ${e.message}. ${capitalized(hint)}.`,
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where the sha256 of `source` is published: the same path plus `.sha256`,
 * with the URL's query and fragment kept in their place.
 */
function checksumLocation(source: string): string {
  if (!isUrl(source)) return `${source}.sha256`;
  const url = new URL(source);
  url.pathname += ".sha256";
  return url.href;
}

async function publishedChecksumImpl(
  source: string,
  limits: FetchLimits,
): Promise<Checksum | undefined> {
  const from = checksumLocation(source);
  let text: string;
  const remote = isHttp(source);
  if (remote) {
    const controller = new AbortController();
    const response = await request(
      from,
      limits,
      controller,
      "check the URL and your connection",
    );
    if (!response.ok) {
      await response.body?.cancel();
      return undefined; // no checksum published next to the archive
    }
    const bytes = await readAll(response.body!, from, limits, controller, {
      max: 4096,
      what: "a checksum file",
    });
    text = new TextDecoder().decode(bytes);
  } else {
    try {
      local(source); // refuses other schemes before reading
      text = await Deno.readTextFile(local(from));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }
  const hex = text.trim().split(/\s+/)[0].toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    const fix = remote
      ? "ask whoever publishes it to fix it, or download the archive and " +
        "give untarData its local path as the source"
      : "fix it, or delete it to skip the check";
    throw new DataError(
      `${from} does not hold a sha256 checksum (expected "<64 hex digits>  ` +
        `<file name>"): ${fix}.`,
    );
  }
  return {
    algorithm: "sha256",
    hex,
    from,
    check: remote
      ? `the checksum published at ${from}`
      : `the checksum file ${from}`,
  };
}

/**
 * The sha256 published beside `source`, in `<source>.sha256` (`<hex>  <file
 * name>`), if that file exists: for a URL, the same path plus `.sha256`, its
 * query kept (`https://host/a.tgz?x=1` → `https://host/a.tgz.sha256?x=1`).
 *
 * @throws {DataError} The file exists but holds no sha256.
 * @throws {DownloadError} The server is silent or stalls.
 *
 * @example
 * ```ts
 * import { publishedChecksum } from "./fetch.ts";
 *
 * const limits = { headersMs: 30_000, stallMs: 30_000, maxBytes: 64e6 };
 * console.log(await publishedChecksum("data/a.tgz", limits)); // undefined without data/a.tgz.sha256
 * ```
 */
export function publishedChecksum(
  source: string,
  limits: FetchLimits,
): Promise<Checksum | undefined> {
  return publishedChecksumImpl(source, limits);
}

/**
 * A local source as Deno reads it: a path, or a `file://` URL. Any other
 * scheme (`ftp://`, ...) is refused here, rather than by Deno's own
 * "Must be a file URL".
 */
function local(source: string): string | URL {
  if (!isUrl(source)) return source;
  if (/^file:\/\//i.test(source)) return new URL(source);
  throw new DataError(
    `${source} uses the scheme ${new URL(source).protocol}, which untarData ` +
      "cannot read: give it an http://, https:// or file:// URL, or a path " +
      "(check the source given to untarData, or MNIST_SAMPLE_URL).",
  );
}

/** The bytes of a URL or local file, and their size if known in advance. */
async function open(
  { location: source, hint }: Source,
  limits: FetchLimits,
  controller: AbortController,
): Promise<{ stream: ReadableStream<Uint8Array>; total: number | undefined }> {
  if (isHttp(source)) {
    const response = await request(source, limits, controller, hint);
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
    file = await Deno.open(local(source));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new DataError(
      `The archive ${source} does not exist: ${hint}.`,
      { cause: e },
    );
  }
  const stat = await file.stat();
  if (!stat.isFile) {
    file.close();
    const what = stat.isDirectory
      ? "a folder"
      : "not a file (a device, a pipe or a socket)";
    throw new DataError(
      `${source} is ${what}, not an archive: it must name the .tgz file ` +
        `itself (${hint}).`,
    );
  }
  // A size of 0 may be a file whose size the system does not know (those
  // of /proc): then the length is what reading gives.
  return {
    stream: file.readable,
    total: stat.size > 0 ? stat.size : undefined,
  };
}

function capitalized(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

function tooBig(source: string, what: string, cap: number): DownloadError {
  return new DownloadError(
    `${source} ${what} than ${megabytes(cap)}, the cap on a download ` +
      "(maxDownloadBytes): it was stopped, and nothing was kept. Check that " +
      "it names the archive you want; if the archive is genuinely that " +
      "big, raise maxDownloadBytes in untarData's options.",
  );
}

/**
 * Reads a stream to its end, giving up when it sends nothing for
 * `stallTimeoutMs` (by aborting `controller`) or more than `max` bytes.
 */
async function readAll(
  stream: ReadableStream<Uint8Array>,
  source: string,
  limits: FetchLimits,
  controller: AbortController,
  { max, what, total, onChunk }: {
    readonly max: number;
    readonly what: string;
    readonly total?: number;
    readonly onChunk?: (chunk: Uint8Array, done: number) => void;
  },
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let done = 0;
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
      reader.cancel().catch(() => {});
    }, limits.stallMs);
  };
  try {
    watch();
    while (true) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (e) {
        if (stalled) break;
        throw new DownloadError(
          `Reading ${source} failed after ${done} bytes: ${
            (e as Error).message
          }. Try again.`,
          { cause: e },
        );
      }
      if (stalled) break;
      if (read.done) break;
      throwIfInterrupted(() =>
        `Interrupted: downloading ${source} stopped after ` +
        `${megabytes(done)}, and nothing partial was kept. Run the cell ` +
        "again to download it."
      );
      watch();
      done += read.value.length;
      if (done > max) {
        throw tooBig(source, `sent ${what} bigger`, max);
      }
      // A chunk may be a small view of a larger buffer (Deno's fetch gives
      // 8 kB of a 64 kB one): keeping the view would keep the whole buffer,
      // eight times the data under the cap. Keep a copy of just the bytes.
      const chunk = read.value;
      chunks.push(
        chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice(),
      );
      onChunk?.(read.value, done);
    }
    if (stalled) {
      const of = total === undefined ? "" : ` of ${megabytes(total)}`;
      throw new DownloadError(
        `${source} stalled: nothing came for ${seconds(limits.stallMs)} ` +
          `after ${megabytes(done)}${of}. The connection or the server is ` +
          "stuck: try again, and nothing partial was kept.",
      );
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * The bytes of the archive at `from`: read whole, hashed on the way, and
 * checked against `expected` when given. `onBytes` is called with the count
 * of bytes read (and the total, when known) after each chunk.
 *
 * @throws {DownloadError} The server refuses, is silent or stalls, the
 * download is bigger than `maxBytes`, ends early, or has the wrong checksum.
 * @throws {DataError} A local file does not exist.
 *
 * @example A local archive, unchecked
 * ```ts
 * import { fetchArchive } from "./fetch.ts";
 *
 * const from = { location: "data/a.tgz", hint: "check the path" };
 * const limits = { headersMs: 30_000, stallMs: 30_000, maxBytes: 64e6 };
 * const bytes = await fetchArchive(from, undefined, limits);
 * ```
 */
export async function fetchArchive(
  from: Source,
  expected: Checksum | undefined,
  limits: FetchLimits,
  onBytes?: (done: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  const source = from.location;
  const controller = new AbortController();
  const { stream, total } = await open(from, limits, controller);
  if (total !== undefined && total > limits.maxBytes) {
    await stream.cancel();
    throw tooBig(source, `is ${megabytes(total)}, more`, limits.maxBytes);
  }
  const hash = expected && createHash(expected.algorithm);
  onBytes?.(0, total);
  const bytes = await readAll(stream, source, limits, controller, {
    max: limits.maxBytes,
    what: "an archive",
    total,
    onChunk: (chunk, done) => {
      hash?.update(chunk);
      onBytes?.(done, total);
    },
  });
  if (total !== undefined && bytes.length !== total) {
    throw new DownloadError(
      `${source} ended after ${bytes.length} of ${total} bytes: try again.`,
    );
  }
  const actual = hash?.digest("hex");
  if (expected !== undefined && actual !== expected.hex) {
    const check = expected.check === undefined
      ? from.hint
      : `${from.hint}, and ${expected.check}`;
    throw new DownloadError(
      `${source} has the wrong checksum: ${expected.algorithm} ${actual}, ` +
        `but ${expected.from} is ${expected.hex}. The file is damaged or is ` +
        `not the expected archive: try again, and if it persists ${check}.`,
    );
  }
  return bytes;
}
