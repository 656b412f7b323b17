/**
 * Cleaning up after a function that throws while TensorFlow.js records a
 * gradient tape: the one use of the engine's private state outside
 * `speed.ts` and `routines.ts` (listed in `lib/fast/README.md`). Importing
 * this module installs {@linkcode freeTapeOnThrow} as the hook of the same
 * name in `lib/hooks.ts`, which `optim.ts`'s `calcGrad` calls (`backend.ts`
 * imports it).
 *
 * While it records, TensorFlow.js keeps a copy of each tensor a gradient will
 * need (`keep`, so no `tidy` frees it) and frees the copies only once the
 * gradients are computed. When the recorded function throws, no gradient is
 * computed and the copies stay allocated: two tensors for a linear layer,
 * per failed call.
 *
 * @example A loss that throws leaves no tensor behind
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { freeTapeOnThrow } from "./tape.ts";
 *
 * const w = tf.variable(tf.ones([2, 1]));
 * const x = tf.ones([3, 2]);
 * const before = tf.memory().numTensors;
 * try {
 *   tf.variableGrads(() =>
 *     freeTapeOnThrow(() => {
 *       x.matMul(w);
 *       throw new Error("a broken loss");
 *     }), [w]);
 * } catch {
 *   console.log(tf.memory().numTensors === before); // true
 * }
 * tf.dispose([w, x]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setHooks } from "../hooks.ts";

/** What this module reads of TensorFlow.js's engine (tfjs-core 4.22). */
interface EngineState {
  /** The nodes recorded so far, each with the copies it keeps. */
  readonly activeTape:
    | readonly { readonly saved: readonly tf.Tensor[] }[]
    | null;
}

/**
 * Runs `f`, which records on a gradient tape (inside `tf.variableGrads` or
 * `tf.grads`); when it throws, frees the tensors the tape keeps for the
 * gradients, then lets the error through.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { freeTapeOnThrow } from "./tape.ts";
 *
 * const w = tf.variable(tf.scalar(3));
 * const { value, grads } = tf.variableGrads(() => freeTapeOnThrow(() => w.square()), [w]);
 * console.log(grads[w.name].dataSync()[0]); // 6
 * tf.dispose([w, value, ...Object.values(grads)]);
 * ```
 */
export function freeTapeOnThrow<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    const state = tf.engine().state as unknown as EngineState;
    for (const node of state.activeTape ?? []) tf.dispose([...node.saved]);
    throw error;
  }
}

setHooks({ freeTapeOnThrow });
