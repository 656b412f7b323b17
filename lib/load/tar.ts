/**
 * Gzipped tar archives (`.tgz`), checked and then extracted under a folder.
 * The tar format itself (ustar headers and their name prefix, pax extended
 * headers, GNU long names, base-256 numbers, header checksums) is read by the
 * `modern-tar` library, as a stream; this module adds what extracting an
 * archive from the internet needs:
 *
 * - Every entry is checked before a single file is written: a path that is
 *   absolute or climbs out with `..`, a link (symbolic or hard) or a device, a
 *   pax header whose size is not a number, and a file that is also a folder
 *   (`a` and `a/b`) are refused with a `DataError`.
 * - The archive is inflated as a stream, in both passes, and at most
 *   `maxBytes` of it (256 MB by default): a gzip bomb is stopped at the cap,
 *   with memory bounded by the stream's buffers, not by its size.
 *
 * These checks are written here because modern-tar's stream decoder hands
 * every entry over as it is (it keeps a pax size that is not a number as
 * nothing, and takes the header's), and its Node file-system extractor, which
 * checks paths, writes each entry as it reads it, so a bad entry late in the
 * archive would come after files were written.
 *
 * @example Extract an archive under a folder
 * ```ts
 * import { extractTgz } from "./tar.ts";
 *
 * const name = "mnist_sample.tgz";
 * const listing = await extractTgz(await Deno.readFile(name), "/tmp/out", { name });
 * console.log(listing.files); // 14435
 * ```
 *
 * @module
 */
import { createTarDecoder, type TarHeader } from "modern-tar";
import { join } from "node:path";
import { megabytes } from "../bytes.ts";
import { ArgumentError, DataError, LessonError } from "../errors.ts";
import { interruptible, throwIfInterrupted } from "../interrupt.ts";

/**
 * The default cap on an archive's inflated size: 256 MB.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_EXTRACT_BYTES } from "./tar.ts";
 *
 * console.log(DEFAULT_MAX_EXTRACT_BYTES / 1e6); // 256
 * ```
 */
export const DEFAULT_MAX_EXTRACT_BYTES = 256e6;

/**
 * The default cap on an archive's entries, files and folders: 100,000
 * (MNIST_SAMPLE has 14,443). Empty files cost nothing to inflate, so the
 * byte cap alone let an archive of 300,000 of them be written out in full.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_ENTRIES } from "./tar.ts";
 *
 * console.log(DEFAULT_MAX_ENTRIES); // 100000
 * ```
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Options of {@linkcode listTgz} and {@linkcode extractTgz}.
 *
 * @example A lower cap for an archive of unknown origin
 * ```ts
 * import type { TgzOptions } from "./tar.ts";
 *
 * const options: TgzOptions = { name: "upload.tgz", maxBytes: 16e6 };
 * ```
 */
export interface TgzOptions {
  /** How errors refer to the archive: its URL or path. */
  readonly name: string;
  /**
   * The most bytes the archive may inflate to (the tar stream, headers
   * included). Default: {@linkcode DEFAULT_MAX_EXTRACT_BYTES}, 256 MB.
   */
  readonly maxBytes?: number;
  /**
   * The most entries (files and folders) the archive may hold. Default:
   * {@linkcode DEFAULT_MAX_ENTRIES}, 100,000.
   */
  readonly maxEntries?: number;
  /** What to tell the user to check when the archive is refused. */
  readonly hint?: string;
}

/**
 * What an archive holds, once checked: its files, and how many of them each
 * folder holds directly.
 *
 * @example Files per folder
 * ```ts
 * import { listTgz } from "./tar.ts";
 *
 * const name = "mnist_sample.tgz";
 * const { perFolder } = await listTgz(await Deno.readFile(name), { name });
 * console.log(perFolder.get("mnist_sample/train/3")); // 6131
 * ```
 */
