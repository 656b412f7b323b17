/**
 * The hooks of `lib/hooks.ts`: the lesson's only way to `fast/`. Their plain
 * defaults compute what the lesson writes; `fast/` (started by
 * `tests/_backend.ts`, as by `lib/mod.ts`) installs its versions, which give
 * the same results.
 */
import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type Hooks, hooks, setHooks } from "../lib/hooks.ts";
import { mnistLoss } from "../lib/loss.ts";
import { initParams } from "../lib/model.ts";
import { calcGrad, gradOf, zeroGrad } from "../lib/optim.ts";
import { fastPieces, setFast } from "../lib/fast/speed.ts";
import { setSeed } from "../lib/random.ts";
import { assertClose } from "./_assert.ts";

const plainHooks: Hooks = {
  mnistLoss: () => undefined,
  crossEntropy: () => undefined,
  plainly: (fn) => fn(),
  freeTapeOnThrow: (fn) => fn(),
};

/** Runs `fn` with the plain hooks, as without fast/, then puts fast/'s back. */
function withPlainHooks<T>(fn: () => T): T {
  const installed = hooks();
  setHooks(plainHooks);
  try {
    return fn();
  } finally {
    setHooks(installed);
  }
}

Deno.test("fast/ installs its hooks when the backend starts", () => {
  // plainly: TensorFlow.js as shipped, but batches gathered by a routine
  // (TensorFlow.js's own wasm gather would be timed instead of the model).
  const inside = hooks().plainly(() => fastPieces());
  const on = Object.entries(inside).filter(([, on]) => on);
  assert.deepEqual(on.map(([name]) => name), ["gatherRows"]);
  assert.ok(fastPieces().mnistLossGradient);
  const p = tf.tensor2d([[5], [-5]]), t = tf.tensor2d([[1], [1]]);
  const fast = hooks().mnistLoss(p, t);
  assert.ok(fast !== undefined);
  setFast({ mnistLossGradient: false });
  assert.equal(hooks().mnistLoss(p, t), undefined);
  setFast({ mnistLossGradient: true });
  tf.dispose([p, t, fast]);
});

Deno.test("mnistLoss gives the same value and gradient with fast/'s hook and without", () => {
  setSeed(1);
  const outputs = tf.randomNormal([256, 1], 0, 3) as tf.Tensor2D;
  const targets = tf.tidy(() =>
    tf.randomUniform([256, 1]).greater(0.5).toFloat()
  ) as tf.Tensor2D;
  const lossAndGrad = () => {
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
      mnistLoss(p as tf.Tensor2D, targets)
    )(outputs);
    const out = [value.dataSync(), grad.dataSync()];
    tf.dispose([value, grad]);
    return out;
  };
  const fast = lossAndGrad();
  const plain = withPlainHooks(lossAndGrad);
  assertClose(fast[0], plain[0], 1e-6);
  assertClose(fast[1], plain[1], 1e-7);
  tf.dispose([outputs, targets]);
});

Deno.test("calcGrad finds a plain function's variables without fast/ (public TensorFlow.js only)", () => {
  const weights = initParams([3, 1]),
    bias = initParams([1]),
    unused = initParams([2]);
  const model = (x: tf.Tensor2D) => x.matMul(weights).add(bias) as tf.Tensor2D;
  const xb = tf.tensor2d([[1, 2, 3], [3, 2, 1]]), yb = tf.tensor2d([[1], [0]]);
  withPlainHooks(() => calcGrad(xb, yb, model));
  assert.deepEqual(gradOf(weights)?.shape, [3, 1]);
  assert.deepEqual(gradOf(bias)?.shape, [1]);
  assert.equal(gradOf(unused), null);
  zeroGrad([weights, bias]);
  tf.dispose([weights, bias, unused, xb, yb]);
});

Deno.test("the hook freeTapeOnThrow is what keeps a throwing loss from leaking", () => {
  const weights = initParams([3, 1]);
  const model = (x: tf.Tensor2D) => x.matMul(weights) as tf.Tensor2D;
  const xb = tf.tensor2d([[1, 2, 3]]), yb = tf.tensor2d([[1]]);
  const broken = () => {
    throw new Error("a broken loss");
  };
  const leaked = (fn: () => void) => {
    const before = tf.memory().numTensors;
    assert.throws(fn, /a broken loss/);
    return tf.memory().numTensors - before;
  };
  assert.equal(leaked(() => calcGrad(xb, yb, model, broken)), 0);
  const plainLeak = withPlainHooks(() =>
    leaked(() => calcGrad(xb, yb, model, broken))
  );
  assert.ok(plainLeak > 0, "TensorFlow.js alone keeps the tape's copies");
  tf.dispose([weights, xb, yb]);
});
