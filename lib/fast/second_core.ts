/**
 * The second core: a worker thread that runs the routines of `simd.c` on a
 * shared WebAssembly memory, to take one part of a large product while the
 * main thread computes the other (`routines.ts` splits them, piece
 * `secondCore`).
 *
 * TensorFlow.js's own memory is not shared (its WebAssembly build without
 * threads makes it), so the worker cannot read the tensors where they are:
 * the main thread copies the worker's inputs into the shared memory, starts
 * the worker's part with `Atomics.notify`, computes its own part in the
 * backend's memory, waits for the worker (`Atomics.wait`) and copies its
 * part of the output back. The worker blocks in `Atomics.wait` between
 * jobs, and is started with `unref()` (`node:worker_threads`), so that it
 * never keeps a process from ending; {@linkcode stopSecondCore} ends it.
 *
 * @example The second core, once it has started (the first call starts it)
 * ```ts
 * import { secondCore, stopSecondCore } from "./second_core.ts";
 *
 * secondCore();
 * await new Promise((done) => setTimeout(done, 200));
 * console.log(secondCore() !== null); // true where workers run
 * stopSecondCore();
 * ```
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import {
  SHARED_RELAXED_SIMD_WASM_BASE64,
  SHARED_SIMD_WASM_BASE64,
} from "./simd_wasm.ts";

/** The functions of `simd.c` a job may call, by their index in a job. */
export const JOB_FUNCTIONS = [
  "linear_forward_sparse",
  "conv_filter_grad_part",
] as const;

/** A function of {@linkcode JOB_FUNCTIONS}. */
export type JobFunction = typeof JOB_FUNCTIONS[number];

/**
 * The control block at address 0 of the shared memory, in 32-bit integers:
 * the last job posted, the last job done, the worker's state, the build and
 * function of the job, then its arguments.
 */
const POSTED = 0, DONE = 1, STATE = 2, BUILD = 3, FUNCTION = 4, ARGS = 5;
/** The worker's states, after 0 (starting). */
const READY = 1, FAILED = 2;
/** A job's function index that tells the worker to stop. */
const STOP = -1;
const PAGE = 65536;
/** The largest shared memory: what the shared builds declare (1 GiB). */
const MAX_PAGES = 16384;
/** How long the main thread waits for a part before giving up on the worker. */
const PATIENCE_MS = 10_000;

/**
 * Where a job's inputs and outputs may start in the shared memory: after
 * the control block's page.
 *
 * @example
 * ```ts
 * import { JOB_BASE } from "./second_core.ts";
 *
 * console.log(JOB_BASE); // 65536
 * ```
 */
export const JOB_BASE = PAGE;

/** The worker thread, its shared memory, and its jobs. */
export interface SecondCore {
  /**
   * The shared memory's bytes, grown first to hold `end` bytes: the
   * caller writes a job's inputs there, from {@linkcode JOB_BASE} on.
   * Null when `end` is more than the memory can hold.
   */
  bytes(end: number): Uint8Array | null;
  /** Starts `fn(...args)` (addresses in the shared memory) on the worker. */
  post(fn: JobFunction, relaxed: boolean, args: readonly number[]): void;
  /**
   * Waits until the job posted last is done: true then; false if the
   * worker failed or did not answer (it is then ended, and the caller
   * computes that part itself).
   */
  wait(): boolean;
}

const decode = (base64: string) =>
  new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));

class Core implements SecondCore {
  readonly #memory: WebAssembly.Memory;
  readonly #control: Int32Array;
  readonly #worker: Worker;
  #posted = 0;

  constructor(relaxed: boolean) {
    this.#memory = new WebAssembly.Memory({
      initial: 16,
      maximum: MAX_PAGES,
      shared: true,
    });
    this.#control = new Int32Array(this.#memory.buffer, 0, 64);
    const plain = decode(SHARED_SIMD_WASM_BASE64);
    const modules = [
      plain,
      relaxed ? decode(SHARED_RELAXED_SIMD_WASM_BASE64) : plain,
    ];
    this.#worker = new Worker(
      new URL("./second_core_worker.ts", import.meta.url),
    );
    this.#worker.unref();
    this.#worker.on("error", () => Atomics.store(this.#control, STATE, FAILED));
    this.#worker.postMessage({
      memory: this.#memory,
      modules,
      functions: JOB_FUNCTIONS,
    });
  }

  get ready(): boolean {
    return Atomics.load(this.#control, STATE) === READY;
  }

  get failed(): boolean {
    return Atomics.load(this.#control, STATE) === FAILED;
  }

  bytes(end: number): Uint8Array | null {
    const pages = Math.ceil(end / PAGE);
    if (pages > MAX_PAGES) return null;
    const have = this.#memory.buffer.byteLength / PAGE;
    if (pages > have) this.#memory.grow(pages - have);
    return new Uint8Array(this.#memory.buffer);
  }

  post(fn: JobFunction, relaxed: boolean, args: readonly number[]): void {
    const control = this.#control;
    control[BUILD] = relaxed ? 1 : 0;
    control[FUNCTION] = JOB_FUNCTIONS.indexOf(fn);
    control.set(args, ARGS);
    Atomics.store(control, POSTED, ++this.#posted);
    Atomics.notify(control, POSTED);
  }

  wait(): boolean {
    const control = this.#control;
    const deadline = performance.now() + PATIENCE_MS;
    while (Atomics.load(control, DONE) !== this.#posted) {
      if (this.failed || performance.now() > deadline) {
        this.stop();
        unavailable = true;
        return false;
      }
      Atomics.wait(control, DONE, Atomics.load(control, DONE), 100);
    }
    return !this.failed;
  }

  stop(): void {
    Atomics.store(this.#control, STATE, FAILED);
    this.#control[FUNCTION] = STOP;
    Atomics.store(this.#control, POSTED, ++this.#posted);
    Atomics.notify(this.#control, POSTED);
    this.#worker.terminate();
    if (core === this) core = undefined;
  }
}

/** The worker: not started yet (undefined), or started. */
let core: Core | undefined;
/** Set when workers cannot start here: the piece then does nothing. */
let unavailable = false;

/**
 * The second core, ready for jobs; or null while it starts (the first call
 * starts it, in the background), where workers cannot start, or after it
 * failed. `relaxed` says whether the worker may need the relaxed build
 * (where the engine supports it: `routines.ts` decides).
 *
 * @example
 * ```ts
 * import { secondCore } from "./second_core.ts";
 *
 * const core = secondCore();
 * console.log(core === null); // true at first: the worker is starting
 * ```
 */
export function secondCore(relaxed = true): SecondCore | null {
  if (unavailable) return null;
  if (core === undefined) {
    try {
      core = new Core(relaxed);
    } catch {
      unavailable = true;
      return null;
    }
  }
  if (core.failed) {
    core.stop();
    unavailable = true;
    return null;
  }
  return core.ready ? core : null;
}

/**
 * Ends the second core's worker, if one runs (a later
 * {@linkcode secondCore} starts a new one). The process does not need it to
 * end: the worker never keeps it alive.
 *
 * @example
 * ```ts
 * import { stopSecondCore } from "./second_core.ts";
 *
 * stopSecondCore();
 * ```
 */
export function stopSecondCore(): void {
  core?.stop();
  core = undefined;
}
