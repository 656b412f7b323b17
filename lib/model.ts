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
import type { Tensor, Tensor2D, Variable } from "./tensors.ts";
import { ArgumentError, ShapeError } from "./errors.ts";
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

/**
 * The matrix product `a·b` of two rank-2 tensors: `tf.matMul`, under the
 * name the library has always exported it.
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
  return tf.matMul(a as Tensor2D, b as Tensor2D);
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

  /**
   * A layer from `nIn` inputs to `nOut` outputs, randomly initialized.
   *
   * @throws {ArgumentError} When `nIn` or `nOut` is not a whole number of at
   * least 1.
   */
  constructor(nIn: number, nOut: number) {
    for (const [name, n] of [["nIn", nIn], ["nOut", nOut]] as const) {
      if (!Number.isInteger(n) || n < 1) {
        throw new ArgumentError(
          `Linear needs whole numbers of inputs and outputs; ${name} is ${n}.`,
        );
      }
    }
    const bound = 1 / Math.sqrt(nIn);
    this.weight = uniformParams([nIn, nOut], bound);
    this.bias = uniformParams([nOut], bound);
    this.params = [this.weight, this.bias];
  }

  /**
   * `x·W + b` for a batch `x` of shape `[n, nIn]`.
   *
   * @throws {ShapeError} When `x` is not a batch `[n, nIn]`.
   */
  forward(x: Tensor2D): Tensor2D {
    const [nIn] = this.weight.shape;
    if (x.rank !== 2 || x.shape[1] !== nIn) {
      throw new ShapeError(
        `This Linear layer reads ${nIn} inputs, so it needs a batch of shape ` +
          `[n, ${nIn}]; got [${x.shape}]. Reshape the batch, for example ` +
          `images [n, 28, 28] with x.reshape([-1, 784]).`,
      );
    }
    return tf.tidy(() => x.matMul(this.weight).add(this.bias));
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
 * 23,581 parameters. With `outputs` 10, one score per digit (23,860).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { countParams, simpleNet } from "./model.ts";
 *
 * const net = simpleNet();
 * const digits = simpleNet(10);
 * console.log(countParams(net), countParams(digits)); // 23581 23860
 * tf.dispose([...net.params, ...digits.params]);
 * ```
 */
export function simpleNet(outputs = 1): Sequential {
  return new Sequential(new Linear(784, 30), relu, new Linear(30, outputs));
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
