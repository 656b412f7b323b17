/**
 * The second core's worker thread (`second_core.ts` starts it): it receives
 * the shared memory and the routines built for it, then runs one job after
 * another, each a function of `simd.c` on addresses of that memory, waiting
 * between jobs in `Atomics.wait`. The control block's layout is
 * `second_core.ts`'s.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";

/** What `second_core.ts` sends once. */
interface Start {
  readonly memory: WebAssembly.Memory;
  /** The plain and the relaxed build, for a shared memory. */
  readonly modules: readonly WebAssembly.Module[];
  readonly functions: readonly string[];
}

type Routine = (...args: number[]) => void;

const POSTED = 0, DONE = 1, STATE = 2, BUILD = 3, FUNCTION = 4, ARGS = 5;
const READY = 1, FAILED = 2;
/** The most arguments a job's function takes. */
const MOST_ARGS = 17;

parentPort!.once("message", ({ memory, modules, functions }: Start) => {
  const control = new Int32Array(memory.buffer, 0, 64);
  let builds: Record<string, Routine>[];
  try {
    builds = modules.map((module) =>
      new WebAssembly.Instance(module, { env: { memory } })
        .exports as unknown as Record<string, Routine>
    );
  } catch {
    Atomics.store(control, STATE, FAILED);
    Atomics.notify(control, DONE);
    return;
  }
  Atomics.store(control, STATE, READY);
  let last = 0;
  for (;;) {
    Atomics.wait(control, POSTED, last);
    const job = Atomics.load(control, POSTED);
    if (job === last) continue;
    last = job;
    const index = control[FUNCTION];
    if (index < 0) return;
    try {
      const args = Array.from(control.subarray(ARGS, ARGS + MOST_ARGS));
      builds[control[BUILD]][functions[index]](...args);
    } catch {
      Atomics.store(control, STATE, FAILED);
    }
    Atomics.store(control, DONE, job);
    Atomics.notify(control, DONE);
  }
});
