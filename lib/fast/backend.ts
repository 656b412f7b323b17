/**
 * Starts TensorFlow.js on its fastest backend.
 *
 * Importing this module waits until a backend is ready. It is the one door
 * to `fast/`: `lib/mod.ts` imports it (so the notebooks get it), and so do
 * `tests/_backend.ts` and the benchmarks; no file of the lesson, `load/` or
 * `plot/` does (`tests/layers_test.ts` checks it). The WebAssembly
 * backend (`wasm`, SIMD, single-threaded in Deno) is the default: it runs the
 * lesson's matrix products about 25 times faster than the pure-JavaScript
 * `cpu` backend. The `cpu` backend is the fallback when the WebAssembly file
 * cannot be read (plain `deno test` grants no read permission) or when the
 * environment variable `TFJS_BACKEND` is `cpu`. It also installs the speed
 * pieces of `speed.ts` and `gather.ts`, which replace some of TensorFlow.js's
 * kernels and gradients for the whole process, and the hooks of
 * `lib/hooks.ts` (`mnist_loss.ts`, `tape.ts`, and `speed.ts`'s `plainly`);
 * see `lib/fast/README.md`.
 *
 * Importing it throws an `ArgumentError` when `TFJS_BACKEND` is set to
 * anything but `wasm` or `cpu`.
 *
 * @example Tensors on the fastest backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "./backend.ts";
 *
 * const x = tf.tensor([1, 2, 3]);
 * console.log(tf.getBackend(), x.square().sum().dataSync()[0]); // "wasm" 14
 * x.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ArgumentError } from "../errors.ts";
import { envVar } from "../env.ts";
import "./speed.ts";
import "./gather.ts";
import "./mnist_loss.ts";
import "./cross_entropy.ts";
import "./tape.ts";

export type { Tensor, Tensor2D, Variable } from "../tensors.ts";

/** The TensorFlow.js backends the library knows how to start. */
export type BackendName = "wasm" | "cpu";

const runsAsNode = tf.env().getBool("IS_NODE");

function canReadWasm(): boolean {
  const entry = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  return Deno.permissions.querySync({ name: "read", path: entry }).state ===
    "granted";
}

/**
 * Switches TensorFlow.js to a backend and returns the one in use: `wasm` falls
 * back to `cpu` when its WebAssembly file cannot be read.
 *
 * @example Compare the two backends
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { useBackend } from "./backend.ts";
 *
 * await useBackend("cpu");
 * console.log(tf.getBackend()); // "cpu"
 * await useBackend("wasm");
 * ```
 */
export async function useBackend(name: BackendName): Promise<BackendName> {
  if (name === "wasm" && canReadWasm()) {
    // The wasm backend must know it runs in Node.js mode (see below).
    tf.env().set("IS_NODE", runsAsNode);
    if (await tf.setBackend("wasm")) return "wasm";
  }
  // The cpu backend greets Node.js users with advice to install tfjs-node,
  // which does not apply to Deno: tell it this is not Node.js.
  tf.env().set("IS_NODE", false);
  await tf.setBackend("cpu");
  return "cpu";
}

const wanted = envVar("TFJS_BACKEND");
if (wanted !== undefined && wanted !== "wasm" && wanted !== "cpu") {
  throw new ArgumentError(
    `TFJS_BACKEND is "${wanted}": set it to "wasm" or "cpu", or unset it.`,
  );
}
await useBackend(wanted ?? "wasm");
