/**
 * Interrupting the library's long calls. The Deno kernel dies on SIGINT
 * (Jupyter's Stop button, or Ctrl-C in a terminal; denoland/deno#24491), and
 * with it every variable of the notebook. While one of the long calls runs
 * (`fit`, `trainEpoch`, `validateEpoch`, extracting an archive, rendering a
 * chart), {@linkcode interruptible} catches SIGINT instead: the call stops at
 * its next check (the next batch, the next file) and throws an
 * {@linkcode InterruptedError} saying where it stopped. Outside those calls,
 * SIGINT is left alone and ends the process as usual.
 *
 * Why a worker: `trainEpoch` runs its batches without yielding to the event
 * loop, so a listener on the main thread would only run once the epoch is
 * over. The listener lives in a small worker instead, which sets a flag in
 * shared memory that the loops read between batches. The worker is started
 * once, unreferenced (it keeps no process alive), and holds its listener only
 * while a long call runs: `Deno.addSignalListener` keeps SIGINT from ending
 * the process for as long as a listener is registered.
 *
 * @example Stop a long loop at the next step
 * ```ts
 * import { interruptible, throwIfInterrupted } from "./interrupt.ts";
 *
 * const total = interruptible("summing", () => {
 *   let sum = 0;
 *   for (let i = 0; i < 1e6; i++) {
 *     throwIfInterrupted(() => `summing stopped at ${i}`);
 *     sum += i;
 *   }
 *   return sum;
 * });
 * console.log(total); // 499999500000
 * ```
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { InterruptedError } from "./errors.ts";

// The worker: on "arm", it registers a SIGINT listener that sets flag[0];
// on "disarm", it removes it. flag[1] says which it did last (1 armed).
const WORKER = `
const { parentPort } = require("node:worker_threads");
let flag;
const onSignal = () => { Atomics.store(flag, 0, 1); };
parentPort.on("message", (message) => {
  if (message.flag) flag = new Int32Array(message.flag);
  if (message.arm) Deno.addSignalListener("SIGINT", onSignal);
  else Deno.removeSignalListener("SIGINT", onSignal);
  Atomics.store(flag, 1, message.arm ? 1 : 0);
  Atomics.notify(flag, 1);
});`;

/** How long arming or disarming may take before it is given up on. */
const ACK_MS = 5_000;

let worker: Worker | undefined;
let failed = false;
const flag = new Int32Array(new SharedArrayBuffer(8));
let depth = 0;

/** Tells the worker to arm or disarm, and waits until it has. */
function setArmed(arm: boolean): boolean {
  if (worker === undefined) {
    if (failed) return false;
    try {
      worker = new Worker(WORKER, { eval: true });
      worker.unref();
      worker.postMessage({ flag: flag.buffer, arm: false });
    } catch {
      failed = true; // no worker here: SIGINT keeps its default
      return false;
    }
  }
  worker.postMessage({ arm });
  const want = arm ? 1 : 0;
  const until = performance.now() + ACK_MS;
  while (Atomics.load(flag, 1) !== want && performance.now() < until) {
    Atomics.wait(flag, 1, 1 - want, 50);
  }
  return Atomics.load(flag, 1) === want;
}

/**
 * Whether SIGINT arrived since the outermost {@linkcode interruptible} call
 * began.
 *
 * @example
 * ```ts
 * import { interrupted } from "./interrupt.ts";
 *
 * console.log(interrupted()); // false
 * ```
 */
export function interrupted(): boolean {
  return Atomics.load(flag, 0) === 1;
}

/**
 * Throws an {@linkcode InterruptedError} with the message `where()` gives
 * when SIGINT arrived during the current {@linkcode interruptible} call. The
 * long loops call it before each step, so that they stop between steps.
 *
 * @throws {InterruptedError} SIGINT arrived.
 *
 * @example
 * ```ts
 * import { throwIfInterrupted } from "./interrupt.ts";
 *
 * throwIfInterrupted(() => "stopped at batch 3"); // nothing: no SIGINT
 * ```
 */
export function throwIfInterrupted(where: () => string): void {
  if (Atomics.load(flag, 0) === 1) {
    Atomics.store(flag, 0, 0);
    throw new InterruptedError(where());
  }
}

function begin(): void {
  if (depth++ === 0) {
    Atomics.store(flag, 0, 0);
    setArmed(true);
  }
}

function end(what: string, ok: boolean): void {
  if (--depth > 0) return;
  setArmed(false);
  if (ok && Atomics.load(flag, 0) === 1) {
    Atomics.store(flag, 0, 0);
    throw new InterruptedError(
      `Interrupted as ${what} finished: its work is done and kept, and the ` +
        "rest of the cell did not run. Run the next cells as usual.",
    );
  }
}

/**
 * Runs `fn` (sync or async) with SIGINT caught: `fn` stops at its next
 * {@linkcode throwIfInterrupted}. The listener is removed when `fn` ends, also
 * by an error; calls nest (only the outermost one registers it). A SIGINT
 * that came after `fn`'s last check ends the call with an
 * {@linkcode InterruptedError} too, once `fn` has finished: the cell stops.
 *
 * @throws {InterruptedError} SIGINT arrived while `fn` ran.
 *
 * @example An async call
 * ```ts
 * import { interruptible } from "./interrupt.ts";
 *
 * const value = await interruptible("waiting", async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   return 42;
 * });
 * console.log(value); // 42
 * ```
 */
export function interruptible<T>(what: string, fn: () => T): T {
  begin();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    end(what, false);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        end(what, true);
        return value;
      },
      (error) => {
        end(what, false);
        throw error;
      },
    ) as T;
  }
  end(what, true);
  return result;
}

/**
 * A promise that rejects with an {@linkcode InterruptedError} (message from
 * `where()`) once SIGINT arrives during the current {@linkcode interruptible}
 * call, for async steps that wait on something else (a browser): race it
 * against them. It checks every 50 ms; `stop()` ends the checking.
 *
 * @example
 * ```ts
 * import { interruptible, whenInterrupted } from "./interrupt.ts";
 *
 * await interruptible("waiting", async () => {
 *   const watch = whenInterrupted(() => "stopped while waiting");
 *   try {
 *     await Promise.race([new Promise((r) => setTimeout(r, 10)), watch.promise]);
 *   } finally {
 *     watch.stop();
 *   }
 * });
 * ```
 */
export function whenInterrupted(
  where: () => string,
): { readonly promise: Promise<never>; stop(): void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      try {
        throwIfInterrupted(where);
      } catch (error) {
        clearInterval(timer);
        reject(error);
      }
    }, 50);
  });
  promise.catch(() => {}); // a rejection nobody awaited is not an error
  return { promise, stop: () => clearInterval(timer) };
}
