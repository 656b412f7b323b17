/**
 * The speed pieces: what this module changes in TensorFlow.js, for the whole
 * process, when it is imported (`backend.ts` imports it, so every module of
 * the library does). The lesson's files know nothing of it: they write
 * `x.matMul(w).add(b)`, and these replacements make the same arithmetic
 * faster underneath.
 *
 * Exactly these registrations change, each tested in `tests/fast_test.ts`:
 *
 * 1. The `BatchMatMul` kernel of the `wasm` backend is replaced by one that
 *    computes a product of two float32 matrices `[n, k]·[k, m]`, without
 *    transposes, `k ≥ 2` and `m ≤ 64`, with the routines of `routines.ts`
 *    (piece `routines`), and hands every other product to the backend's
 *    own kernel, unchanged.
 * 2. The gradient of `BatchMatMul` (for every backend) is replaced by one
 *    that, for two matrices without transposes, computes the gradient of the
 *    right operand `aᵀ·dy` with the routines (piece `routines`, `wasm`,
 *    `m ≤ 64`),
 *    and the gradient of the left operand `dy·bᵀ` as `dy·transpose(b)`
 *    (piece `transposeWeights`, `b` with more than one row),
 *    and otherwise does what TensorFlow.js's own gradient does.
 * 3. The `Identity` kernel of the `wasm` backend shares the tensor's memory
 *    instead of copying it (piece `identity`), as the `cpu` backend's does.
 * 4. The `Sum` kernel of the `wasm` backend adds float32 tensors over every
 *    axis but the last (a bias's gradient) with a routine (piece
 *    `columnSums`), and hands every other sum to the backend's own kernel.
 * 5. The `Slice` kernel of the `wasm` backend shares a float32 tensor's
 *    memory when the slice is the whole tensor, and copies a block of a
 *    tensor of rank 1 to 4 with a routine (piece `slices`); other slices go
 *    to the backend's own kernel.
 * 6. The `Add` kernel of the `wasm` backend adds a float32 vector `[m]` to
 *    every row of a float32 tensor `[..., m]` (a layer's bias) with a routine
 *    (piece `biasAdd`), and hands every other sum to the backend's own
 *    kernel.
 * 7. The gradients of `Relu` and `Abs` (for every backend) compute
 *    `dy · step(x)` of float32 tensors on `wasm` with a routine, through a
 *    kernel added under the name `LessonStepGradient` (piece
 *    `stepGradients`), and otherwise do what TensorFlow.js's own do.
 * 8. The gradient of `Sum` (for every backend) spreads a float32 `dy` over
 *    the summed axes by filling the output in `wasm` memory when they are
 *    the first or the last axes (piece `sumGradient`, in `sum_gradient.ts`,
 *    which this module imports), and otherwise does what TensorFlow.js's
 *    own does (`dy` times a tensor of ones).
 *
 * Added for the `wasm` backend, which has neither: the kernel
 * `LessonWeightGradient`, and `Conv2DBackpropFilter` (the gradient of
 * `tf.conv2d`'s filters), computed by a routine (piece `convFilterGradient`)
 * or, with the piece off, by the `cpu` backend's kernel with the tensors
 * copied there and back. With every piece off ({@linkcode setFast}), each
 * replacement calls the kernel or gradient it replaced, so TensorFlow.js
 * computes exactly as without this module. The piece `mnistLossGradient`
 * changes nothing in TensorFlow.js: `mnist_loss.ts` reads it, through the
 * hook `mnistLoss` of `lib/hooks.ts`. The pieces `grayLevels` and
 * `gatherRows` are read by `gather.ts`, which replaces the `GatherV2` kernel
 * of the `wasm` backend. `crossEntropyGradient` is read by `cross_entropy.ts`,
 * through the hook `crossEntropy`. The piece `relaxedSimd` changes nothing in
 * TensorFlow.js either: it chooses which build of the routines runs
 * (`routines.ts`, {@linkcode useRelaxedSimd}). The piece `handedNonzeros` is
 * read by `gather.ts`, which offers each batch it writes from gray levels
 * the list of its nonzero entries, for the routines' product.
 *
 * @example Time a fit without the routines, then turn them on again
 * ```ts
 * import { fastPieces, setFast } from "./speed.ts";
 *
 * setFast({ routines: false });
 * console.log(fastPieces().routines); // false
 * setFast({ routines: true });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { LessonError } from "../errors.ts";
import { setHooks } from "../hooks.ts";
import {
  addRows,
  columnSums,
  convFilterGradient,
  MAX_COLUMNS,
  multiply,
  sliceBlock,
  stepGradient,
  useRelaxedSimd,
  type WasmBackend,
  weightGradient,
} from "./routines.ts";
import "./sum_gradient.ts";

/**
 * The speed pieces, each on (`true`) or off.
 *
 * @example
 * ```ts
 * import type { FastPieces } from "./speed.ts";
 *
 * const allOff: FastPieces = {
 *   routines: false,
 *   transposeWeights: false,
 *   identity: false,
 *   columnSums: false,
 *   convFilterGradient: false,
 *   slices: false,
 *   biasAdd: false,
 *   stepGradients: false,
 *   mnistLossGradient: false,
 *   grayLevels: false,
 *   gatherRows: false,
 *   crossEntropyGradient: false,
 *   sumGradient: false,
 *   relaxedSimd: false,
 *   handedNonzeros: false,
 * };
 * ```
 */
