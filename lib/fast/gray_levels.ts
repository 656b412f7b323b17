/**
 * The gray-level store of the piece `grayLevels`: images whose every value is
 * a gray level `v / 255` (as the loaders make them) kept as the columns and
 * levels of their nonzero values. MNIST's 39 MB of floats, 81% zeros, take
 * 5.4 MB, which stay in the processor's cache while random rows are read; the
 * routine `gather_levels` (`simd.c`) writes a batch of rows from them straight
 * into the `wasm` backend's memory. `gather.ts` decides when (its `GatherV2`
 * kernel); the rows are the same floats, bit for bit: only data whose every
 * nonzero value equals `UNIT_LEVELS[level]` (and holds no `-0`) is kept.
 *
 * @example A store of two rows of three pixels, and a batch from it
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherLevels, grayLevelsOf } from "./gray_levels.ts";
 *
 * const store = grayLevelsOf(Float32Array.of(0, 0, 1, 51 / 255, 1, 0), 3)!;
 * if (tf.getBackend() === "wasm") {
 *   const info = gatherLevels(tf.backend(), store, [1, 0]);
 *   tf.engine().makeTensorFromTensorInfo(info).print(); // [[0.2, 1, 0], [0, 0, 1]]
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  address,
  type HandedNonzeros,
  type Instance,
  instanceOf,
  type WasmBackend,
} from "./routines.ts";

/**
 * Gray levels 0..255 as float32 values 0..1, as JavaScript divides them:
 * `UNIT_LEVELS[v]` is `v / 255`.
 *
 * @example
 * ```ts
 * import { UNIT_LEVELS } from "./gray_levels.ts";
 *
 * console.log(UNIT_LEVELS[0], UNIT_LEVELS[255]); // 0 1
 * ```
 */
export const UNIT_LEVELS: Readonly<Float32Array> = Float32Array.from(
  { length: 256 },
  (_, v) => v / 255,
);

/**
 * Images kept as their nonzero gray levels: row `r`'s values are
 * `levels[starts[r] .. starts[r + 1])`, in the columns `where[...]`, each
 * meaning `UNIT_LEVELS[level]`; every other value is 0.
 *
 * @example Two rows of three pixels: `[0, 0, 1]` and `[0.2, 1, 0]`
 * ```ts
 * import type { GrayLevels } from "./gray_levels.ts";
 *
 * const store: GrayLevels = {
 *   width: 3,
 *   starts: Uint32Array.of(0, 1, 3),
 *   where: Uint16Array.of(2, 0, 1),
 *   levels: Uint8Array.of(255, 51, 255),
 * };
 * console.log(store.starts.length - 1); // 2 rows
 * ```
 */
export interface GrayLevels {
  /** Values per row. */
  readonly width: number;
  readonly starts: Uint32Array;
  readonly where: Uint16Array;
  readonly levels: Uint8Array;
}

/** A copy of a GrayLevels in one backend's memory, at these addresses. */
interface LevelsCopy {
  readonly backend: WasmBackend;
  readonly starts: number;
  readonly where: number;
  readonly levels: number;
}

const levelsCopies = new WeakMap<GrayLevels, LevelsCopy>();
const freeWhenCollected = new FinalizationRegistry<() => void>((free) =>
  free()
);

/** The store's copy in the backend's memory, made the first time. */
function levelsCopy(instance: Instance, store: GrayLevels): LevelsCopy {
  const { backend } = instance;
  const kept = levelsCopies.get(store);
  if (kept !== undefined && kept.backend === backend) return kept;
  const { starts, where, levels } = store;
  const block = backend.wasm._malloc(
    starts.byteLength + where.byteLength + levels.byteLength,
  );
  const heap = new Uint8Array(backend.wasm.asm.memory.buffer);
  const bytes = (a: ArrayBufferView) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  heap.set(bytes(starts), block);
  heap.set(bytes(where), block + starts.byteLength);
  heap.set(bytes(levels), block + starts.byteLength + where.byteLength);
  const copy = {
    backend,
    starts: block,
    where: block + starts.byteLength,
    levels: block + starts.byteLength + where.byteLength,
  };
  if (kept !== undefined) freeWhenCollected.unregister(kept);
  levelsCopies.set(store, copy);
  freeWhenCollected.register(store, () => backend.wasm._free(block), copy);
  return copy;
}

/** Where {@linkcode UNIT_LEVELS} is copied in each backend's memory. */
const levelTables = new WeakMap<Instance, number>();

/** {@linkcode UNIT_LEVELS} in the backend's memory, copied the first time. */
function tableOf(instance: Instance): number {
  let table = levelTables.get(instance);
  if (table === undefined) {
    const { wasm } = instance.backend;
    table = wasm._malloc(UNIT_LEVELS.byteLength);
    new Float32Array(wasm.asm.memory.buffer, table, 256).set(UNIT_LEVELS);
    levelTables.set(instance, table);
  }
  return table;
}

