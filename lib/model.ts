/**
 * Models: functions from a batch of inputs `[n, features]` to predictions
 * `[n, outputs]`, and the trainable parameters they compute with.
 *
 * A model is either a plain function (the lesson's hand-made `linear1`, which
 * reads its parameters from variables it closes over) or a
 * {@linkcode Module}, which also lists its parameters so an optimizer can find
 * them. Every neuron here is a regression `y = f(w0 + Σ wi·xi)`: a
 * {@linkcode Linear} layer computes `x·W + b` for several outputs at once, its
 * bias `b` being the intercept `w0`.
 *
 * @example The lesson's linear model, by hand and as a layer
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initParams, Linear, predict } from "./model.ts";
 * import { setSeed } from "./random.ts";
 *
 * setSeed(42);
 * const weights = initParams([784, 1]);
 * const bias = initParams([1]);
 * const linear1 = (xb: tf.Tensor2D) => xb.matMul(weights).add(bias) as tf.Tensor2D;
 * const layer = new Linear(784, 1);
 *
 * const x = tf.ones([2, 784]) as tf.Tensor2D;
 * const byHand = predict(linear1, x);
 * const byLayer = predict(layer, x);
 * console.log(byHand.shape, byLayer.shape); // [2, 1] [2, 1]
 * tf.dispose([x, byHand, byLayer, weights, bias, ...layer.params]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./fast/backend.ts";
import type { Tensor, Tensor2D, Variable } from "./fast/backend.ts";
import { ShapeError } from "./errors.ts";
import {
  linearForward,
  linearWeightGrad,
  MAX_COLUMNS,
} from "./fast/kernels.ts";
import { randn, rng } from "./random.ts";

/**
 * A model that lists its trainable parameters, so an optimizer can update
 * them.
 *
 * @example A module of one's own: a line through the origin
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initParams, type Module } from "./model.ts";
 *
 * const w = initParams([1, 1]);
 * const throughOrigin: Module = {
 *   forward: (x) => x.matMul(w) as tf.Tensor2D,
 *   params: [w],
 * };
 * console.log(throughOrigin.params.length); // 1
 * w.dispose();
 * ```
 */
export interface Module {
  /** The predictions `[n, outputs]` for a batch of inputs `[n, features]`. */
  forward(x: Tensor2D): Tensor2D;
  /** The trainable parameters the predictions depend on. */
  readonly params: readonly Variable[];
}

/**
 * A model: a plain function of a batch, or a {@linkcode Module}.
 *
 * @example Both kinds
 * ```ts
 * import { type Model, relu, simpleNet } from "./model.ts";
 *
 * const models: Model[] = [relu, simpleNet()];
 * console.log(models.length); // 2
 * ```
 */
export type Model = ((x: Tensor2D) => Tensor2D) | Module;

/**
 * A trainable variable of the given shape, filled with normal draws times
 * `std` from the seeded generator of `random.ts`.
 *
 * @example The weights and the bias of the lesson's linear model
 * ```ts
 * import { initParams } from "./model.ts";
 * import { setSeed } from "./random.ts";
 *
 * setSeed(42);
 * const weights = initParams([784, 1]);
 * const bias = initParams([1]);
 * console.log(weights.shape, bias.shape); // [784, 1] [1]
 * weights.dispose();
 * bias.dispose();
 * ```
 */
export function initParams(shape: readonly number[], std = 1): Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(randn(size, std), [...shape])));
}

/** A trainable variable filled with uniform draws in ±`bound`. */
function uniformParams(shape: readonly number[], bound: number): Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng().uniform() - 1) * bound;
  return tf.tidy(() => tf.variable(tf.tensor(values, [...shape])));
}

/**
 * The predictions of a model, whichever its kind.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { predict, relu } from "./model.ts";
 *
 * const x = tf.tensor2d([[-1, 2]]);
 * const y = predict(relu, x);
 * y.print(); // [[0, 2]]
 * tf.dispose([x, y]);
 * ```
 */
export function predict(model: Model, x: Tensor2D): Tensor2D {
  return typeof model === "function" ? model(x) : model.forward(x);
}

/*
 * Matrix multiplication with a gradient suited to the WebAssembly backend.
 * TensorFlow.js's own gradient of `matMul` multiplies by a transposed operand,
 * which that backend does with a plain loop: fine against a single column
 * (0.2 ms for the lesson's 784 weights and a batch of 256), slow against many
 * (5.4 ms for the 30 columns of simpleNet's first layer, against 0.7 ms when
 * the batch is transposed first). So `matMul` below runs TensorFlow.js's
 * `BatchMatMul` under a kernel name of its own, whose registered gradient
 * transposes first. A registered gradient, unlike a `tf.customGrad`, is
 * computed only for the inputs that need it: never for a batch of images.
 *
 * (Measured and rejected: the weights' gradient `aᵀ·dy` as `(dyᵀ·a)ᵀ`. The
 * fast product packs its right operand anew for every new tensor, and packing
 * a batch of 256 images costs 0.8 ms, more than the plain loop.)
 */
