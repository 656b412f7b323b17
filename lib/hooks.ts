/**
 * The four places where `fast/` may change how the lesson's code runs, each
 * with the plain behaviour as its default: the lesson's files call these
 * hooks and never import `fast/`, and they work (plainly) without it.
 * `fast/` installs its versions when it is imported, which `mod.ts` does (and
 * `tests/_backend.ts` for the tests): one door, opened once.
 *
 * Why hooks here rather than the lesson's files importing `fast/`: a newcomer
 * reading `loss.ts` or `optim.ts` meets one call to a function of this short
 * file, whose plain default says what it does; the speed code stays behind
 * it. Why not let `mod.ts` wire `fast/` into the lesson: then every program
 * and test would have to repeat that wiring; with hooks, importing
 * `fast/backend.ts` is all it takes.
 *
 * Everything else `fast/` changes (faster kernels and gradients) it registers
 * with TensorFlow.js itself, which needs no hook.
 *
 * @example The plain defaults, before `fast/` is imported
 * ```ts
 * import { hooks } from "./hooks.ts";
 *
 * console.log(hooks().plainly(() => 1 + 1)); // 2: runs the function as it is
 * ```
 *
 * @module
 */
import type { Tensor, Tensor2D } from "./tensors.ts";

/**
 * The hooks, each a function the lesson calls at one place.
 *
 * @example Hooks that do the plain thing
 * ```ts
 * import type { Hooks } from "./hooks.ts";
 *
 * const plain: Hooks = {
 *   mnistLoss: () => undefined,
 *   crossEntropy: () => undefined,
 *   plainly: (fn) => fn(),
 *   freeTapeOnThrow: (fn) => fn(),
 * };
 * ```
 */
export interface Hooks {
  /**
   * `mnistLoss` of predictions and targets of one shape `[n, 1]`, computed
   * with the same value and gradient another way, or `undefined` to let
   * `loss.ts` compute it as the lesson writes it (the default). `fast/`
   * computes it in one step, while its piece `mnistLossGradient` is on.
   */
  readonly mnistLoss: (predictions: Tensor2D, targets: Tensor2D) =>
    | Tensor
    | undefined;
  /**
   * Runs `fn` on TensorFlow.js as shipped (`runs.ts`, for the option
   * `plain`); by default `fn` simply runs. `fast/` turns every speed piece
   * off while `fn` runs.
   */
  readonly plainly: <T>(fn: () => T) => T;
  /**
   * The ten digits' cross-entropy of `scores` `[n, c]` against `labels` (the
   * checked label of each row), computed with the same value and gradient
   * another way, or `undefined` to let `multiclass.ts` compute it with
   * TensorFlow.js (the default). `fast/` computes it in one step, while its
   * piece `crossEntropyGradient` is on.
   */
  readonly crossEntropy: (
    scores: Tensor2D,
    labels: ArrayLike<number>,
  ) => Tensor | undefined;
  /**
   * Runs `fn`, which records on a gradient tape (`optim.ts`'s `calcGrad`);
   * by default `fn` simply runs. `fast/` frees the tensors the tape keeps for
   * the gradients when `fn` throws (TensorFlow.js leaves them allocated).
   */
  readonly freeTapeOnThrow: <T>(fn: () => T) => T;
}

const plainHooks: Hooks = {
  mnistLoss: () => undefined,
  crossEntropy: () => undefined,
  plainly: (fn) => fn(),
  freeTapeOnThrow: (fn) => fn(),
};

let current: Hooks = plainHooks;

/**
 * The hooks in place: the plain ones, or those `fast/` installed.
 *
 * @example
 * ```ts
 * import { hooks } from "./hooks.ts";
 *
 * const total = hooks().freeTapeOnThrow(() => 40 + 2); // 42
 * ```
 */
export function hooks(): Hooks {
  return current;
}

/**
 * Replaces some hooks, for the whole process (what `fast/` does when it is
 * imported); the others stay.
 *
 * @example Count the runs made plainly
 * ```ts
 * import { hooks, setHooks } from "./hooks.ts";
 *
 * let plainRuns = 0;
 * const before = hooks().plainly;
 * setHooks({ plainly: (fn) => (plainRuns++, before(fn)) });
 * hooks().plainly(() => 0);
 * console.log(plainRuns); // 1
 * setHooks({ plainly: before });
 * ```
 */
export function setHooks(changes: Partial<Hooks>): void {
  current = { ...current, ...changes };
}
