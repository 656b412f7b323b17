/**
 * A tiny tar writer for tests: builds archives byte by byte, so tests can
 * cover header kinds (ustar prefix, GNU long names, pax headers) and damage
 * (bad checksums, unsafe paths) that no ready-made archive has.
 *
 * @module
 */

const encoder = new TextEncoder();

/** One header's fields; the defaults make a POSIX ustar file entry. */
export interface HeaderFields {
  /** The name field (at most 100 bytes). */
  readonly name: string;
  /** The type flag: "0" file, "5" folder, "L" GNU long name, "x"/"g" pax, ... */
  readonly type?: string;
  /** The size field; by default the data's length. */
  readonly size?: number;
  /** The ustar prefix field (at most 155 bytes). */
  readonly prefix?: string;
  /** "posix" (`ustar\0` + `00`) or "gnu" (`ustar  \0`). */
  readonly magic?: "posix" | "gnu";
  /** Added to the correct checksum, to make a damaged header. */
  readonly checksumError?: number;
}

function put(block: Uint8Array, at: number, text: string): void {
  block.set(encoder.encode(text), at);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** A 512-byte header block. */
export function header(fields: HeaderFields, dataLength = 0): Uint8Array {
  const block = new Uint8Array(512);
  put(block, 0, fields.name);
  put(block, 100, octal(0o644, 8));
  put(block, 108, octal(0, 8));
  put(block, 116, octal(0, 8));
  put(block, 124, octal(fields.size ?? dataLength, 12));
  put(block, 136, octal(1598140800, 12));
  put(block, 156, fields.type ?? "0");
  if (fields.magic === "gnu") {
    put(block, 257, "ustar  \0");
    put(block, 345, octal(1598140800, 12)); // GNU tar keeps the atime here
  } else {
    put(block, 257, "ustar\0" + "00");
    put(block, 345, fields.prefix ?? "");
  }
  put(block, 148, "        ");
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(block, 148, octal(sum + (fields.checksumError ?? 0), 7) + " ");
  return block;
}

/** A header followed by its data, padded to whole blocks. */
export function entry(
  fields: HeaderFields,
  data: string | Uint8Array = "",
): Uint8Array {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const out = new Uint8Array(512 + Math.ceil(bytes.length / 512) * 512);
  out.set(header(fields, bytes.length));
  out.set(bytes, 512);
  return out;
}

/** A pax record, `"<length> <key>=<value>\n"`, whose length counts its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length++;
  return `${length}${body}`;
}

/** Entries one after the other, then the two zero blocks that end an archive. */
export function tar(...entries: Uint8Array[]): Uint8Array {
  const length = entries.reduce((n, e) => n + e.length, 0) + 1024;
  const out = new Uint8Array(length);
  let at = 0;
  for (const e of entries) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}
