/**
 * Compute routines of our own inside TensorFlow.js's WebAssembly backend,
 * compiled from `lib/fast/simd.c`: the product `x·w` of a batch by a narrow
 * matrix (up to {@linkcode MAX_COLUMNS} columns) and its weights' gradient
 * `xᵀ·dy`, and the other routines the pieces of `speed.ts` call (the
 * gray-level store that `gather.ts` batches from is `gray_levels.ts`). They read
 * and write the backend's own memory, at addresses its private fields give
 * (see `lib/fast/README.md`). `speed.ts` decides when they are used; nothing
 * here changes TensorFlow.js.
 *
 * Why: for the lesson's shapes the backend's own matrix product spends its
 * time around the arithmetic. It packs the weights anew after every update
 * (0.13 ms of a linear step's 0.5 ms) and multiplies by a transposed batch
 * with a plain loop (0.2 ms).
 *
 * @example x·w for one image of three pixels and two outputs
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { multiply } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 0, 2]]);
 *   const w = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 *   const y = multiply(tf.backend(), x, w);
 *   console.log(tf.backend().readSync(y.dataId)); // [11, 14]
 *   tf.backend().disposeData(y.dataId);
 *   tf.dispose([x, w]);
 * }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from "./simd_wasm.ts";

/**
 * What the routines use of `@tensorflow/tfjs-backend-wasm` 4.22's backend:
 * private fields, listed in `lib/fast/README.md` and checked by
 * `tests/fast_test.ts`.
 */
export interface WasmBackend extends tf.KernelBackend {
  /** The Emscripten module: its memory, and its allocator. */
  readonly wasm: {
    readonly asm: { readonly memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(address: number): void;
  };
  /** Where each tensor's data lives in that memory (a byte offset). */
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } };
  /** A new tensor's data, allocated in that memory. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** One more owner of a tensor's data. */
  incRef(dataId: object): void;
}

/** The functions of `lib/fast/simd.c`; addresses are byte offsets. */
interface Simd {
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
  unit_floats(bytes: number, out: number, n: number): void;
  column_sums(x: number, out: number, n: number, m: number): void;
  add_rows(x: number, b: number, out: number, n: number, m: number): void;
  step_gradient(
    x: number,
    dy: number,
    dx: number,
    n: number,
    alpha: number,
  ): void;
  conv_filter_grad(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    f: number,
    kh: number,
    kw: number,
    stride: number,
    top: number,
    left: number,
  ): void;
  slice4(
    x: number,
    out: number,
    d1: number,
    d2: number,
    d3: number,
    b0: number,
    b1: number,
    b2: number,
    b3: number,
    s0: number,
    s1: number,
    s2: number,
    s3: number,
  ): void;
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
  list_levels(
    starts: number,
    where: number,
    levels: number,
    table: number,
    indices: number,
    n: number,
    outStarts: number,
    outWhere: number,
    outValue: number,
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

/** The routines in the memory of one backend. */
export interface Instance {
  readonly backend: WasmBackend;
  /**
   * The routines in use: the relaxed build while it is supported and
   * wanted ({@linkcode useRelaxedSimd}), else the plain one.
   */
  readonly simd: Simd;
  /**
   * The last batches listed, oldest first: a product lists its batch, its
   * gradient reuses the list. A net with several layers by the routines (the
   * conv net: two) runs all its products before the first gradient.
   */
  readonly nonzeros: Nonzeros[];
  /** Zeros, the bias of a product without one: their address and count. */
  zeros: { readonly at: number; readonly count: number };
}

const moduleOf = (base64: string) =>
  new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));

/**
 * A module of one function doing `f32x4.relaxed_madd` on three zero vectors:
 * it validates where the WebAssembly engine knows relaxed SIMD's final
 * opcodes (V8 in Deno 2.8 and 2.9 does; it refused clang 14's old ones).
 */
const RELAXED_PROBE = Uint8Array.of(
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // types: () -> ()
  ...[0x03, 0x02, 0x01, 0x00], // one function of that type
  ...[0x0a, 0x3e, 0x01, 0x3c, 0x00], // its code: 60 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...Array(16).fill(0)]), // v128.const 0
  ...[0xfd, 0x85, 0x02, 0x1a, 0x0b], // f32x4.relaxed_madd, drop, end
);

/**
 * Whether this WebAssembly engine runs relaxed SIMD, checked once at load by
 * validating a module of one `f32x4.relaxed_madd`. Where it does not, the
 * routines always run their plain SIMD build.
 *
 * @example
 * ```ts
 * import { RELAXED_SIMD } from "./routines.ts";
 *
 * console.log(RELAXED_SIMD); // true in Deno 2.8 and later
 * ```
 */