export interface TgzListing {
  /** How many files (folders not counted, hidden files counted). */
  readonly files: number;
  /** The paths of the entries, files and folders, `/`-separated, relative. */
  readonly paths: readonly string[];
  /**
   * Every folder (`""` for the top, and those only implied by a path), with
   * how many files it holds directly, hidden files (`.name`) not counted.
   */
  readonly perFolder: ReadonlyMap<string, number>;
  /** The size of the inflated tar stream, in bytes. */
  readonly bytes: number;
}

/** One entry that passed the checks. */
interface Checked {
  readonly path: string;
  readonly type: "file" | "directory";
  readonly body: ReadableStream<Uint8Array>;
}

function refused(options: TgzOptions, what: string): DataError {
  return new DataError(
    `${options.name} ${what}: it was refused, and nothing was written. ` +
      `${options.hint ?? "Use an archive from a source you trust"}.`,
  );
}

/** `path` made relative and clean, or a `DataError` when it could escape. */
function safePath(path: string, options: TgzOptions): string {
  const parts = path.replaceAll("\\", "/").split("/");
  const unsafe = path.startsWith("/") || path.startsWith("\\") ||
    /^[A-Za-z]:/.test(path) || parts.includes("..");
  if (unsafe) {
    throw refused(
      options,
      `holds an entry with an unsafe path, "${path}" (absolute or with ` +
        "`..`), which could write outside the destination folder",
    );
  }
  return parts.filter((part) => part !== "" && part !== ".").join("/");
}

/** How many compressed bytes the decompressor is given at a time. */
const SLICE = 4096;

/**
 * The inflated bytes of a gzip archive as a stream that fails with a
 * `DataError` when the data are not gzip, are damaged, or inflate to more
 * than `maxBytes`.
 */
function inflate(
  gzip: Uint8Array,
  options: TgzOptions,
  maxBytes: number,
): ReadableStream<Uint8Array> {
  if (gzip[0] !== 0x1f || gzip[1] !== 0x8b) {
    throw new DataError(
      `${options.name} is not a gzip archive (.tgz): it does not start with ` +
        "the gzip signature. Check that the URL or path names the archive " +
        "itself.",
    );
  }
  // The compressed bytes go in by slices of 4 KB, because the decompressor
  // inflates a whole input chunk at once: deflate's ratio is at most about
  // 1:1032, so a slice makes at most about 4 MB, however the archive is made.
  let at = 0;
  const slices = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (at >= gzip.length) return controller.close();
      controller.enqueue(gzip.slice(at, at + SLICE) as Uint8Array<ArrayBuffer>);
      at += SLICE;
    },
  }, { highWaterMark: 0 });
  const reader = slices.pipeThrough(new DecompressionStream("gzip"))
    .getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (e) {
        controller.error(
          new DataError(
            `${options.name} is truncated or damaged (gzip: ${
              (e as Error).message
            }): download it again.`,
            { cause: e },
          ),
        );
        return;
      }
      if (read.done) return controller.close();
      total += read.value.length;
      if (total > maxBytes) {
        await reader.cancel();
        const cap = megabytes(maxBytes, { digits: 0 });
        controller.error(
          new DataError(
            `${options.name} inflates to more than ${cap}, ` +
              "the cap on an archive's extracted size: it was stopped there " +
              "(a damaged archive or a gzip bomb). If the archive is " +
              "genuinely that big, raise maxExtractBytes in untarData's " +
              "options.",
          ),
        );
        return;
      }
      controller.enqueue(read.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/** The entries of the archive, each checked, with the folder/file bookkeeping. */
async function* entries(
  gzip: Uint8Array,
  options: TgzOptions,
  sizes: { bytes: number },
): AsyncGenerator<Checked> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EXTRACT_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!(maxEntries > 0)) {
    throw new ArgumentError(
      `maxEntries must be a positive number of entries; got ${maxEntries}.`,
    );
  }
  if (!(maxBytes > 0)) {
    throw new ArgumentError(
      `maxBytes must be a positive number of bytes; got ${maxBytes}.`,
    );
  }
  const counted = inflate(gzip, options, maxBytes).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sizes.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  const files = new Set<string>();
  const folders = new Map<string, string>(); // folder → an entry inside it
  const decoded = counted.pipeThrough(createTarDecoder({ strict: true }));
  let count = 0;
  try {
    for await (const { header, body } of decoded) {
      throwIfInterrupted(() =>
        `Interrupted: reading ${options.name} stopped at its entry ` +
        `${count}. What was extracted so far is incomplete (untarData ` +
        "removes it): run the cell again to extract the archive."
      );
      if (++count > maxEntries) {
        await body.cancel();
        throw refused(
          options,
          `holds more than ${maxEntries.toLocaleString("en-US")} entries ` +
            "(maxEntries)",
        );
      }
      const path = safePath(header.name, options);
      const type = kind(header, path, options);
      if (path === "") { // the archive's own "./"
        await body.cancel();
        continue;
      }
      const parts = path.split("/");
      for (let i = 1; i <= parts.length; i++) {
        const folder = parts.slice(0, i).join("/");
        if (i < parts.length || type === "directory") {
          if (files.has(folder)) throw clash(folder, path, options);
          if (!folders.has(folder)) folders.set(folder, path);
        } else if (folders.has(folder)) {
          throw clash(path, folders.get(folder)!, options);
        }
      }
      if (type === "file") files.add(path);
      yield { path, type, body };
    }
  } catch (e) {
    if (e instanceof LessonError) throw e;
    // modern-tar's own errors: a wrong header checksum, a truncated tar.
    throw new DataError(
      `${options.name} is damaged or truncated (tar: ${
        (e as Error).message
      }): delete it and download it again.`,
      { cause: e },
    );
  }
}

