/**
 * The precondition of the tests of TensorFlow.js's WebAssembly backend and
 * of our routines inside it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "../lib/fast/backend.ts";
import type { Need } from "./_support.ts";

/** The library runs on the `wasm` backend (it needs to read `node_modules`). */
export const onWasm: Need = {
  met: tf.getBackend() === "wasm",
  why: "the WebAssembly backend (read permission on node_modules)",
  fix: "run `deno task test` (or `deno test -P`), which grants the " +
    "permissions listed in deno.json",
};