export const RELAXED_SIMD: boolean = WebAssembly.validate(RELAXED_PROBE);

const compiled = moduleOf(SIMD_WASM_BASE64);
const compiledRelaxed = RELAXED_SIMD
  ? moduleOf(RELAXED_SIMD_WASM_BASE64)
  : null;
const instances = new WeakMap<WasmBackend, Instance>();
let relaxedWanted = false;

/**
 * Chooses the build of the routines for the whole process: with `on`, the
 * relaxed SIMD build (fused multiply-adds, which round once where the plain
 * build rounds twice: sums may differ in their last bits) where the engine
 * supports it ({@linkcode RELAXED_SIMD}); otherwise the plain SIMD build.
 * Returns whether the relaxed build is now in use. `speed.ts` calls it for
 * the piece `relaxedSimd`.
 *
 * @example The plain build, then back
 * ```ts
 * import { useRelaxedSimd } from "./routines.ts";
 *
 * console.log(useRelaxedSimd(false)); // false
 * useRelaxedSimd(true);
 * ```
 */
export function useRelaxedSimd(on: boolean): boolean {
  relaxedWanted = on;
  return on && compiledRelaxed !== null;
}

/**
 * The routines in the memory of `backend` (a `wasm` backend), instantiated
 * the first time.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { instanceOf } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") console.log(typeof instanceOf(tf.backend()).simd); // "object"
 * ```
 */
export function instanceOf(backend: tf.KernelBackend): Instance {
  const wasm = backend as WasmBackend;
  let instance = instances.get(wasm);
  if (instance === undefined) {
    const imports = { env: { memory: wasm.wasm.asm.memory } };
    const plain = new WebAssembly.Instance(compiled, imports)
      .exports as unknown as Simd;
    const relaxed = compiledRelaxed === null
      ? plain
      : new WebAssembly.Instance(compiledRelaxed, imports)
        .exports as unknown as Simd;
    instance = {
      backend: wasm,
      get simd() {
        return relaxedWanted ? relaxed : plain;
      },
      nonzeros: [],
      zeros: { at: 0, count: 0 },
    };
    instances.set(wasm, instance);
  }
  return instance;
}

/**
 * The widest product the routines compute: 64 columns (two tiles of 32),
 * the conv net's widest layer, whose inputs are half zeros after a ReLU: its
 * product and weights' gradient take 107 and 86 ms of an epoch here, against
 * 148 and 230 ms by the backend's product (the gradient transposed first).
 * Wider products go to the backend's own (not measured: the lesson has none).
 *
 * @example
 * ```ts
 * import { MAX_COLUMNS } from "./routines.ts";
 *
 * console.log(MAX_COLUMNS); // 64
 * ```
 */
export const MAX_COLUMNS = 64;

/** The address of at least `m` zeros in the backend's memory. */
function zerosFor(instance: Instance, m: number): number {
  const { wasm } = instance.backend;
  if (instance.zeros.count < m) {
    if (instance.zeros.count > 0) wasm._free(instance.zeros.at);
    const count = Math.max(m, MAX_COLUMNS);
    const at = wasm._malloc(4 * count);
    new Float32Array(wasm.asm.memory.buffer, at, count).fill(0);
    instance.zeros = { at, count };
  }
  return instance.zeros.at;
}

/**
 * Where a tensor's data lives in the `wasm` backend's memory (a byte offset).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { address, type WasmBackend } from "./routines.ts";
 *
 * const x = tf.ones([2]);
 * if (tf.getBackend() === "wasm") console.log(address(tf.backend() as WasmBackend, x) > 0); // true
 * ```
 */
export function address(backend: WasmBackend, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId).memoryOffset;
}

/** How many batches' lists are kept. */
const LISTS_KEPT = 4;

/**
 * A batch's nonzero entries, offered by the kernel that wrote the batch and
 * knows them already (`gather.ts`, from the gray levels): the product lists
 * them with `list` instead of looking for them in the batch.
 *
 * @example The offer for a batch of one row `[0, 2, 0]`
 * ```ts
 * import type { HandedNonzeros } from "./routines.ts";
 *
 * const offer: HandedNonzeros = {
 *   rows: 1,
 *   columns: 3,
 *   count: 1,
 *   list: (instance, starts, where, value) => {
 *     const memory = instance.backend.wasm.asm.memory.buffer;
 *     new Int32Array(memory, starts, 2).set([0, 1]);
 *     new Int32Array(memory, where, 1).set([1]);
 *     new Float32Array(memory, value, 1).set([2]);
 *   },
 * };
 * ```
 */