export interface FastPieces {
  /** Narrow products and their weights' gradients in our SIMD routines. */
  readonly routines: boolean;
  /** The inputs' gradient of a product `dy·bᵀ` as `dy·transpose(b)`. */
  readonly transposeWeights: boolean;
  /** `Identity` shares memory instead of copying, on `wasm`. */
  readonly identity: boolean;
  /** Sums over every axis but the last (a bias's gradient) by a routine. */
  readonly columnSums: boolean;
  /** `Conv2DBackpropFilter` on `wasm` by a routine, not on the `cpu` backend. */
  readonly convFilterGradient: boolean;
  /** `Slice` on `wasm`: whole tensors shared, blocks copied by a routine. */
  readonly slices: boolean;
  /** A bias added to every row by a routine, on `wasm`. */
  readonly biasAdd: boolean;
  /** The gradients of `relu` and `abs` in one pass of a routine, on `wasm`. */
  readonly stepGradients: boolean;
  /** `mnistLoss` with a gradient derived by hand (`mnist_loss.ts`). */
  readonly mnistLossGradient: boolean;
  /** Rows of images (gray levels / 255) gathered from their levels (`gather.ts`). */
  readonly grayLevels: boolean;
  /** Rows of a float32 matrix gathered as blocks of memory (`gather.ts`). */
  readonly gatherRows: boolean;
  /** The ten digits' cross-entropy in one step, gradient by hand. */
  readonly crossEntropyGradient: boolean;
  /** The gradient of a sum spread by a fill, without a tensor of ones. */
  readonly sumGradient: boolean;
  /**
   * The routines' relaxed SIMD build (fused multiply-adds), where the engine
   * supports it; the plain SIMD build otherwise or when off (the default:
   * it changes the last bits of sums).
   */
  readonly relaxedSimd: boolean;
  /**
   * A batch written from gray levels (`grayLevels`) hands its nonzero
   * entries to the product of the first layer, which need not look for them.
   */
  readonly handedNonzeros: boolean;
}

let pieces: FastPieces = {
  routines: true,
  transposeWeights: true,
  identity: true,
  columnSums: true,
  convFilterGradient: true,
  slices: true,
  biasAdd: true,
  stepGradients: true,
  mnistLossGradient: true,
  grayLevels: true,
  gatherRows: true,
  crossEntropyGradient: true,
  sumGradient: true,
  // Off by default: fused multiply-adds change the last bits of sums, and so
  // the losses the saved notebooks show (lib/fast/README.md).
  relaxedSimd: false,
  handedNonzeros: true,
};