/**
 * The rows `indices` of images kept as gray levels, as the data of a new
 * float32 tensor `[indices.length, width]` (for a kernel to return) of the
 * values `UNIT_LEVELS[level]` and zeros, in the memory of the WebAssembly
 * backend: the routine `gather_levels` writes
 * them there, from a copy of the store made in that memory the first time
 * (and freed when the store is collected). The indices must be whole
 * numbers from 0 to the store's last row: the caller checks them.
 *
 * @example Two rows of three pixels, the second first
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherLevels } from "./gray_levels.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const store = {
 *     width: 3,
 *     starts: Uint32Array.of(0, 1, 3),
 *     where: Uint16Array.of(2, 0, 1),
 *     levels: Uint8Array.of(255, 51, 255),
 *   };
 *   const info = gatherLevels(tf.backend(), store, [1, 0]);
 *   const rows = tf.engine().makeTensorFromTensorInfo(info);
 *   rows.print(); // [[0.2, 1, 0], [0, 0, 1]]
 *   rows.dispose();
 * }
 * ```
 */
export function gatherLevels(
  backend: tf.KernelBackend,
  store: GrayLevels,
  indices: readonly number[],
): tf.TensorInfo {
  const instance = instanceOf(backend);
  const { wasm } = instance.backend;
  const copy = levelsCopy(instance, store);
  const table = tableOf(instance);
  const n = indices.length;
  const info = instance.backend.makeOutput([n, store.width], "float32");
  const rows = wasm._malloc(4 * Math.max(n, 1));
  try {
    new Int32Array(wasm.asm.memory.buffer, rows, n).set(indices);
    instance.simd.gather_levels(
      copy.starts,
      copy.where,
      copy.levels,
      table,
      rows,
      n,
      store.width,
      address(instance.backend, info),
    );
  } finally {
    wasm._free(rows);
  }
  return info;
}

/**
 * The nonzero entries of the batch {@linkcode gatherLevels} writes for these
 * `indices`, as an offer for the routines' products (`handNonzeros` of
 * `routines.ts`, piece `handedNonzeros`): their count now, and the routine
 * `list_levels` to list them from the store's copy when a product asks,
 * entry for entry what the product would list from the batch. The indices
 * must be whole numbers from 0 to the store's last row.
 *
 * @example The offer for the second row of a store: one nonzero level
 * ```ts
 * import { grayLevelsOf, levelsOffer } from "./gray_levels.ts";
 *
 * const store = grayLevelsOf(Float32Array.of(0, 0, 1, 51 / 255, 1, 0), 3)!;
 * console.log(levelsOffer(store, [1]).count); // 2
 * ```
 */
export function levelsOffer(
  store: GrayLevels,
  indices: readonly number[],
): HandedNonzeros {
  const rows = [...indices];
  let count = 0;
  for (const r of rows) count += store.starts[r + 1] - store.starts[r];
  return {
    rows: rows.length,
    columns: store.width,
    count,
    list: (instance, starts, where, value) => {
      const { wasm } = instance.backend;
      const copy = levelsCopy(instance, store);
      const table = tableOf(instance);
      const at = wasm._malloc(4 * Math.max(rows.length, 1));
      try {
        new Int32Array(wasm.asm.memory.buffer, at, rows.length).set(rows);
        instance.simd.list_levels(
          copy.starts,
          copy.where,
          copy.levels,
          table,
          at,
          rows.length,
          starts,
          where,
          value,
        );
      } finally {
        wasm._free(at);
      }
    },
  };
}

/**
 * The nonzero gray levels of `values`, rows of `width` values, or null when a
 * value is not a gray level `UNIT_LEVELS[v]` (or is `-0`, which would come
 * back as 0), or rows are wider than 65,536.
 *
 * @example
 * ```ts
 * import { grayLevelsOf } from "./gray_levels.ts";
 *
 * console.log(grayLevelsOf(Float32Array.of(0, 1), 2)?.levels); // Uint8Array [255]
 * console.log(grayLevelsOf(Float32Array.of(0, 0.5), 2)); // null
 * ```
 */
export function grayLevelsOf(
  values: Float32Array,
  width: number,
): GrayLevels | null {
  if (width > 65536 || width < 1 || values.length % width !== 0) return null;
  const n = values.length / width;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
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
      if (values[i] === 0) continue;
      where[at] = j;
      levels[at++] = Math.round(values[i] * 255);
    }
  }
  starts[n] = at;
  return { width, starts, where, levels };
}