export interface HandedNonzeros {
  /** The batch's rows. */
  readonly rows: number;
  /** Its columns. */
  readonly columns: number;
  /** How many of its entries are not zero. */
  readonly count: number;
  /**
   * Writes the lists, as `list_nonzeros` (`simd.c`) would from the batch:
   * `starts` (`rows + 1` int32), `where` (`count` int32 columns, rising in
   * each row) and `value` (`count` float32), at these byte addresses of the
   * instance's memory.
   */
  list(instance: Instance, starts: number, where: number, value: number): void;
}

/** The offers, by the data of the batch they describe. */
const handed = new WeakMap<object, HandedNonzeros>();

const listings = { listed: 0, handed: 0 };

/**
 * Offers the nonzero entries of the batch whose data is `dataId`, for the
 * routines' products to take instead of listing them (piece
 * `handedNonzeros`; `gather.ts` offers each batch it writes from gray
 * levels). Nothing is allocated until a product asks; the offer goes with the
 * batch's data. The offer must be right: the product trusts it.
 *
 * @example
 * ```ts
 * import { handNonzeros } from "./routines.ts";
 *
 * const dataId = {};
 * handNonzeros(dataId, { rows: 0, columns: 3, count: 0, list: () => {} });
 * ```
 */
export function handNonzeros(dataId: object, offer: HandedNonzeros): void {
  handed.set(dataId, offer);
}

/**
 * How many batches' nonzeros the routines have listed since the process
 * started, by looking for them (`listed`) or from an offer (`handed`).
 *
 * @example
 * ```ts
 * import { nonzerosCounts } from "./routines.ts";
 *
 * console.log(nonzerosCounts().handed >= 0); // true
 * ```
 */
export function nonzerosCounts(): { listed: number; handed: number } {
  return { ...listings };
}

/*
 * The nonzero entries of a batch `x`, listed once for the product and
 * reused by the weights' gradient, which reads the same batch when the
 * gradient tape keeps `x` under the same data (see `Identity` in
 * `speed.ts`). Tensors never change their data, so the same data means the
 * same lists. A batch with an offer of its shape ({@linkcode handNonzeros})
 * is listed by the offer.
 */
function nonzerosOf(instance: Instance, x: tf.TensorInfo): Nonzeros {
  const { backend, simd } = instance;
  const kept = instance.nonzeros.find((lists) => lists.dataId === x.dataId);
  if (kept !== undefined) return kept;
  if (instance.nonzeros.length === LISTS_KEPT) {
    backend.wasm._free(instance.nonzeros.shift()!.block);
  }
  const [n, k] = x.shape;
  const found = handed.get(x.dataId);
  const offer = found !== undefined && found.rows === n && found.columns === k
    ? found
    : undefined;
  const count = offer !== undefined
    ? offer.count
    : simd.count_nonzeros(address(backend, x), n, k);
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
  if (offer !== undefined) {
    try {
      offer.list(instance, lists.starts, lists.where, lists.value);
    } catch (error) {
      backend.wasm._free(block);
      throw error;
    }
    listings.handed++;
  } else {
    listings.listed++;
    simd.list_nonzeros(
      address(backend, x),
      n,
      k,
      lists.starts,
      lists.where,
      lists.value,
    );
  }
  instance.nonzeros.push(lists);
  return lists;
}

/** Runs `work` with a scratch buffer for `k` inputs in the backend's memory. */
function withScratch(
  instance: Instance,
  k: number,
  work: (scratch: number) => void,
): void {
  const { backend, simd } = instance;
  const scratch = backend.wasm._malloc(4 * simd.scratch_floats(k));
  try {
    work(scratch);
  } finally {
    backend.wasm._free(scratch);
  }
}

/**
 * `x·w` for float32 `x` `[n, k]` and `w` `[k, m]`, best for `m` up to
 * {@linkcode MAX_COLUMNS}, in the memory of a WebAssembly `backend`: a new
 * tensor's data, which the caller owns. With one column it is a dense dot
 * product per row; with more, the zeros of `x` are skipped (81% of an MNIST
 * image), which gives the same sums up to the order of the additions.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { multiply } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 2]]);
 *   const w = tf.tensor2d([[3], [4]]);
 *   const y = multiply(tf.backend(), x, w);
 *   console.log(tf.backend().readSync(y.dataId)); // [11]
 *   tf.backend().disposeData(y.dataId);
 *   tf.dispose([x, w]);
 * }
 * ```
 */