const matMulKernel = "LessonMatMul";

/** The gradients of `a·b` for `a` and `b`, given the gradient `dy` of the product. */
function matMulGradients(dy: Tensor2D, a: Tensor, b: Tensor) {
  return {
    a: () => dy.matMul(b.transpose()),
    b: () =>
      dy.shape[1] === 1
        ? a.matMul(dy, true, false)
        : transpose(a as Tensor2D).matMul(dy),
  };
}

/**
 * `m` transposed. The WebAssembly backend transposes a matrix element by
 * element; for a batch of 256 rows, the writes land 1 kB apart and keep
 * evicting each other from the cache (0.27 ms for 256 × 784). Moved as
 * strips of 16 columns, the same copy takes 0.15 ms.
 */
function transpose(m: Tensor2D): Tensor2D {
  const [rows, columns] = m.shape;
  if (columns % 16 !== 0) return m.transpose();
  return tf.tidy(() =>
    m.reshape([rows, columns / 16, 16]).transpose([1, 2, 0]).reshape([
      columns,
      rows,
    ])
  );
}

tf.registerGradient({
  kernelName: matMulKernel,
  inputsToSave: ["a", "b"],
  gradFunc: (dy, [a, b]) => matMulGradients(dy as Tensor2D, a, b),
});

/*
 * A linear layer's `x·W + b` as one kernel: the engine records one step
 * instead of two, and the bias's gradient is one sum instead of three
 * operations (TensorFlow.js undoes the broadcast of `b` by reshaping, summing
 * and reshaping). On the WebAssembly backend, layers of up to 32 outputs
 * compute the product and the weights' gradient with the kernels of
 * `kernels.ts`; wider ones, and the `cpu` backend, with TensorFlow.js's.
 */
const linearKernel = "LessonLinear";
const weightGradKernel = "LessonLinearWeightGrad";

/** Whether `kernels.ts` computes a layer with `columns` outputs. */
function ownKernels(columns: number): boolean {
  return tf.getBackend() === "wasm" && columns <= MAX_COLUMNS;
}

tf.registerGradient({
  kernelName: linearKernel,
  inputsToSave: ["x", "weight"],
  gradFunc: (dy, [x, weight]) => {
    const dyy = dy as Tensor2D;
    const { a, b } = matMulGradients(dyy, x, weight);
    const own = ownKernels(weight.shape[1]!);
    return {
      x: a,
      weight: own
        ? () =>
          tf.engine().runKernel(weightGradKernel, { x, dy: dyy }) as Tensor
        : b,
      bias: () => dyy.sum(0),
    };
  },
});

tf.registerKernel({
  kernelName: weightGradKernel,
  backendName: "wasm",
  kernelFunc: linearWeightGrad,
});

/**
 * Registers a kernel for the current backend the first time it is used:
 * `make` builds its function from the backend's own kernels.
 */
function ensureKernel(
  name: string,
  make: (kernel: (name: string) => tf.KernelFunc) => tf.KernelFunc,
): void {
  const backendName = tf.getBackend();
  if (tf.getKernel(name, backendName) !== undefined) return;
  const kernel = (other: string) =>
    tf.getKernel(other, backendName)!.kernelFunc;
  tf.registerKernel({
    kernelName: name,
    backendName,
    kernelFunc: make(kernel),
  });
}

