/**
 * Kernels of our own for TensorFlow.js's WebAssembly backend, compiled from
 * `lib/fast/kernels.c`: the linear layer's product `x·W + b` and its weights'
 * gradient `xᵀ·dy`; writing batches of images and scaled pixels straight
 * into the backend's memory; and an `Identity` that shares a tensor's memory
 * instead of copying it. Each has a plain TensorFlow.js counterpart on the
 * `cpu` backend.
 *
 * Why: for the lesson's shapes the backend's own kernels spend their time
 * around the arithmetic. Its matrix product packs the weights anew after
 * every update (0.13 ms of a linear step's 0.5 ms), multiplies by a
 * transposed batch with a plain loop (0.2 ms), and every training step
 * copied the batch of images once more because the gradient tape keeps its
 * inputs through `Identity` (0.03 to 0.27 ms). `model.ts` registers the
 * layer's kernels under its own kernel names, so nothing else in
 * TensorFlow.js changes.
 *
 * @example x·W + b for one image of three pixels and two outputs
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { linearForward } from "./kernels.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 0, 2]]);
 *   const weight = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 *   const bias = tf.tensor1d([0.5, -0.5]);
 *   const backend = tf.backend();
 *   const y = linearForward({ inputs: { x, weight, bias }, backend, attrs: {} });
 *   console.log(backend.readSync((y as tf.TensorInfo).dataId)); // [11.5, 13.5]
 *   backend.disposeData((y as tf.TensorInfo).dataId);
 *   tf.dispose([x, weight, bias]);
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./backend.ts";
import { ShapeError } from "../errors.ts";
import { KERNELS_WASM_BASE64 } from "./kernels_wasm.ts";

/** What this module uses of `@tensorflow/tfjs-backend-wasm`'s backend. */
interface WasmBackend extends tf.KernelBackend {
  readonly wasm: {
    readonly asm: { readonly memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(address: number): void;
  };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

/** The functions of `lib/fast/kernels.c`; addresses are byte offsets. */
interface Kernels {
  scratch_floats(k: number): number;
  count_nonzeros(x: number, n: number, k: number): number;
  list_nonzeros(
    x: number,
    n: number,
    k: number,
    starts: number,
    where: number,
    value: number,
  ): number;
  linear_forward_dense(
    x: number,
    w: number,
    b: number,
    out: number,
    n: number,
    k: number,
  ): void;
  linear_forward_sparse(
    starts: number,
    where: number,
    value: number,
    w: number,
    b: number,
    out: number,
    n: number,
    k: number,
    m: number,
    scratch: number,
  ): void;
  linear_weight_grad_dense(
    x: number,
    dy: number,
    dw: number,
    n: number,
    k: number,
  ): void;
  unit_floats(bytes: number, out: number, n: number): void;
  gather_levels(
    starts: number,
    where: number,
    levels: number,
    table: number,
    indices: number,
    n: number,
    width: number,
    out: number,
  ): void;
  linear_weight_grad_sparse(
    starts: number,
    where: number,
    value: number,
    dy: number,
    dw: number,
    n: number,
    k: number,
    m: number,
    scratch: number,
  ): void;
}

/** A batch's nonzero entries, listed in the backend's memory. */
interface Nonzeros {
  /** The batch's data, whose entries these are. */
  readonly dataId: object;
  /** One block holding the three lists. */
  readonly block: number;
  readonly starts: number;
  readonly where: number;
  readonly value: number;
}

/** The kernels in the memory of one backend. */
interface Instance {
  readonly backend: WasmBackend;
  readonly kernels: Kernels;
  /** The last batch listed: the forward pass lists it, its gradient reuses it. */
  nonzeros: Nonzeros | null;
  /** Where UNIT_LEVELS is copied in the backend's memory, once needed. */
  levelTable: number | null;
}

const compiled = new WebAssembly.Module(
  Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0)),
);
const instances = new WeakMap<WasmBackend, Instance>();

function instanceOf(backend: unknown): Instance {
  const wasm = backend as WasmBackend;
  let instance = instances.get(wasm);
  if (instance === undefined) {
    const exports = new WebAssembly.Instance(compiled, {
      env: { memory: wasm.wasm.asm.memory },
    }).exports;
    instance = {
      backend: wasm,
      kernels: exports as unknown as Kernels,
      nonzeros: null,
      levelTable: null,
    };
    instances.set(wasm, instance);
  }
  return instance;
}