export function multiply(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
): tf.TensorInfo {
  const instance = instanceOf(backend);
  const { simd, backend: wasm } = instance;
  const [n, k] = x.shape;
  const m = w.shape[1];
  const zeros = zerosFor(instance, m);
  const out = wasm.makeOutput([n, m], "float32");
  const [wAt, yAt] = [w, out].map((t) => address(wasm, t));
  if (m === 1) {
    simd.linear_forward_dense(address(wasm, x), wAt, zeros, yAt, n, k);
    return out;
  }
  const { starts, where, value } = nonzerosOf(instance, x);
  withScratch(instance, k, (scratch) =>
    simd.linear_forward_sparse(
      starts,
      where,
      value,
      wAt,
      zeros,
      yAt,
      n,
      k,
      m,
      scratch,
    ));
  return out;
}

/**
 * `xᵀ·dy` for float32 `x` `[n, k]` and `dy` `[n, m]`, best for `m` up to
 * {@linkcode MAX_COLUMNS}: the gradient of the weights `[k, m]` of `x·w`,
 * in the memory of a WebAssembly `backend`. The caller owns the result.
 *
 * @example The gradient of the weights of `x·w` where the loss is the sum
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { weightGradient } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 0, 2], [3, 1, 0]]);
 *   const dy = tf.ones([2, 1]);
 *   const dw = weightGradient(tf.backend(), x, dy);
 *   console.log(tf.backend().readSync(dw.dataId)); // [4, 1, 2]
 *   tf.backend().disposeData(dw.dataId);
 *   tf.dispose([x, dy]);
 * }
 * ```
 */
export function weightGradient(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
): tf.TensorInfo {
  const instance = instanceOf(backend);
  const { simd, backend: wasm } = instance;
  const [n, k] = x.shape;
  const m = dy.shape[1];
  const out = wasm.makeOutput([k, m], "float32");
  const [d, dw] = [dy, out].map((t) => address(wasm, t));
  if (m === 1) {
    simd.linear_weight_grad_dense(address(wasm, x), d, dw, n, k);
    return out;
  }
  const { starts, where, value } = nonzerosOf(instance, x);
  withScratch(instance, k, (scratch) =>
    simd.linear_weight_grad_sparse(
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
}

/**
 * The sums of the columns of a float32 matrix `x` `[n, m]`, as a new tensor's
 * data of shape `shape` (`m` values), in the memory of a WebAssembly
 * `backend`: the gradient of a bias added to every row. The caller owns the
 * result.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { columnSums } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 *   const sums = columnSums(tf.backend(), x, [2]);
 *   console.log(tf.backend().readSync(sums.dataId)); // [9, 12]
 *   tf.backend().disposeData(sums.dataId);
 *   x.dispose();
 * }
 * ```
 */
export function columnSums(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  shape: readonly number[],
): tf.TensorInfo {
  const { simd, backend: wasm } = instanceOf(backend);
  const m = x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, b) => a * b, 1) / m;
  const out = wasm.makeOutput([...shape], "float32");
  simd.column_sums(address(wasm, x), address(wasm, out), n, m);
  return out;
}

/**
 * `x` `[..., m]` plus `b` `[m]` added to every row, as a new tensor's data of
 * `x`'s shape, in the memory of a WebAssembly `backend`: a layer's bias. Each
 * sum is one float32 addition, so the result is the backend's `Add`, bit for
 * bit. The caller owns the result.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { addRows } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 2], [3, 4]]);
 *   const b = tf.tensor1d([10, 20]);
 *   const sum = addRows(tf.backend(), x, b);
 *   console.log(tf.backend().readSync(sum.dataId)); // [11, 22, 13, 24]
 *   tf.backend().disposeData(sum.dataId);
 *   tf.dispose([x, b]);
 * }
 * ```
 */
export function addRows(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  b: tf.TensorInfo,
): tf.TensorInfo {
  const { simd, backend: wasm } = instanceOf(backend);
  const m = x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, c) => a * c, 1) / m;
  const out = wasm.makeOutput([...x.shape], "float32");
  simd.add_rows(address(wasm, x), address(wasm, b), address(wasm, out), n, m);
  return out;
}

/**
 * `dy · step(x)` for float32 tensors of one shape, as a new tensor's data, in
 * the memory of a WebAssembly `backend`: `step(x)` is 1 where `x > 0`,
 * `alpha` elsewhere, NaN where `x` is NaN. With `alpha` 0 it is the gradient
 * of `relu`, with −1 that of `abs`, the same bits as TensorFlow.js's own
 * (`Step`, `Cast` and `Multiply` kernels). The caller owns the result.
 *
 * @example relu's gradient: dy where x > 0
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { stepGradient } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor1d([-1, 0, 2]);
 *   const dy = tf.tensor1d([5, 6, 7]);
 *   const dx = stepGradient(tf.backend(), x, dy, 0);
 *   console.log(tf.backend().readSync(dx.dataId)); // [0, 0, 7]
 *   tf.backend().disposeData(dx.dataId);
 *   tf.dispose([x, dy]);
 * }
 * ```
 */
