/**
 * The speed piece `grayLevels`: batches of images gathered from their
 * nonzero gray levels. `TensorDataset` (`lib/dataloader.ts`) keeps its inputs
 * as rows of floats and copies each batch's rows out of them; here, when every
 * value of the inputs is a gray level `v / 255` (as `loadMnistSample` makes
 * them), each row is also kept as the columns and levels of its nonzero
 * values: MNIST's 39 MB of floats, 81% zeros, take 5.4 MB, which stay in the
 * processor's cache while random rows are read. On the `wasm` backend a
 * routine (`gather_levels` in `simd.c`) writes each batch from them straight
 * into the backend's memory. The batches are the same floats, bit for bit:
 * only data whose every nonzero value equals `UNIT_LEVELS[level]` (and holds
 * no `-0`) is kept this way.
 *
 * Measured here (a quiet 2-core machine; see `README.md`): one epoch of 49
 * shuffled batches of 256 MNIST rows, 14 ms by the floats' copy and
 * `tf.tensor2d`, 3 ms from the gray levels.
 *
 * @example Batches of two images of three pixels
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastRows } from "./rows.ts";
 *
 * const x = tf.tensor2d([[0, 0, 1], [51 / 255, 1, 0]]);
 * const rows = fastRows(x, () => ({ gather: (r) => tf.gather(x, r) }));
 * const batch = rows.gather([1, 0]);
 * batch.print(); // [[0.2, 1, 0], [0, 0, 1]]
 * tf.dispose([x, batch]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./backend.ts";
import { fastPieces } from "./speed.ts";
import { gatherLevels, type GrayLevels, UNIT_LEVELS } from "./routines.ts";

/**
 * Rows of a matrix, from which batches are gathered.
 *
 * @example Rows gathered by `tf.gather`
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { RowSource } from "./rows.ts";
 *
 * const m = tf.tensor2d([[1, 2], [3, 4]]);
 * const rows: RowSource = { gather: (indices) => tf.gather(m, indices) };
 * rows.gather([1]).print(); // [[3, 4]]
 * ```
 */
export interface RowSource {
  /** The rows at `indices`, in that order, as a new tensor. */
  gather(indices: readonly number[]): tf.Tensor2D;
}

/**
 * Rows of `m` `[n, width]` to gather batches from. `plain` makes the plain
 * rows from a copy of `m`'s values; they serve every batch, unless every
 * value of `m` is a gray level `v / 255` (0..255, as `UNIT_LEVELS` holds
 * them). Then the rows are kept as their nonzero gray levels, which gather
 * each batch by a routine straight into the `wasm` backend's memory; the
 * plain rows are made only if needed (the piece `grayLevels` off, a backend
 * other than `wasm`, or an index that is not a row of `m`), from values
 * rebuilt from the levels, bit for bit: MNIST's 39 MB of floats are not kept
 * twice. The batches are the same either way, bit for bit.
 *
 * @example Images as gray levels, and rows that are not
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastRows, type RowSource } from "./rows.ts";
 *
 * const x = tf.tensor2d([[0, 1], [0.5, 0]]);
 * let made = 0;
 * const plain = (values: Float32Array): RowSource => {
 *   made++;
 *   return { gather: (rows) => tf.tensor2d(values.slice(0, 2 * rows.length), [rows.length, 2]) };
 * };
 * fastRows(x, plain);
 * console.log(made); // 1: 0.5 is no v / 255
 * x.dispose();
 * ```
 */
export function fastRows(
  m: tf.Tensor2D,
  plain: (values: Float32Array) => RowSource,
): RowSource {
  const store = grayLevelsOf(m);
  if (store === null) return plain(Float32Array.from(m.dataSync()));
  const n = m.shape[0];
  let plainRows: RowSource | undefined;
  return {
    gather(indices: readonly number[]): tf.Tensor2D {
      const fast = fastPieces().grayLevels && tf.getBackend() === "wasm" &&
        indices.every((row) => Number.isInteger(row) && row >= 0 && row < n);
      if (fast) return gatherLevels(tf.backend(), store, indices);
      plainRows ??= plain(floatsOf(store));
      return plainRows.gather(indices);
    },
  };
}

/** The values of the rows kept in `store`, as floats. */
function floatsOf(store: GrayLevels): Float32Array {
  const { width, starts, where, levels } = store;
  const n = starts.length - 1;
  const values = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    for (let at = starts[r]; at < starts[r + 1]; at++) {
      values[r * width + where[at]] = UNIT_LEVELS[levels[at]];
    }
  }
  return values;
}

/** The nonzero gray levels of `m`, or null when a value is not one. */
function grayLevelsOf(m: tf.Tensor2D): GrayLevels | null {
  const [n, width] = m.shape;
  if (m.dtype !== "float32" || width > 65536) return null;
  const data = m.dataSync() as Float32Array;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === 0) {
      if (1 / v < 0) return null; // -0 would come back as 0
      continue;
    }
    if (!(UNIT_LEVELS[Math.round(v * 255)] === v)) return null;
    count++;
  }
  const starts = new Uint32Array(n + 1);
  const where = new Uint16Array(count);
  const levels = new Uint8Array(count);
  let at = 0;
  for (let r = 0; r < n; r++) {
    starts[r] = at;
    for (let j = 0, i = r * width; j < width; j++, i++) {
      if (data[i] === 0) continue;
      where[at] = j;
      levels[at++] = Math.round(data[i] * 255);
    }
  }
  starts[n] = at;
  return { width, starts, where, levels };
}