/**
 * The widest output the kernels below handle: 32 columns. Wider layers are
 * dense products that the backend's own matrix product does better.
 */
export const MAX_COLUMNS = 32;

function address(backend: WasmBackend, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId).memoryOffset;
}

/*
 * The nonzero entries of a batch `x`, listed once for the forward pass and
 * reused by the weights' gradient, which reads the same batch: the gradient
 * tape keeps `x` under the same data (see `Identity` below). Tensors never
 * change their data, so the same data means the same lists.
 */
function nonzerosOf(instance: Instance, x: tf.TensorInfo): Nonzeros {
  const { backend, kernels } = instance;
  if (instance.nonzeros?.dataId === x.dataId) return instance.nonzeros;
  if (instance.nonzeros !== null) backend.wasm._free(instance.nonzeros.block);
  instance.nonzeros = null;
  const [n, k] = x.shape;
  const count = kernels.count_nonzeros(address(backend, x), n, k);
  // One spare entry in each list: list_nonzeros writes each entry before
  // deciding whether to keep it.
  const block = backend.wasm._malloc(4 * (n + 1 + 2 * (count + 1)));
  const lists = {
    dataId: x.dataId,
    block,
    starts: block,
    where: block + 4 * (n + 1),
    value: block + 4 * (n + 1 + count + 1),
  };
  kernels.list_nonzeros(
    address(backend, x),
    n,
    k,
    lists.starts,
    lists.where,
    lists.value,
  );
  instance.nonzeros = lists;
  return lists;
}

/** Runs `work` with a scratch buffer for `k` inputs in the backend's memory. */
function withScratch(
  instance: Instance,
  k: number,
  work: (scratch: number) => void,
): void {
  const { backend, kernels } = instance;
  const scratch = backend.wasm._malloc(4 * kernels.scratch_floats(k));
  try {
    work(scratch);
  } finally {
    backend.wasm._free(scratch);
  }
}

/**
 * `x·W + b` for `x` `[n, k]`, `W` `[k, m]` and `b` `[m]`, on the WebAssembly
 * backend, for `m` up to {@linkcode MAX_COLUMNS}. With one output it is a
 * dense dot product per row; with more, the zeros of `x` are skipped.
 *
 * @example Registered as a kernel of the WebAssembly backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { linearForward } from "./kernels.ts";
 *
 * tf.registerKernel({
 *   kernelName: "MyLinear",
 *   backendName: "wasm",
 *   kernelFunc: linearForward,
 * });
 * ```
 */
export const linearForward: tf.KernelFunc = ({ inputs, backend }) => {
  const instance = instanceOf(backend);
  const { kernels, backend: wasm } = instance;
  const { x, weight, bias } = inputs as Record<string, tf.TensorInfo>;
  const [n, k] = x.shape;
  const m = weight.shape[1];
  const out = wasm.makeOutput([n, m], "float32");
  const [w, b, y] = [weight, bias, out].map((t) => address(wasm, t));
  if (m === 1) {
    kernels.linear_forward_dense(address(wasm, x), w, b, y, n, k);
    return out;
  }
  const { starts, where, value } = nonzerosOf(instance, x);
  withScratch(instance, k, (scratch) =>
    kernels.linear_forward_sparse(
      starts,
      where,
      value,
      w,
      b,
      y,
      n,
      k,
      m,
      scratch,
    ));
  return out;
};

/**
 * `xᵀ·dy` for `x` `[n, k]` and `dy` `[n, m]`: the gradient of a linear
 * layer's weights `[k, m]`, on the WebAssembly backend, for `m` up to
 * {@linkcode MAX_COLUMNS}.
 *
 * @example The gradient of the weights of `x·W` where the loss is the sum
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { linearWeightGrad } from "./kernels.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 0, 2], [3, 1, 0]]);
 *   const dy = tf.ones([2, 1]);
 *   const backend = tf.backend();
 *   const dw = linearWeightGrad({ inputs: { x, dy }, backend, attrs: {} });
 *   console.log(backend.readSync((dw as tf.TensorInfo).dataId)); // [4, 1, 2]
 *   backend.disposeData((dw as tf.TensorInfo).dataId);
 *   tf.dispose([x, dy]);
 * }
 * ```
 */