/**
 * Turns speed pieces on or off, for the whole process; the others keep their
 * state. Results are the same either way, up to the order of additions.
 *
 * @example Every piece off: TensorFlow.js as shipped
 * ```ts
 * import { setFast } from "./speed.ts";
 *
 * const off = { routines: false, identity: false };
 * setFast({ ...off, transposeWeights: false, mnistLossGradient: false });
 * setFast({ columnSums: false, convFilterGradient: false, slices: false });
 * setFast({ biasAdd: false, stepGradients: false, grayLevels: false });
 * setFast({ gatherRows: false });
 * setFast({ routines: true, identity: true });
 * setFast({ transposeWeights: true, mnistLossGradient: true });
 * setFast({ columnSums: true, convFilterGradient: true, slices: true });
 * setFast({ biasAdd: true, stepGradients: true, grayLevels: true });
 * setFast({ gatherRows: true });
 * setFast({ crossEntropyGradient: false, sumGradient: false });
 * setFast({ crossEntropyGradient: true, sumGradient: true });
 * setFast({ relaxedSimd: false });
 * setFast({ relaxedSimd: true });
 * setFast({ handedNonzeros: false });
 * setFast({ handedNonzeros: true });
 * ```
 */
export function setFast(changes: Partial<FastPieces>): void {
  pieces = { ...pieces, ...changes };
  useRelaxedSimd(pieces.relaxedSimd);
}

/**
 * Runs `fn` on TensorFlow.js as shipped (every speed piece off), then puts
 * the pieces back as they were, also when `fn` throws. For measuring what the
 * pieces change, such as how much they favour one model over another.
 *
 * @example One product, the plain way
 * ```ts
 * import { fastPieces, withoutSpeedPieces } from "./speed.ts";
 *
 * const on = withoutSpeedPieces(() => fastPieces().routines); // false inside
 * console.log(on, fastPieces().routines); // false true
 * ```
 */
export function withoutSpeedPieces<T>(fn: () => T): T {
  const saved = pieces;
  pieces = Object.fromEntries(
    Object.keys(pieces).map((name) => [name, false]),
  ) as unknown as FastPieces;
  useRelaxedSimd(false);
  try {
    return fn();
  } finally {
    pieces = saved;
    useRelaxedSimd(pieces.relaxedSimd);
  }
}

// runs.ts's option `plain` (the hook `plainly`) times models on TensorFlow.js
// as shipped: every piece off but `gatherRows`. TensorFlow.js's own wasm
// gather took 0.6-0.8 s for the 49 batches of an epoch, longer than the
// linear model's whole epoch, and the same for every model: with it, the
// comparison would time the batches, not the models.
setHooks({
  plainly: (fn) =>
    withoutSpeedPieces(() => {
      setFast({ gatherRows: true });
      return fn();
    }),
});

/**
 * Which speed pieces are on.
 *
 * @example
 * ```ts
 * import { fastPieces } from "./speed.ts";
 *
 * console.log(fastPieces().routines); // true
 * ```
 */
export function fastPieces(): FastPieces {
  return { ...pieces };
}

/**
 * How often each piece has done its work since the process started: products
 * and weights' gradients by the routines, gradients transposed first,
 * `Identity` calls that shared memory.
 *
 * @example
 * ```ts
 * import type { FastCounts } from "./speed.ts";
 *
 * const none: FastCounts = {
 *   products: 0,
 *   weightGradients: 0,
 *   transposedWeights: 0,
 *   sharedIdentities: 0,
 *   columnSums: 0,
 *   convFilterGradients: 0,
 *   slices: 0,
 *   biasAdds: 0,
 *   stepGradients: 0,
 * };
 * ```
 */
export interface FastCounts {
  /** Products `a·b` computed by the routines (piece `routines`). */
  readonly products: number;
  /** Weights' gradients `aᵀ·dy` computed by the routines. */
  readonly weightGradients: number;
  /** Inputs' gradients computed as `dy·transpose(b)` (`transposeWeights`). */
  readonly transposedWeights: number;
  /** `Identity` calls that shared memory instead of copying (`identity`). */
  readonly sharedIdentities: number;
  /** Sums over all axes but the last by the routine (`columnSums`). */
  readonly columnSums: number;
  /** Filters' gradients by the routine (`convFilterGradient`). */
  readonly convFilterGradients: number;
  /** Slices shared or copied by the routine (`slices`). */
  readonly slices: number;
  /** Biases added to every row by the routine (`biasAdd`). */
  readonly biasAdds: number;
  /** Gradients of `relu` and `abs` by the routine (`stepGradients`). */
  readonly stepGradients: number;
}