/** Whether an entry is a file or a folder; anything else is refused. */
function kind(
  header: TarHeader,
  path: string,
  options: TgzOptions,
): "file" | "directory" {
  const paxSize = header.pax?.size;
  if (paxSize !== undefined && !(/^\d+$/.test(paxSize))) {
    throw new DataError(
      `${options.name} is damaged: the pax header of "${path}" gives its ` +
        `size as "${paxSize}", which is not a number of bytes, so where the ` +
        "next entry starts is unknown. Delete the archive and download it " +
        "again.",
    );
  }
  const type = header.type ?? "file";
  if (type === "file" || type === "directory") return type;
  const target = header.linkname ? ` to "${header.linkname}"` : "";
  throw refused(
    options,
    `holds "${path}", a ${type}${target}, where only files and folders are ` +
      "extracted (a link could make later files land outside the folder)",
  );
}

function clash(file: string, inside: string, options: TgzOptions): DataError {
  const both = file === inside
    ? `"${file}" both as a file and as a folder`
    : `both a file "${file}" and "${inside}", which needs "${file}" to be a ` +
      "folder";
  return new DataError(
    `${options.name} holds ${both}: it cannot be extracted, and nothing ` +
      "was written. The archive is malformed: use another copy of it.",
  );
}

/**
 * Checks every entry of a gzipped tar archive, without writing anything, and
 * lists what it holds. Throws a `DataError` naming the archive when it is not
 * gzip, is damaged or truncated, inflates to more than `maxBytes`, or holds
 * an unsafe path, a link or device, a pax size that is not a number, or a
 * file that is also a folder.
 *
 * @throws {DataError} The archive is damaged, unsafe or too big.
 * @throws {ArgumentError} `maxBytes` is not a positive number.
 *
 * @example Count the files of an archive
 * ```ts
 * import { listTgz } from "./tar.ts";
 *
 * const name = "mnist_sample.tgz";
 * console.log((await listTgz(await Deno.readFile(name), { name })).files); // 14435
 * ```
 */
export function listTgz(
  gzip: Uint8Array,
  options: TgzOptions,
): Promise<TgzListing> {
  return interruptible("listTgz", () => list(gzip, options));
}