/** `x·W + b`, as one kernel with the gradient registered above. */
function linear(x: Tensor, weight: Tensor, bias: Tensor): Tensor2D {
  ensureKernel(linearKernel, (kernel) => (args) => {
    const { inputs, backend } = args;
    if (ownKernels(inputs.weight!.shape[1])) return linearForward(args);
    const product = kernel("BatchMatMul")({
      inputs: { a: inputs.x, b: inputs.weight },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    const sum = kernel("Add")({
      inputs: { a: product, b: inputs.bias },
      backend,
      attrs: {},
    });
    (backend as tf.KernelBackend).disposeData(product.dataId);
    return sum;
  });
  return tf.engine().runKernel(linearKernel, { x, weight, bias });
}

/**
 * The matrix product `a·b` of two rank-2 tensors, with a gradient suited to
 * the WebAssembly backend (see above). Layers use it in place of `tf.matMul`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { matMul } from "./model.ts";
 *
 * const a = tf.tensor2d([[1, 2]]);
 * const b = tf.tensor2d([[3], [4]]);
 * matMul(a, b).print(); // [[11]]
 * ```
 */
export function matMul(a: Tensor, b: Tensor): Tensor2D {
  ensureKernel(
    matMulKernel,
    (kernel) => ({ inputs, backend }) =>
      kernel("BatchMatMul")({
        inputs,
        backend,
        attrs: { transposeA: false, transposeB: false },
      }),
  );
  return tf.engine().runKernel(matMulKernel, { a, b });
}

/**
 * A fully connected layer: `nOut` neurons, each a weighted sum of the `nIn`
 * inputs plus its own bias, `y = x·W + b`. It holds `nIn × nOut` weights and
 * `nOut` biases, drawn like PyTorch's `nn.Linear` does: uniformly in
 * ±1/√nIn, from the seeded generator.
 *
 * @example A layer of 30 neurons reading 784 pixels
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 *
 * const layer = new Linear(784, 30);
 * const x = tf.zeros([5, 784]) as tf.Tensor2D;
 * const y = layer.forward(x);
 * console.log(y.shape); // [5, 30]: with zero inputs, each output is its bias
 * tf.dispose([x, y, ...layer.params]);
 * ```
 */
export class Linear implements Module {
  /** The weights, `[nIn, nOut]`: column `j` feeds neuron `j`. */
  readonly weight: Variable;
  /** The biases (intercepts), `[nOut]`, one per neuron. */
  readonly bias: Variable;
  /** The weights, then the biases. */
  readonly params: readonly Variable[];

  /** A layer from `nIn` inputs to `nOut` outputs, randomly initialized. */
  constructor(nIn: number, nOut: number) {
    for (const [name, n] of [["nIn", nIn], ["nOut", nOut]] as const) {
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(
          `Linear needs whole numbers of inputs and outputs; ${name} is ${n}.`,
        );
      }
    }
    const bound = 1 / Math.sqrt(nIn);
    this.weight = uniformParams([nIn, nOut], bound);
    this.bias = uniformParams([nOut], bound);
    this.params = [this.weight, this.bias];
  }

  /** `x·W + b` for a batch `x` of shape `[n, nIn]`. */
  forward(x: Tensor2D): Tensor2D {
    const [nIn] = this.weight.shape;
    if (x.rank !== 2 || x.shape[1] !== nIn) {
      throw new ShapeError(
        `This Linear layer reads ${nIn} inputs, so it needs a batch of shape ` +
          `[n, ${nIn}]; got [${x.shape}]. Reshape the batch, for example ` +
          `images [n, 28, 28] with x.reshape([-1, 784]).`,
      );
    }
    return linear(x, this.weight, this.bias);
  }
}

/**
 * The rectified linear unit, `max(x, 0)`, element by element: the
 * non-linearity between two linear layers.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { relu } from "./model.ts";
 *
 * const x = tf.tensor2d([[-2, -0.5, 0, 1.5]]);
 * const y = relu(x);
 * y.print(); // [[0, 0, 0, 1.5]]
 * tf.dispose([x, y]);
 * ```
 */
export function relu(x: Tensor2D): Tensor2D {
  return tf.relu(x);
}

/**
 * Layers applied one after the other, each to the output of the previous.
 * A layer is a {@linkcode Module} or a plain function such as
 * {@linkcode relu}; the parameters are those of every module, in order.
 *
 * @example Two linear layers with a non-linearity between them
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear, relu, Sequential } from "./model.ts";
 *
 * const net = new Sequential(new Linear(4, 3), relu, new Linear(3, 1));
 * const x = tf.ones([2, 4]) as tf.Tensor2D;
 * const y = net.forward(x);
 * console.log(y.shape, net.params.length); // [2, 1] 4
 * tf.dispose([x, y, ...net.params]);
 * ```
 */
export class Sequential implements Module {
  /** The layers, in the order they are applied. */
  readonly layers: readonly Model[];
  /** The parameters of every module among the layers, in order. */
  readonly params: readonly Variable[];

  /** Chains `layers`, first to last. */
  constructor(...layers: Model[]) {
    this.layers = layers;
    this.params = layers.flatMap((layer) =>
      typeof layer === "function" ? [] : layer.params
    );
  }

  /** The output of the last layer for a batch `x`. */
  forward(x: Tensor2D): Tensor2D {
    return tf.tidy(() =>
      this.layers.reduce((h, layer) => predict(layer, h), x)
    );
  }
}

/**
 * The lesson's first neural net: 784 pixels → 30 neurons → ReLU → 1 output,
 * 23,581 parameters.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { countParams, simpleNet } from "./model.ts";
 *
 * const net = simpleNet();
 * console.log(countParams(net)); // 23581
 * tf.dispose([...net.params]);
 * ```
 */
export function simpleNet(): Sequential {
  return new Sequential(new Linear(784, 30), relu, new Linear(30, 1));
}

/**
 * How many numbers training adjusts: the total size of a module's
 * parameters, or of a list of variables.
 *
 * @example A linear layer over 784 pixels: 784 weights and 1 bias
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { countParams, Linear } from "./model.ts";
 *
 * const layer = new Linear(784, 1);
 * console.log(countParams(layer), countParams([layer.weight])); // 785 784
 * tf.dispose([...layer.params]);
 * ```
 */
export function countParams(model: Module | readonly Variable[]): number {
  const params = "params" in model ? model.params : model;
  return params.reduce((total, p) => total + p.size, 0);
}