const counts = {
  products: 0,
  weightGradients: 0,
  transposedWeights: 0,
  sharedIdentities: 0,
  columnSums: 0,
  convFilterGradients: 0,
  slices: 0,
  biasAdds: 0,
  stepGradients: 0,
};

/**
 * How often each piece has done its work: to check that a setting does what
 * it says.
 *
 * @example A product of a batch by one column goes through the routines
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fastCounts } from "./speed.ts";
 *
 * const before = fastCounts().products;
 * const y = tf.ones([4, 3]).matMul(tf.ones([3, 1]));
 * console.log(fastCounts().products - before); // 1 on wasm, 0 on cpu
 * ```
 */
export function fastCounts(): FastCounts {
  return { ...counts };
}

type Attrs = { transposeA?: boolean; transposeB?: boolean };

/** Whether the routines compute the product `a·b`. */
function byRoutines(a: tf.TensorInfo, b: tf.TensorInfo, attrs: Attrs) {
  return pieces.routines && a.shape.length === 2 && b.shape.length === 2 &&
    !attrs.transposeA && !attrs.transposeB && a.dtype === "float32" &&
    b.dtype === "float32" && b.shape[0]! >= 2 && b.shape[1]! <= MAX_COLUMNS;
}

// 1. BatchMatMul on wasm.
const wasmMatMul = tf.getKernel("BatchMatMul", "wasm")!;
tf.unregisterKernel("BatchMatMul", "wasm");
tf.registerKernel({
  ...wasmMatMul,
  kernelFunc: (args) => {
    const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
    if (!byRoutines(a, b, args.attrs as Attrs)) {
      return wasmMatMul.kernelFunc(args);
    }
    counts.products++;
    return multiply(args.backend as tf.KernelBackend, a, b);
  },
});

/** The kernel of the weights' gradient `aᵀ·dy` by the routines. */
const WEIGHT_GRADIENT = "LessonWeightGradient";
tf.registerKernel({
  kernelName: WEIGHT_GRADIENT,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend }) => {
    const { a, dy } = inputs as Record<string, tf.TensorInfo>;
    counts.weightGradients++;
    return weightGradient(backend as tf.KernelBackend, a, dy);
  },
});

// 2. The gradient of BatchMatMul. TensorFlow.js's own multiplies by a
// transposed operand, which the WebAssembly backend does with a plain loop:
// fine against a single column (0.2 ms for 784 weights and a batch of 256),
// slow against many (5.4 ms for the 30 columns of simpleNet's first layer),
// so the routines compute it for up to MAX_COLUMNS columns. (A former piece,
// transposeFirst, computed wider ones as transpose(a)·dy; no stage of the
// lesson has a layer wider than MAX_COLUMNS, and its ablation row measured
// 0.80-1.01×, so it went.) A registered gradient
// is computed only for the inputs that need it: never for a batch of images.
// The left operand's gradient dy·bᵀ, which a layer sends back to the layer
// before it, goes to the backend's product with transposeB, which is slow for
// the conv net's shapes (32 ms for [4096, 64]·[128, 64]ᵀ, 1.5 s of a 4.5 s
// epoch); transposing the small b first and multiplying as usual takes 2.3 ms
// (and 0.1 ms instead of 0.8 for the last layer's [256, 1]·[1024, 1]ᵀ).
const matMulGradient = tf.getGradient("BatchMatMul")!;
tf.registerGradient({
  ...matMulGradient,
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as tf.Tensor2D[];
    const plain = matMulGradient.gradFunc(dy, saved, attrs);
    const { transposeA, transposeB } = attrs as Attrs;
    if (transposeA || transposeB || a.rank !== 2 || b.rank !== 2) return plain;
    const columns = b.shape[1];
    const d = dy as tf.Tensor2D;
    const grads = { ...plain };
    if (pieces.transposeWeights && b.shape[0] > 1) {
      grads.a = () => {
        counts.transposedWeights++;
        return d.matMul(b.transpose());
      };
    }
    const routines = pieces.routines && tf.getBackend() === "wasm" &&
      columns <= MAX_COLUMNS && a.dtype === "float32" && d.dtype === "float32";
    if (routines) {
      grads.b = () => tf.engine().runKernel(WEIGHT_GRADIENT, { a, dy: d });
    }
    return grads;
  },
});

