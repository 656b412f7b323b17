/**
 * The tensor types the library's functions take and return: TensorFlow.js's
 * own, under short names, and two readers of a tensor's value (`item`,
 * `round`). Importing this module computes nothing.
 *
 * @example A function of a batch
 * ```ts
 * import type { Tensor2D } from "./tensors.ts";
 *
 * const firstColumn = (x: Tensor2D): Tensor2D => x.slice([0, 0], [-1, 1]);
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { ShapeError } from "./errors.ts";

/**
 * A TensorFlow.js tensor of any rank.
 *
 * @example
 * ```ts
 * import type { Tensor } from "./tensors.ts";
 *
 * const sizeOf = (t: Tensor): number => t.size;
 * ```
 */
export type Tensor = tf.Tensor;

/**
 * A TensorFlow.js tensor of rank 2: rows and columns.
 *
 * @example
 * ```ts
 * import type { Tensor2D } from "./tensors.ts";
 *
 * const rowsOf = (x: Tensor2D): number => x.shape[0];
 * ```
 */
export type Tensor2D = tf.Tensor2D;

/**
 * A TensorFlow.js variable: a tensor that training updates in place.
 *
 * @example
 * ```ts
 * import type { Variable } from "./tensors.ts";
 *
 * const isTrained = (v: Variable): boolean => v.trainable;
 * ```
 */
export type Variable = tf.Variable;

/**
 * The number held by a tensor of one element, like PyTorch's `.item()`. The
 * tensor is left as it is (dispose it, or call this inside `tf.tidy`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { item } from "./tensors.ts";
 *
 * const total = tf.tensor([1, 2, 3]).sum();
 * item(total); // 6
 * ```
 */
export function item(t: Tensor): number {
  if (t.size !== 1) {
    throw new ShapeError(
      `item() reads a tensor of one element, not one of shape [${t.shape}]`,
    );
  }
  return t.dataSync()[0];
}

/**
 * `x` rounded to `digits` decimals (4 unless told), the way the notebooks
 * print accuracies and losses. A tensor of one element is read first, and
 * left as it is.
 *
 * @example
 * ```ts
 * import { round } from "./tensors.ts";
 *
 * round(0.951128); // 0.9511
 * round(2 / 3, 2); // 0.67
 * ```
 */
export function round(x: number | Tensor, digits = 4): number {
  const value = typeof x === "number" ? x : item(x);
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
