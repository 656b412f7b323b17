/**
 * The tensor types the library's functions take and return: TensorFlow.js's
 * own, under short names. Importing this module computes nothing.
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
