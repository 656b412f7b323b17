/**
 * Byte counts as the library's messages print them: in megabytes of
 * 1,000,000 bytes ("3.1 MB"), the unit the download, extraction and
 * progress messages share.
 *
 * @example
 * ```ts
 * import { megabytes } from "./bytes.ts";
 *
 * console.log(`downloaded ${megabytes(3_141_592)}`); // "downloaded 3.1 MB"
 * ```
 *
 * @module
 */

/** How to print a number of megabytes. */
export interface MegabytesOptions {
  /** Digits after the point. Default: 1 ("3.1"). */
  readonly digits?: number;
  /** Whether to end with " MB". Default: true; false for "1.6 / 3.2 MB". */
  readonly unit?: boolean;
}

/**
 * `bytes` in megabytes (1 MB = 1,000,000 bytes), rounded to `digits`.
 *
 * @example
 * ```ts
 * import { megabytes } from "./bytes.ts";
 *
 * megabytes(3_141_592); // "3.1 MB"
 * megabytes(256_000_000, { digits: 0 }); // "256 MB"
 * `${megabytes(1_600_000, { unit: false })} / ${megabytes(3_200_000)}`; // "1.6 / 3.2 MB"
 * ```
 */
export function megabytes(
  bytes: number,
  { digits = 1, unit = true }: MegabytesOptions = {},
): string {
  const amount = (bytes / 1e6).toFixed(digits);
  return unit ? `${amount} MB` : amount;
}
