/**
 * Gradients and the optimizer that follows them, the way PyTorch does it.
 *
 * {@linkcode calcGrad} computes the loss of a batch and adds the gradient of
 * every parameter to that parameter's stored gradient, read with
 * {@linkcode gradOf}: gradients accumulate, batch after batch, until
 * {@linkcode zeroGrad} clears them. A {@linkcode BasicOptim} steps each
 * parameter against its gradient, `p -= lr · grad`.
 *
 * The store owns the gradient tensors: do not dispose what `gradOf` returns,
 * and call `zeroGrad` on parameters before disposing them.
 *
 * @example One step of gradient descent on the lesson's linear model
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initParams } from "./model.ts";
 * import { BasicOptim, calcGrad } from "./optim.ts";
 *
 * const weights = initParams([784, 1]);
 * const bias = initParams([1]);
 * const linear1 = (xb: tf.Tensor2D) => xb.matMul(weights).add(bias) as tf.Tensor2D;
 * const xb = tf.randomUniform([4, 784]) as tf.Tensor2D;
 * const yb = tf.tensor2d([[1], [0], [1], [0]]);
 *
 * const opt = new BasicOptim([weights, bias], 1);
 * const loss = calcGrad(xb, yb, linear1);
 * opt.step();
 * opt.zeroGrad();
 * console.log(loss > 0); // true
 * tf.dispose([xb, yb, weights, bias]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D, Variable } from "./tensors.ts";
import { ArgumentError, LessonError } from "./errors.ts";
import { hooks } from "./hooks.ts";
import { type LossFunc, mnistLoss } from "./loss.ts";
import { type Model, predict } from "./model.ts";

/**
 * Each parameter's accumulated gradient, by the parameter's name (unique
 * among live variables; `tf.variableGrads` names the gradients so), owned
 * here and kept out of tidies.
 */
const grads = new Map<string, Tensor>();

/** The names of the gradients the last `calcGrad` of each function model stored. */
const namesOfFunctions = new WeakMap<Model, readonly string[]>();

/**
 * The gradient accumulated for `param` by {@linkcode calcGrad} since it was
 * last zeroed, or `null` when there is none (like PyTorch's `p.grad`). The
 * tensor belongs to the store: read it, do not dispose it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initParams } from "./model.ts";
 * import { calcGrad, gradOf, zeroGrad } from "./optim.ts";
 *
 * const w = initParams([2, 1]);
 * const model = (x: tf.Tensor2D) => x.matMul(w) as tf.Tensor2D;
 * const x = tf.tensor2d([[1, 2]]);
 * const y = tf.tensor2d([[1]]);
 * console.log(gradOf(w)); // null
 * calcGrad(x, y, model);
 * console.log(gradOf(w)?.shape); // [2, 1]
 * zeroGrad([w]);
 * tf.dispose([w, x, y]);
 * ```
 */
export function gradOf(param: Variable): Tensor | null {
  return grads.get(param.name) ?? null;
}

/**
 * Forgets the accumulated gradients of `params` (and frees their memory).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { initParams } from "./model.ts";
 * import { calcGrad, gradOf, zeroGrad } from "./optim.ts";
 *
 * const w = initParams([1, 1]);
 * const x = tf.tensor2d([[3]]);
 * calcGrad(x, x, (xb) => xb.matMul(w) as tf.Tensor2D);
 * zeroGrad([w]);
 * console.log(gradOf(w)); // null
 * tf.dispose([w, x]);
 * ```
 */
export function zeroGrad(params: readonly Variable[]): void {
  zeroNamed(params.map((param) => param.name));
}

function zeroNamed(names: readonly string[]): void {
  for (const name of names) {
    grads.get(name)?.dispose();
    grads.delete(name);
  }
}

/**
 * Refuses parameters that were disposed: TensorFlow.js would fail deep
 * inside with a message about its own internals.
 *
 * @throws {ArgumentError} When a parameter was disposed.
 *
 * @example
 * ```ts
 * import { checkParams } from "./optim.ts";
 * import { Linear } from "./model.ts";
 *
 * const layer = new Linear(2, 1);
 * checkParams(layer.params, "fit"); // fine
 * layer.weight.dispose();
 * try {
 *   checkParams(layer.params, "fit");
 * } catch (e) {
 *   console.log((e as Error).name); // "ArgumentError"
 * }
 * layer.bias.dispose();
 * ```
 */
