/**
 * The pieces `gatherRows` and `grayLevels`: `tf.gather` of rows of a matrix,
 * on the `wasm` backend, which is how `dataloader.ts`'s `TensorDataset` makes
 * each batch (`tf.gather(x, indices)`, the lesson's `x[indices]`).
 *
 * The backend's own `GatherV2` kernel computes every value's place in a
 * general loop: 14 ms for a batch of 256 rows of MNIST's `[12396, 784]`, 0.7 s
 * an epoch, more than the linear model's training. Rows of a float32 matrix
 * are runs of memory: the piece `gatherRows` copies each row as one block.
 * The piece `grayLevels` goes further for images whose every value is a gray
 * level `v / 255` (`gray_levels.ts`): the first time such a matrix is
 * gathered from, its nonzero levels are listed once (the 39 MB of MNIST's
 * training images take 5.4 MB), and batches are written from that list by a
 * routine. Both give the same floats, bit for bit, as the backend's kernel,
 * which does every other gather (other ranks, axes, types, indices out of
 * range), and all of them with both pieces off.
 *
 * The `cpu` backend's `GatherV2` has the same general loop, and the fallback
 * needs fast batches too: there `gatherRows` copies rows as blocks of its
 * arrays (a 20-epoch linear fit on `cpu` took 13.7 s with its kernel, 1.7 s
 * when batches were copied row by row in JavaScript).
 *
 * @example Rows of a matrix, gathered
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherCounts } from "./gather.ts";
 *
 * const x = tf.tensor2d([[0, 1], [1, 0], [0.2, 0.4]]);
 * const before = gatherCounts().rows;
 * tf.gather(x, [2, 0]).print(); // [[0.2, 0.4], [0, 1]]
 * console.log(gatherCounts().rows - before); // 1
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { fastPieces } from "./speed.ts";
import { address, handNonzeros, type WasmBackend } from "./routines.ts";
import {
  gatherLevels,
  type GrayLevels,
  grayLevelsOf,
  levelsOffer,
} from "./gray_levels.ts";

/**
 * How many gathers each piece has done since the process started.
 *
 * @example
 * ```ts
 * import type { GatherCounts } from "./gather.ts";
 *
 * const none: GatherCounts = { rows: 0, grayLevels: 0 };
 * ```
 */
export interface GatherCounts {
  /** Gathers of rows copied as blocks (`gatherRows`). */
  readonly rows: number;
  /** Gathers of rows written from their gray levels (`grayLevels`). */
  readonly grayLevels: number;
}

const counts = { rows: 0, grayLevels: 0 };

/**
 * How many gathers each piece has done: to check that a setting does what it
 * says.
 *
 * @example
 * ```ts
 * import { gatherCounts } from "./gather.ts";
 *
 * console.log(gatherCounts().grayLevels >= 0); // true
 * ```
 */
export function gatherCounts(): GatherCounts {
  return { ...counts };
}

/** Each matrix's gray levels (null: not all gray levels), by its data. */
const stores = new WeakMap<object, GrayLevels | null>();

/** The gray levels of the float32 matrix `x`, listed the first time. */
function storeOf(backend: WasmBackend, x: tf.TensorInfo): GrayLevels | null {
  let store = stores.get(x.dataId);
  if (store === undefined) {
    const [n, width] = x.shape;
    const values = new Float32Array(
      backend.wasm.asm.memory.buffer,
      address(backend, x),
      n * width,
    );
    store = grayLevelsOf(values, width);
    stores.set(x.dataId, store);
  }
  return store;
}

/**
 * Whether a `GatherV2` call takes whole rows of a float32 matrix by a list of
 * int32 indices: the one case the pieces handle, on either backend.
 */
function gathersRows(
  args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap },
): boolean {
  const { x, indices } = args.inputs as Record<string, tf.TensorInfo>;
  const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
  return x.dtype === "float32" && x.shape.length === 2 &&
    (axis === 0 || axis === -2) && !batchDims &&
    indices.dtype === "int32" && indices.shape.length === 1;
}

const wasmGather = tf.getKernel("GatherV2", "wasm")!;
tf.unregisterKernel("GatherV2", "wasm");
tf.registerKernel({
  ...wasmGather,
  kernelFunc: (args) => {
    const { x, indices } = args.inputs as Record<string, tf.TensorInfo>;
    const pieces = fastPieces();
    if (!(pieces.gatherRows || pieces.grayLevels) || !gathersRows(args)) {
      return wasmGather.kernelFunc(args);
    }
    const backend = args.backend as WasmBackend;
    const [n, width] = x.shape;
    // Read the indices before allocating: the memory may grow, and move.
    const rows = Array.from(
      new Int32Array(
        backend.wasm.asm.memory.buffer,
        address(backend, indices),
        indices.shape[0],
      ),
    );
    if (rows.some((row) => row < 0 || row >= n)) {
      return wasmGather.kernelFunc(args); // TensorFlow.js decides
    }
    const store = pieces.grayLevels ? storeOf(backend, x) : null;
    if (store !== null) {
      counts.grayLevels++;
      const batch = gatherLevels(backend, store, rows);
      // The product of this batch (a first layer) lists its nonzeros from
      // the store, not by looking for them (routines.ts).
      if (pieces.handedNonzeros) {
        handNonzeros(batch.dataId, levelsOffer(store, rows));
      }
      return batch;
    }
    if (!pieces.gatherRows) return wasmGather.kernelFunc(args);
    counts.rows++;
    const out = backend.makeOutput([rows.length, width], "float32");
    const memory = new Float32Array(backend.wasm.asm.memory.buffer);
    const from = address(backend, x) / 4, to = address(backend, out) / 4;
    rows.forEach((row, k) =>
      memory.copyWithin(
        to + k * width,
        from + row * width,
        from + (row + 1) * width,
      )
    );
    return out;
  },
});

/** What the rows' copy uses of the `cpu` backend (tfjs-backend-cpu 4.22). */
interface CpuBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(
    shape: number[],
    dtype: "float32",
    values: Float32Array,
  ): tf.TensorInfo;
}

const cpuGather = tf.getKernel("GatherV2", "cpu");
if (cpuGather !== undefined) {
  tf.unregisterKernel("GatherV2", "cpu");
  tf.registerKernel({
    ...cpuGather,
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as Record<string, tf.TensorInfo>;
      if (!fastPieces().gatherRows || !gathersRows(args)) {
        return cpuGather.kernelFunc(args);
      }
      const backend = args.backend as unknown as CpuBackend;
      const [n, width] = x.shape;
      const rows = backend.readSync(indices.dataId);
      for (let k = 0; k < rows.length; k++) {
        if (rows[k] < 0 || rows[k] >= n) return cpuGather.kernelFunc(args);
      }
      const values = backend.readSync(x.dataId) as Float32Array;
      const out = new Float32Array(rows.length * width);
      for (let k = 0; k < rows.length; k++) {
        const from = rows[k] * width;
        out.set(values.subarray(from, from + width), k * width);
      }
      counts.rows++;
      return backend.makeTensorInfo([rows.length, width], "float32", out);
    },
  });
}