// 3. Identity on wasm. TensorFlow.js calls it to keep each input a gradient
// will need, so every training step copied its batch of images once more
// (800 kB for 256 images). No kernel of that backend writes into an
// existing tensor, so sharing the memory is safe.
const wasmIdentity = tf.getKernel("Identity", "wasm")!;
tf.unregisterKernel("Identity", "wasm");
tf.registerKernel({
  ...wasmIdentity,
  kernelFunc: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    if (!pieces.identity || x.dtype === "string") {
      return wasmIdentity.kernelFunc(args);
    }
    counts.sharedIdentities++;
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
});

// 4. Sum on wasm. The gradient of a bias added to every row (or pixel) sums
// the output's gradient over every axis but the last. The backend transposes
// the tensor first to make those axes the inner ones, then adds: 3.2 ms for
// the [50176, 16] gradient of the conv net's first layer, 156 ms of an
// epoch. Added row by row in place, the same sums take a tenth of that.
const wasmSum = tf.getKernel("Sum", "wasm")!;
tf.unregisterKernel("Sum", "wasm");
tf.registerKernel({
  ...wasmSum,
  kernelFunc: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const { axis, keepDims } = args.attrs as {
      axis: number | number[];
      keepDims: boolean;
    };
    const rank = x.shape.length;
    const axes = (Array.isArray(axis) ? axis : [axis])
      .map((a) => a < 0 ? a + rank : a).sort((a, b) => a - b);
    const leading = rank >= 2 && axes.length === rank - 1 &&
      axes.every((a, i) => a === i);
    if (!pieces.columnSums || x.dtype !== "float32" || !leading) {
      return wasmSum.kernelFunc(args);
    }
    counts.columnSums++;
    const m = x.shape[rank - 1];
    const shape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), m] : [m];
    return columnSums(args.backend as tf.KernelBackend, x, shape);
  },
});

// 5. Conv2DBackpropFilter on wasm, which has none (TensorFlow.js 4.22): the
// gradient of tf.conv2d's filters, which conv.ts's first layer needs. With
// the piece on, and for float32, channels last and one stride across and
// down, the routine computes it; otherwise TensorFlow.js's own kernel does,
// on the cpu backend, with the tensors copied there and back.
function onCpuBackend(
  kernelName: string,
  args: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo {
  const wasm = args.backend as tf.KernelBackend;
  const cpu = tf.engine().findBackend("cpu");
  const cpuKernel = tf.getKernel(kernelName, "cpu");
  if (cpu === null || cpuKernel === undefined) {
    throw new LessonError(
      `${kernelName} needs the cpu backend of @tensorflow/tfjs, to run ` +
        "without the piece convFilterGradient: turn it on with setFast.",
    );
  }
  // At its first write, the cpu backend would greet Node.js users with
  // advice to install tfjs-node, which does not apply to Deno (backend.ts).
  const isNode = tf.env().getBool("IS_NODE");
  tf.env().set("IS_NODE", false);
  let values: Float32Array;
  let out: tf.TensorInfo;
  try {
    const inputs = Object.entries(args.inputs as Record<string, tf.TensorInfo>)
      .map(([name, t]): [string, tf.TensorInfo] => [name, {
        dataId: cpu.write(
          wasm.readSync(t.dataId) as Float32Array,
          t.shape,
          t.dtype,
        ),
        shape: t.shape,
        dtype: t.dtype,
      }]);
    out = cpuKernel.kernelFunc({
      inputs: Object.fromEntries(inputs),
      backend: cpu,
      attrs: args.attrs,
    }) as tf.TensorInfo;
    values = cpu.readSync(out.dataId) as Float32Array;
    for (const [, t] of inputs) cpu.disposeData(t.dataId);
    cpu.disposeData(out.dataId);
  } finally {
    tf.env().set("IS_NODE", isNode);
  }
  return {
    dataId: wasm.write(values, out.shape, out.dtype),
    shape: out.shape,
    dtype: out.dtype,
  };
}

if (tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) {
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
      const attrs = args.attrs as {
        strides: number | [number, number];
        pad: "same" | "valid" | number;
        dataFormat: "NHWC" | "NCHW";
        dimRoundingMode?: "floor" | "round" | "ceil";
        filterShape: [number, number, number, number];
      };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
      );
      const ours = pieces.convFilterGradient && x.dtype === "float32" &&
        dy.dtype === "float32" && info.dataFormat === "channelsLast" &&
        info.strideHeight === info.strideWidth;
      if (!ours) return onCpuBackend("Conv2DBackpropFilter", args);
      counts.convFilterGradients++;
      return convFilterGradient(args.backend as tf.KernelBackend, x, dy, {
        kernel: info.filterHeight,
        kernelWidth: info.filterWidth,
        stride: info.strideHeight,
        top: info.padInfo.top,
        left: info.padInfo.left,
      });
    },
  });
}