export function checkParams(params: readonly Variable[], caller: string): void {
  const index = params.findIndex((p) => p.isDisposed);
  if (index >= 0) {
    const p = params[index];
    throw new ArgumentError(
      `${caller} got a model whose parameter ${index} (${p.name}, shape ` +
        `[${p.shape}]) was disposed: its values are gone. Make a new model ` +
        `(for example new Linear(784, 1)), and dispose its parameters only ` +
        `once you are done with it.`,
    );
  }
}

function describe(p: Variable, index: number): string {
  return `parameter ${index} (${p.name}, shape [${p.shape}])`;
}

const remedy = "Make the optimizer from the parameters of the model you " +
  "train: new BasicOptim(model.params, lr), or for the lesson's functions " +
  "new BasicOptim([weights, bias], lr).";

/**
 * Refuses an optimizer that cannot train `model`: one holding a disposed
 * parameter, or (for a model with `params`) a parameter that is not the
 * model's, or missing one of the model's. Such an optimizer trains nothing
 * and never zeroes the model's gradients, and the loss stays where it was.
 *
 * @throws {ArgumentError} Naming the parameter, and how to make the optimizer.
 *
 * @example
 * ```ts
 * import { Linear } from "./model.ts";
 * import { BasicOptim, checkOptimizer } from "./optim.ts";
 *
 * const model = new Linear(2, 1), other = new Linear(2, 1);
 * checkOptimizer(model, new BasicOptim(model.params, 0.1), "trainEpoch"); // fine
 * try {
 *   checkOptimizer(model, new BasicOptim(other.params, 0.1), "trainEpoch");
 * } catch (e) {
 *   console.log((e as Error).name); // "ArgumentError"
 * }
 * ```
 */
export function checkOptimizer(
  model: Model,
  opt: BasicOptim,
  caller: string,
): void {
  const disposed = opt.params.findIndex((p) => p.isDisposed);
  if (disposed >= 0) {
    throw new ArgumentError(
      `${caller}'s optimizer holds ${
        describe(opt.params[disposed], disposed)
      }, which was disposed: it would train nothing. ${remedy}`,
    );
  }
  if (typeof model === "function") return; // checked after the first batch
  const own = new Set(model.params);
  const foreign = opt.params.findIndex((p) => !own.has(p));
  if (foreign >= 0) {
    throw new ArgumentError(
      `${caller}'s optimizer holds ${
        describe(opt.params[foreign], foreign)
      }, which is not one of the model's parameters: stepping it would ` +
        `not change the model. ${remedy}`,
    );
  }
  const held = new Set(opt.params);
  const missing = model.params.findIndex((p) => p.trainable && !held.has(p));
  if (missing >= 0) {
    throw new ArgumentError(
      `The model's ${
        describe(model.params[missing], missing)
      } is not in ${caller}'s optimizer: it would never be trained, and its ` +
        `gradient never zeroed. ${remedy}`,
    );
  }
}

/**
 * After a batch's gradients: refuses an optimizer with a parameter that got
 * no gradient (the model does not compute with it), zeroing the gradients
 * first. Catches, for the lesson's function models, what
 * {@linkcode checkOptimizer} cannot see before training.
 *
 * @throws {ArgumentError} Naming the parameter.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 * import { BasicOptim, calcGrad, checkGradients } from "./optim.ts";
 *
 * const model = new Linear(2, 1);
 * const opt = new BasicOptim(model.params, 0.1);
 * const [xb, yb] = [tf.tensor2d([[1, 2]]), tf.tensor2d([[1]])];
 * calcGrad(xb, yb, model);
 * checkGradients(model, opt, "trainEpoch"); // fine: every parameter has one
 * opt.zeroGrad();
 * ```
 */
export function checkGradients(
  model: Model,
  opt: BasicOptim,
  caller: string,
): void {
  const index = opt.params.findIndex((p) => p.trainable && gradOf(p) === null);
  if (index < 0) return;
  if (typeof model === "function") zeroNamed(namesOfFunctions.get(model) ?? []);
  else zeroGrad(model.params.filter((p) => p.trainable));
  opt.zeroGrad();
  throw new ArgumentError(
    `${caller}'s optimizer holds ${
      describe(opt.params[index], index)
    }, which got no gradient from the loss: the model does not compute with ` +
      `it, so it would never change (and the model's own gradients would ` +
      `pile up, never zeroed). ${remedy}`,
  );
}

