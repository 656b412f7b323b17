/**
 * A small reader of tar archives, enough for the data sets the lesson
 * downloads: POSIX ustar headers (with their name prefix), GNU long names
 * (`L` entries) and pax extended headers (`x`, and `g`, whose settings are
 * ignored).
 *
 * {@linkcode readTar} lists the entries of an uncompressed archive held in
 * memory; each entry's data is a view into the archive, not a copy. Every
 * header's checksum is verified, and an entry whose path is absolute or climbs
 * out with `..` is refused, so extracting the entries under a folder can never
 * write outside it.
 *
 * @example List the files of an archive
 * ```ts
 * import { gunzipSync } from "node:zlib";
 * import { readTar } from "./tar.ts";
 *
 * const name = "data/mnist_sample.tgz";
 * const entries = readTar(gunzipSync(await Deno.readFile(name)), name);
 * console.log(entries.filter((e) => e.type === "file").length);
 * ```
 *
 * @module
 */
import { DataError } from "../errors.ts";

/**
 * What a tar entry is: a file, a folder, or something else (a link, a
 * device, ...), which extraction skips.
 *
 * @example Keep files only
 * ```ts
 * import { readTar, type TarEntryType } from "./tar.ts";
 *
 * const wanted: TarEntryType = "file";
 * const files = readTar(await Deno.readFile("a.tar"), "a.tar")
 *   .filter((e) => e.type === wanted);
 * ```
 */
export type TarEntryType = "file" | "directory" | "other";

/**
 * One entry of a tar archive.
 *
 * @example Print the entries of an archive
 * ```ts
 * import { readTar, type TarEntry } from "./tar.ts";
 *
 * const show = (e: TarEntry) => console.log(e.type, e.path, e.data.length);
 * readTar(new Uint8Array(1024), "empty.tar").forEach(show); // prints nothing
 * ```
 */
export interface TarEntry {
  /** Relative path, `/`-separated, without `.` parts or a trailing `/`. */
  readonly path: string;
  /** Whether the entry is a file, a folder or something else. */
  readonly type: TarEntryType;
  /** The file's bytes: a view into the archive (empty for folders). */
  readonly data: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

/** A NUL-terminated text field of a header. */
function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** An octal number field; GNU tar writes big ones in base 256 (high bit set). */
function number(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + field[i];
    return value;
  }
  const digits = text(block, start, length).trim();
  return digits === "" ? 0 : parseInt(digits, 8);
}

/** Header checksum: the sum of its bytes, with the checksum field read as spaces. */
function checksumOk(block: Uint8Array): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) {
    if (i < 148 || i >= 156) sum += block[i];
  }
  return sum === number(block, 148, 8);
}

/** The `key=value` records of a pax header: `"<length> <key>=<value>\n"` each. */
function paxRecords(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = parseInt(decoder.decode(data.subarray(at, space)), 10);
    if (space === -1 || !(length > 0)) break;
    const record = decoder.decode(data.subarray(space + 1, at + length - 1));
    const equals = record.indexOf("=");
    if (equals > 0) {
      records.set(record.slice(0, equals), record.slice(equals + 1));
    }
    at += length; // the length counts bytes, itself and the newline included
  }
  return records;
}

/** `path` made relative and clean, or a `DataError` when it could escape. */
function safePath(path: string, archive: string): string {
  const parts = path.replaceAll("\\", "/").split("/");
  const unsafe = path.startsWith("/") || path.startsWith("\\") ||
    /^[A-Za-z]:/.test(path) || parts.includes("..");
  if (unsafe) {
    throw new DataError(
      `${archive} holds an entry with an unsafe path, "${path}" (absolute or ` +
        "with `..`), which could write outside the destination folder: it was " +
        "refused. Use an archive from a source you trust.",
    );
  }
  return parts.filter((part) => part !== "" && part !== ".").join("/");
}

/**
 * The entries of an uncompressed tar archive, in archive order.
 *
 * `name` is how errors refer to the archive. Throws a `DataError` when a
 * header's checksum is wrong, the archive ends inside an entry, or an entry's
 * path is absolute or contains `..`.
 *
 * @example Files only
 * ```ts
 * import { readTar } from "./tar.ts";
 *
 * const tar = await Deno.readFile("archive.tar");
 * for (const entry of readTar(tar, "archive.tar")) {
 *   if (entry.type === "file") console.log(entry.path, entry.data.length);
 * }
 * ```
 */
export function readTar(bytes: Uint8Array, name: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let longPath: string | undefined; // from a GNU `L` or pax `x` header
  let paxSize: number | undefined; // from a pax `x` header
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end of the archive
    if (!checksumOk(header)) {
      throw new DataError(
        `${name} is damaged: the tar header at byte ${at} has a wrong ` +
          "checksum. Delete the archive and download it again.",
      );
    }
    const size = paxSize ?? number(header, 124, 12);
    const start = at + BLOCK;
    if (start + size > bytes.length) {
      throw new DataError(
        `${name} is truncated: its entry at byte ${at} needs ${size} bytes ` +
          `but only ${bytes.length - start} remain. Delete the archive and ` +
          "download it again.",
      );
    }
    const data = bytes.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;

    const flag = String.fromCharCode(header[156]);
    if (flag === "L") {
      longPath = text(data, 0, data.length);
      continue;
    }
    if (flag === "x") {
      const records = paxRecords(data);
      longPath = records.get("path") ?? longPath;
      const paxSizeText = records.get("size");
      paxSize = paxSizeText === undefined ? undefined : Number(paxSizeText);
      continue;
    }
    if (flag === "g" || flag === "K") continue; // global settings, long link names

    let path = longPath;
    if (path === undefined) {
      path = text(header, 0, 100);
      const prefix = text(header, 345, 155);
      // Only POSIX ustar ("ustar\0") has a prefix; GNU tar stores times there.
      if (text(header, 257, 6) === "ustar" && prefix !== "") {
        path = `${prefix}/${path}`;
      }
    }
    longPath = undefined;
    paxSize = undefined;
    const type: TarEntryType = flag === "0" || flag === "\0" || flag === "7"
      ? "file"
      : flag === "5"
      ? "directory"
      : "other";
    const clean = safePath(path, name);
    if (clean !== "") entries.push({ path: clean, type, data }); // skip "./"
  }
  if (at < bytes.length && at + BLOCK > bytes.length) {
    throw new DataError(
      `${name} is truncated: it ends inside the tar header at byte ${at}. ` +
        "Delete the archive and download it again.",
    );
  }
  return entries;
}