export const linearWeightGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const instance = instanceOf(backend);
  const { kernels, backend: wasm } = instance;
  const { x, dy } = inputs as Record<string, tf.TensorInfo>;
  const [n, k] = x.shape;
  const m = dy.shape[1];
  const out = wasm.makeOutput([k, m], "float32");
  const [d, dw] = [dy, out].map((t) => address(wasm, t));
  if (m === 1) {
    kernels.linear_weight_grad_dense(address(wasm, x), d, dw, n, k);
    return out;
  }
  const { starts, where, value } = nonzerosOf(instance, x);
  withScratch(instance, k, (scratch) =>
    kernels.linear_weight_grad_sparse(
      starts,
      where,
      value,
      d,
      dw,
      n,
      k,
      m,
      scratch,
    ));
  return out;
};

/*
 * `Identity` on the WebAssembly backend copies the tensor. TensorFlow.js
 * calls it to keep each input a gradient will need, so every training step
 * copied its batch of images once more (800 kB for 256 images). No kernel
 * of that backend writes into an existing tensor, so sharing the memory, as
 * the `cpu` backend's `Identity` does, is safe.
 */
const copyingIdentity = tf.getKernel("Identity", "wasm")!.kernelFunc;
tf.unregisterKernel("Identity", "wasm");
tf.registerKernel({
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    if (x.dtype === "string") return copyingIdentity(args);
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
});

/**
 * A new float32 tensor `[rows, columns]` whose values `fill` writes. On the
 * WebAssembly backend `fill` writes straight into the backend's memory, which
 * saves copying the values from an array of our own; elsewhere it fills a new
 * array. Either way the array starts with unspecified values: `fill` must
 * write every one.
 *
 * @example A batch of two rows
 * ```ts
 * import { filledTensor } from "./kernels.ts";
 *
 * const rows = filledTensor([2, 3], (out) => out.set([1, 2, 3, 4, 5, 6]));
 * rows.print(); // [[1, 2, 3], [4, 5, 6]]
 * rows.dispose();
 * ```
 */
export function filledTensor(
  shape: readonly [number, number],
  fill: (out: Float32Array) => void,
): tf.Tensor2D {
  const size = shape[0] * shape[1];
  if (tf.getBackend() !== "wasm") {
    const out = new Float32Array(size);
    fill(out);
    return tf.tensor2d(out, [...shape]);
  }
  const backend = tf.backend() as WasmBackend;
  const info = backend.makeOutput([...shape], "float32");
  const buffer = backend.wasm.asm.memory.buffer;
  fill(new Float32Array(buffer, address(backend, info), size));
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
}

/**
 * Gray levels 0..255 as float32 values 0..1, as JavaScript divides them:
 * `UNIT_LEVELS[v]` is `v / 255`.
 *
 * @example
 * ```ts
 * import { UNIT_LEVELS } from "./kernels.ts";
 *
 * console.log(UNIT_LEVELS[0], UNIT_LEVELS[255]); // 0 1
 * ```
 */
export const UNIT_LEVELS: Readonly<Float32Array> = Float32Array.from(
  { length: 256 },
  (_, v) => v / 255,
);

/**
 * Gray levels 0..255, the bytes of `parts` one after the other, as a float32
 * tensor of values 0..1 (`level / 255`) and shape `shape`. On the
 * WebAssembly backend they are divided in SIMD straight into the tensor's
 * memory: 11 million pixels in a few milliseconds, against 20 to 80 in
 * JavaScript plus the copy into the backend.
 *
 * @example Black, mid-gray and white
 * ```ts
 * import { unitFloats } from "./kernels.ts";
 *
 * const x = unitFloats([Uint8Array.of(0, 51), Uint8Array.of(255)], [1, 3]);
 * x.print(); // [[0, 0.2, 1]]
 * x.dispose();
 * ```
 */