/**
 * Refuses a learning rate that is not a finite number above 0.
 *
 * @throws {ArgumentError} When `lr` is NaN, infinite, 0 or negative.
 *
 * @example
 * ```ts
 * import { checkLearningRate } from "./optim.ts";
 *
 * checkLearningRate(0.1, "fit"); // fine
 * try {
 *   checkLearningRate(NaN, "fit");
 * } catch (e) {
 *   console.log((e as Error).message); // fit needs a learning rate ... got NaN.
 * }
 * ```
 */
export function checkLearningRate(lr: number, caller: string): void {
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0) {
    throw new ArgumentError(
      `${caller} needs a learning rate that is a finite number above 0, ` +
        `such as 1 for the linear model or 0.1 for simpleNet; got ${lr}.`,
    );
  }
}

/**
 * Computes the loss of the model on a batch and adds each parameter's
 * gradient of that loss to its stored gradient (see {@linkcode gradOf}).
 * Returns the loss.
 *
 * The parameters are those of a {@linkcode Module}; for a plain function, the
 * trainable variables it computes with.
 *
 * @throws {LessonError} When the model has no trainable parameter, or the
 * loss is not one number.
 * @throws {ArgumentError} When a parameter of the model was disposed.
 *
 * @example Gradients accumulate until zeroed
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 * import { calcGrad, gradOf, zeroGrad } from "./optim.ts";
 *
 * const model = new Linear(3, 1);
 * const xb = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
 * const yb = tf.tensor2d([[1], [0]]);
 * calcGrad(xb, yb, model);
 * const once = gradOf(model.bias)!.arraySync();
 * calcGrad(xb, yb, model);
 * console.log(gradOf(model.bias)!.arraySync(), once); // twice as large
 * zeroGrad(model.params);
 * tf.dispose([xb, yb, ...model.params]);
 * ```
 */
export function calcGrad(
  xb: Tensor2D,
  yb: Tensor2D,
  model: Model,
  lossFunc: LossFunc = mnistLoss,
): number {
  // A Module names its parameters; for a plain function, TensorFlow.js
  // differentiates with respect to every trainable variable (variableGrads
  // without a list), and returns the gradients of those the loss used.
  const params = typeof model === "function"
    ? undefined
    : model.params.filter((p) => p.trainable);
  if (params !== undefined) checkParams(params, "calcGrad");
  const noParams = () =>
    new LessonError(
      "calcGrad found no trainable parameter in the model: make its " +
        "parameters with initParams (or use a Linear layer), and compute " +
        "its predictions from them.",
    );
  if (params?.length === 0) throw noParams();
  let lossShape: readonly number[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    // The tidy frees the loss and gradients when variableGrads rejects them;
    // the hook frees what the tape keeps when the loss throws (hooks.ts).
    result = tf.tidy(() =>
      tf.variableGrads(
        () =>
          hooks().freeTapeOnThrow(() => {
            const loss = lossFunc(predict(model, xb), yb);
            lossShape = loss.shape;
            return loss as tf.Scalar;
          }),
        params,
      )
    );
  } catch (error) {
    if (lossShape.length === 0) {
      const none = params === undefined && error instanceof Error &&
        /at least one of the input variables to be trainable/.test(
          error.message,
        );
      throw none ? noParams() : error;
    }
    throw new LessonError(
      `calcGrad needs a loss that is one number (a scalar), to take its ` +
        `gradient; the loss function returned a tensor of shape ` +
        `[${lossShape}]. Reduce it to one number, for example with .mean().`,
      { cause: error },
    );
  }
  const { value, grads: fresh } = result;
  const names = Object.keys(fresh);
  if (params === undefined) namesOfFunctions.set(model, names);
  for (const name of names) {
    const grad = fresh[name];
    const old = grads.get(name);
    if (old === undefined) {
      grads.set(name, tf.keep(grad));
    } else {
      grads.set(name, tf.keep(old.add(grad)));
      tf.dispose([old, grad]);
    }
  }
  const loss = value.dataSync()[0];
  value.dispose();
  return loss;
}

/**
 * Plain gradient descent: each step moves every parameter against its
 * accumulated gradient, `p -= lr · grad`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 * import { BasicOptim, calcGrad } from "./optim.ts";
 *
 * const model = new Linear(2, 1);
 * const opt = new BasicOptim(model.params, 0.1);
 * const xb = tf.tensor2d([[1, 2]]);
 * const yb = tf.tensor2d([[1]]);
 * calcGrad(xb, yb, model);
 * opt.step();
 * opt.zeroGrad();
 * tf.dispose([xb, yb, ...model.params]);
 * ```
 */