async function list(
  gzip: Uint8Array,
  options: TgzOptions,
): Promise<TgzListing> {
  const sizes = { bytes: 0 };
  const paths: string[] = [];
  const perFolder = new Map<string, number>([["", 0]]);
  let files = 0;
  for await (const entry of entries(gzip, options, sizes)) {
    await entry.body.cancel(); // skipped: this pass only checks
    paths.push(entry.path);
    const parts = entry.path.split("/");
    const name = entry.type === "file" ? parts.pop()! : "";
    for (let i = 1; i <= parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      if (!perFolder.has(folder)) perFolder.set(folder, 0);
    }
    if (entry.type === "file") {
      files++;
      const folder = parts.join("/");
      if (!name.startsWith(".")) {
        perFolder.set(folder, perFolder.get(folder)! + 1);
      }
    }
  }
  return { files, paths, perFolder, bytes: sizes.bytes };
}

/** How many files are written at once. */
const WRITES_IN_FLIGHT = 64;

/**
 * Checks a gzipped tar archive with {@linkcode listTgz} (so nothing is written
 * when any entry is refused), then extracts its folders and files under
 * `root`, which must exist. `onFile` is called with the count of files
 * written and their total: with 0 once the archive is checked, then after
 * each file. Returns the listing.
 *
 * @throws {DataError} The archive is damaged, unsafe or too big (see
 * {@linkcode listTgz}).
 * @throws {ArgumentError} `maxBytes` is not a positive number.
 *
 * @example Extract with a count of files
 * ```ts
 * import { extractTgz } from "./tar.ts";
 *
 * const name = "mnist_sample.tgz";
 * await extractTgz(await Deno.readFile(name), "/tmp/out", {
 *   name,
 *   onFile: (done, total) => console.log(`${done} / ${total}`),
 * });
 * ```
 */
export function extractTgz(
  gzip: Uint8Array,
  root: string,
  options: TgzOptions & {
    readonly onFile?: (done: number, total: number) => void;
  },
): Promise<TgzListing> {
  return interruptible("extractTgz", () => extract(gzip, root, options));
}

async function extract(
  gzip: Uint8Array,
  root: string,
  options: TgzOptions & {
    readonly onFile?: (done: number, total: number) => void;
  },
): Promise<TgzListing> {
  const listing = await listTgz(gzip, options);
  const made = new Set<string>();
  const mkdir = async (folder: string) => {
    if (folder === "" || made.has(folder)) return;
    await Deno.mkdir(join(root, folder), { recursive: true });
    made.add(folder);
  };
  // Up to WRITES_IN_FLIGHT files are written at once, while the next
  // entries are read.
  let inFlight = 0;
  let failure: { readonly error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const settled = () => {
    inFlight--;
    wake?.();
    wake = undefined;
  };
  const room = async (free: number) => {
    while (inFlight > free) await new Promise<void>((r) => wake = r);
    if (failure !== undefined) throw failure.error;
  };
  let done = 0;
  options.onFile?.(0, listing.files);
  try {
    for await (const entry of entries(gzip, options, { bytes: 0 })) {
      if (entry.type === "directory") {
        await entry.body.cancel();
        await mkdir(entry.path);
        continue;
      }
      await mkdir(entry.path.split("/").slice(0, -1).join("/"));
      const data = await new Response(entry.body).bytes();
      inFlight++;
      Deno.writeFile(join(root, entry.path), data)
        .then(() => options.onFile?.(++done, listing.files))
        .catch((error) => failure ??= { error })
        .finally(settled);
      await room(WRITES_IN_FLIGHT - 1);
    }
  } finally {
    await room(0).catch(() => {}); // no write outlives the call
  }
  try {
    await room(0); // rethrows a failed write
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOSPC") throw e;
    throw new DataError(
      `No space left on the disk while extracting ${options.name} into ` +
        `${root}: the archive holds ${listing.files.toLocaleString("en-US")} ` +
        `file${listing.files === 1 ? "" : "s"}, ${
          listing.bytes < 1e6
            ? `${Math.ceil(listing.bytes / 1e3)} kB`
            : megabytes(listing.bytes, { digits: 0 })
        } in all. Free that much space (or more), or extract it to another ` +
        "disk, then run again.",
      { cause: e },
    );
  }
  return listing;
}
