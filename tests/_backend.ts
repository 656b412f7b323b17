/**
 * The tests' one door to `lib/fast/`: importing this module starts
 * TensorFlow.js on the backend the library uses (`wasm`, or `cpu` where the
 * WebAssembly file cannot be read or `TFJS_BACKEND=cpu`) and installs the
 * speed pieces and hooks, as `lib/mod.ts` does for the notebooks. Every test
 * that computes with tensors imports it first (`tests/layers_test.ts` checks
 * that), so that it tests what the notebooks run.
 *
 * @module
 */
import "../lib/fast/backend.ts";