export class BasicOptim {
  /** The parameters this optimizer updates. */
  readonly params: readonly Variable[];
  /** The learning rate: how far each step goes along the gradient. */
  lr: number;

  /** An optimizer of `params` with learning rate `lr`. */
  constructor(params: readonly Variable[], lr: number) {
    this.params = params;
    this.lr = lr;
  }

  /** Moves each parameter by `-lr · grad` (parameters with no gradient stay). */
  step(): void {
    tf.tidy(() => {
      for (const param of this.params) {
        const grad = gradOf(param);
        if (grad !== null) param.assign(param.sub(grad.mul(this.lr)));
      }
    });
  }

  /** Forgets the parameters' accumulated gradients. */
  zeroGrad(): void {
    zeroGrad(this.params);
  }
}

/**
 * Makes an optimizer for some parameters and a learning rate: what a
 * `Learner` calls to build its optimizer.
 *
 * @example
 * ```ts
 * import { type OptFunc, SGD } from "./optim.ts";
 *
 * const optFunc: OptFunc = SGD;
 * ```
 */
export type OptFunc = (params: readonly Variable[], lr: number) => BasicOptim;

/**
 * Stochastic gradient descent, as an optimizer factory: `SGD(params, lr)` is
 * `new BasicOptim(params, lr)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 * import { SGD } from "./optim.ts";
 *
 * const model = new Linear(784, 1);
 * const opt = SGD(model.params, 1);
 * console.log(opt.lr); // 1
 * tf.dispose([...model.params]);
 * ```
 */
export function SGD(params: readonly Variable[], lr: number): BasicOptim {
  return new BasicOptim(params, lr);
}

/** Refuses a momentum that is not a number from 0 to below 1. */
function checkBeta(beta: number): void {
  if (typeof beta === "number" && beta >= 0 && beta < 1) return;
  throw new ArgumentError(
    `momentum's beta is the share of the previous step each step keeps: a ` +
      `number from 0 up to (not including) 1, such as 0.9; got ${beta}.`,
  );
}

/**
 * Gradient descent with momentum: each step follows a running sum of the
 * gradients, `v = beta · v + grad`, then `p -= lr · v`, so that steps keep
 * going the way they have been going and the noise of single batches
 * averages out. The running sums are tensors the optimizer owns: dispose of
 * it when done.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Linear } from "./model.ts";
 * import { calcGrad, Momentum } from "./optim.ts";
 *
 * const model = new Linear(2, 1);
 * const opt = new Momentum(model.params, 0.1, 0.9);
 * const xb = tf.tensor2d([[1, 2]]);
 * const yb = tf.tensor2d([[1]]);
 * calcGrad(xb, yb, model);
 * opt.step();
 * opt.zeroGrad();
 * opt.dispose();
 * tf.dispose([xb, yb, ...model.params]);
 * ```
 */
export class Momentum extends BasicOptim {
  /** How much of the previous direction each step keeps. */
  readonly beta: number;
  readonly #velocity = new Map<Variable, Tensor>();

  /** An optimizer of `params` with learning rate `lr` and momentum `beta`. */
  constructor(params: readonly Variable[], lr: number, beta = 0.9) {
    super(params, lr);
    checkBeta(beta);
    this.beta = beta;
  }

  /** Updates each running sum with its gradient, and moves by `-lr · v`. */
  override step(): void {
    tf.tidy(() => {
      for (const param of this.params) {
        const grad = gradOf(param);
        if (grad === null) continue;
        const before = this.#velocity.get(param);
        const velocity = tf.keep(
          before === undefined ? grad.clone() : before.mul(this.beta).add(grad),
        );
        before?.dispose();
        this.#velocity.set(param, velocity);
        param.assign(param.sub(velocity.mul(this.lr)));
      }
    });
  }

  /** Frees the running sums. */
  dispose(): void {
    tf.dispose([...this.#velocity.values()]);
    this.#velocity.clear();
  }
}

/**
 * An optimizer factory for a `Learner`: gradient descent with momentum
 * `beta`.
 *
 * @throws {ArgumentError} When `beta` is not a number from 0 to below 1.
 *
 * @example
 * ```ts
 * import { momentum, type OptFunc } from "./optim.ts";
 *
 * const optFunc: OptFunc = momentum(0.9);
 * ```
 */
export function momentum(beta = 0.9): OptFunc {
  checkBeta(beta);
  return (params, lr) => new Momentum(params, lr, beta);
}