export function stepGradient(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  alpha: number,
): tf.TensorInfo {
  const { simd, backend: wasm } = instanceOf(backend);
  const n = x.shape.reduce((a, c) => a * c, 1);
  const out = wasm.makeOutput([...x.shape], "float32");
  simd.step_gradient(
    address(wasm, x),
    address(wasm, dy),
    address(wasm, out),
    n,
    alpha,
  );
  return out;
}

/**
 * Where a convolution's windows lie: `kernel × kernel` pixels (`kernelWidth`
 * wide), `stride` apart, the first one starting `top` rows above and `left`
 * columns left of the image.
 */
export interface ConvWindows {
  /** The window's height. */
  readonly kernel: number;
  /** The window's width. */
  readonly kernelWidth: number;
  /** The distance between windows, across and down. */
  readonly stride: number;
  /** Rows of zeros above the image. */
  readonly top: number;
  /** Columns of zeros left of the image. */
  readonly left: number;
}

/**
 * The gradient of a convolution's filters `[kernel, kernelWidth, channels,
 * filters]`, for float32 images `x` `[n, height, width, channels]` and the
 * gradient `dy` `[n, outHeight, outWidth, filters]` of its output, both
 * channels last, in the memory of a WebAssembly `backend`: what
 * TensorFlow.js's kernel `Conv2DBackpropFilter` computes. Zero pixels are
 * skipped. The caller owns the result.
 *
 * @example A 1×1 image, one 1×1 filter: the pixel times the output's gradient
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { convFilterGradient } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor4d([2], [1, 1, 1, 1]);
 *   const dy = tf.tensor4d([3], [1, 1, 1, 1]);
 *   const windows = { kernel: 1, kernelWidth: 1, stride: 1, top: 0, left: 0 };
 *   const dw = convFilterGradient(tf.backend(), x, dy, windows);
 *   console.log(tf.backend().readSync(dw.dataId)); // [6]
 *   tf.backend().disposeData(dw.dataId);
 *   tf.dispose([x, dy]);
 * }
 * ```
 */
export function convFilterGradient(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  windows: ConvWindows,
): tf.TensorInfo {
  const { simd, backend: wasm } = instanceOf(backend);
  const [n, h, w, c] = x.shape;
  const [, oh, ow, f] = dy.shape;
  const { kernel, kernelWidth, stride, top, left } = windows;
  const out = wasm.makeOutput([kernel, kernelWidth, c, f], "float32");
  simd.conv_filter_grad(
    address(wasm, x),
    address(wasm, dy),
    address(wasm, out),
    n,
    h,
    w,
    c,
    oh,
    ow,
    f,
    kernel,
    kernelWidth,
    stride,
    top,
    left,
  );
  return out;
}

/**
 * The block of a float32 tensor `x` of rank 1 to 4 that starts at `begin`
 * and has shape `size`, as a new tensor's data in the memory of a WebAssembly
 * `backend`: what TensorFlow.js's kernel `Slice` computes. The caller owns
 * the result.
 *
 * @example The top left 2×2 block of a 3×3 matrix
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sliceBlock } from "./routines.ts";
 *
 * if (tf.getBackend() === "wasm") {
 *   const x = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
 *   const block = sliceBlock(tf.backend(), x, [0, 0], [2, 2]);
 *   console.log(tf.backend().readSync(block.dataId)); // [1, 2, 4, 5]
 *   tf.backend().disposeData(block.dataId);
 *   x.dispose();
 * }
 * ```
 */
export function sliceBlock(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): tf.TensorInfo {
  const { simd, backend: wasm } = instanceOf(backend);
  const pad = (values: readonly number[], fill: number) => [
    ...Array(4 - values.length).fill(fill),
    ...values,
  ];
  const [, d1, d2, d3] = pad(x.shape, 1);
  const [b0, b1, b2, b3] = pad(begin, 0);
  const [s0, s1, s2, s3] = pad(size, 1);
  const out = wasm.makeOutput([...size], "float32");
  simd.slice4(
    address(wasm, x),
    address(wasm, out),
    d1,
    d2,
    d3,
    b0,
    b1,
    b2,
    b3,
    s0,
    s1,
    s2,
    s3,
  );
  return out;
}