export function unitFloats(
  parts: readonly Uint8Array[],
  shape: readonly number[],
): tf.Tensor {
  const size = parts.reduce((n, part) => n + part.length, 0);
  if (shape.reduce((a, b) => a * b, 1) !== size) {
    throw new ShapeError(
      `unitFloats got ${size} gray levels for a tensor of shape [${shape}].`,
    );
  }
  if (tf.getBackend() !== "wasm") {
    const out = new Float32Array(size);
    let at = 0;
    for (const part of parts) {
      for (let i = 0; i < part.length; i++) out[at + i] = UNIT_LEVELS[part[i]];
      at += part.length;
    }
    return tf.tensor(out, [...shape]);
  }
  const { backend, kernels } = instanceOf(tf.backend());
  const info = backend.makeOutput([...shape], "float32");
  const bytes = backend.wasm._malloc(Math.max(size, 1));
  try {
    let at = bytes;
    for (const part of parts) {
      new Uint8Array(backend.wasm.asm.memory.buffer).set(part, at);
      at += part.length;
    }
    kernels.unit_floats(bytes, address(backend, info), size);
  } finally {
    backend.wasm._free(bytes);
  }
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Images kept as their nonzero gray levels: row `r`'s values are
 * `levels[starts[r] .. starts[r + 1])`, in columns `where[...]`, each
 * meaning `level / 255`; every other value is 0.
 */
export interface GrayLevels {
  /** Values per row. */
  readonly width: number;
  readonly starts: Uint32Array;
  readonly where: Uint16Array;
  readonly levels: Uint8Array;
}

/** A copy of a GrayLevels in the backend's memory, at these addresses. */
interface LevelsCopy {
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
  let copy = levelsCopies.get(store);
  if (copy !== undefined) return copy;
  const { backend } = instance;
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
  copy = {
    starts: block,
    where: block + starts.byteLength,
    levels: block + starts.byteLength + where.byteLength,
  };
  levelsCopies.set(store, copy);
  freeWhenCollected.register(store, () => backend.wasm._free(block));
  return copy;
}

/** UNIT_LEVELS in the backend's memory. */
function tableOf(instance: Instance): number {
  if (instance.levelTable === null) {
    const { wasm } = instance.backend;
    instance.levelTable = wasm._malloc(UNIT_LEVELS.byteLength);
    new Float32Array(wasm.asm.memory.buffer, instance.levelTable, 256)
      .set(UNIT_LEVELS);
  }
  return instance.levelTable;
}

/**
 * The rows `indices` of images kept as gray levels, as a float32 tensor
 * `[indices.length, width]` of values 0..1. On the WebAssembly backend the
 * rows are written by `lib/fast/kernels.c`, in a copy of the levels made in the
 * backend's memory the first time (and freed with the store).
 *
 * @example Two rows of three pixels
 * ```ts
 * import { gatherLevels } from "./kernels.ts";
 *
 * const store = {
 *   width: 3,
 *   starts: Uint32Array.of(0, 1, 3),
 *   where: Uint16Array.of(2, 0, 1),
 *   levels: Uint8Array.of(255, 51, 255),
 * };
 * gatherLevels(store, [1, 0]).print(); // [[0.2, 1, 0], [0, 0, 1]]
 * ```
 */
export function gatherLevels(
  store: GrayLevels,
  indices: readonly number[],
): tf.Tensor2D {
  const { width, starts, where, levels } = store;
  const n = indices.length;
  if (tf.getBackend() !== "wasm") {
    return filledTensor([n, width], (out) => {
      out.fill(0);
      for (let k = 0; k < n; k++) {
        const row = k * width;
        const end = starts[indices[k] + 1];
        for (let e = starts[indices[k]]; e < end; e++) {
          out[row + where[e]] = UNIT_LEVELS[levels[e]];
        }
      }
    });
  }
  const instance = instanceOf(tf.backend());
  const { backend, kernels } = instance;
  const copy = levelsCopy(instance, store);
  const table = tableOf(instance);
  const info = backend.makeOutput([n, width], "float32");
  const rows = backend.wasm._malloc(4 * Math.max(n, 1));
  try {
    new Int32Array(backend.wasm.asm.memory.buffer, rows, n).set(indices);
    kernels.gather_levels(
      copy.starts,
      copy.where,
      copy.levels,
      table,
      rows,
      n,
      width,
      address(backend, info),
    );
  } finally {
    backend.wasm._free(rows);
  }
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
}