// 6. Slice on wasm. The gradient of a padding is a slice of the output's
// gradient: for the conv net's layers, 1.5 ms for a "slice" that is the whole
// [256, 14, 14, 16] tensor (a padding of zeros), 1.2 ms for [256, 7, 7, 32]
// out of [256, 8, 8, 32], 100 ms of an epoch in all. A whole tensor is
// shared, as Identity shares it (piece identity); a block is copied by the
// routine, run by run of the last axis.
const wasmSlice = tf.getKernel("Slice", "wasm")!;
tf.unregisterKernel("Slice", "wasm");
tf.registerKernel({
  ...wasmSlice,
  kernelFunc: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as {
      begin: number | number[];
      size: number | number[];
    };
    const rank = x.shape.length;
    if (!pieces.slices || x.dtype !== "float32" || rank < 1 || rank > 4) {
      return wasmSlice.kernelFunc(args);
    }
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin,
      attrs.size,
    );
    counts.slices++;
    if (size.every((s, i) => s === x.shape[i])) {
      (args.backend as WasmBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    return sliceBlock(args.backend as tf.KernelBackend, x, begin, size);
  },
});

// 7. Add on wasm. A layer adds its bias [m] to every row (or pixel) of its
// output [..., m]. The backend's Add broadcasts with a general loop: 0.58 ms
// for the conv net's first layer ([256, 14, 14, 8] + [8]), 32 ms of a 0.72 s
// epoch, and 50 ms with its other layers. One pass adding the vector row by
// row gives the same float32 sums.
const wasmAdd = tf.getKernel("Add", "wasm")!;
tf.unregisterKernel("Add", "wasm");
tf.registerKernel({
  ...wasmAdd,
  kernelFunc: (args) => {
    const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
    const m = a.shape[a.shape.length - 1];
    const bias = pieces.biasAdd && a.dtype === "float32" &&
      b.dtype === "float32" && a.shape.length >= 2 && b.shape.length === 1 &&
      b.shape[0] === m && a.shape.every((size) => size > 0);
    if (!bias) return wasmAdd.kernelFunc(args);
    counts.biasAdds++;
    return addRows(args.backend as tf.KernelBackend, a, b);
  },
});

// 8. The gradients of Relu and Abs. TensorFlow.js's own multiply dy by
// step(x) cast to float32: three kernels (Step, Cast, Multiply), each a pass
// over the tensor and a tensor on the tape. For the abs templates of notebook
// 6, two per step ([256, 784]); for the conv net, one per ReLU. The routine
// does the same multiplication in one pass.
const STEP_GRADIENT = "LessonStepGradient";
tf.registerKernel({
  kernelName: STEP_GRADIENT,
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as Record<string, tf.TensorInfo>;
    counts.stepGradients++;
    const { alpha } = attrs as { alpha: number };
    return stepGradient(backend as tf.KernelBackend, x, dy, alpha);
  },
});
for (const [kernelName, alpha] of [["Relu", 0], ["Abs", -1]] as const) {
  const own = tf.getGradient(kernelName)!;
  tf.registerGradient({
    ...own,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const d = dy as tf.Tensor;
      const ours = pieces.stepGradients && tf.getBackend() === "wasm" &&
        x.dtype === "float32" && d.dtype === "float32" && x.size > 0 &&
        tf.util.arraysEqual(x.shape, d.shape);
      if (!ours) return own.gradFunc(dy, saved, attrs);
      return {
        x: () => tf.engine().runKernel(STEP_GRADIENT, { x, dy: d }, { alpha }),
      };
    },
  });
}
