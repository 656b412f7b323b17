/**
 * `deno task ops`: how many TensorFlow.js operations (kernel calls) one
 * training step of each of the lesson's models makes, by kernel, with every
 * speed piece on and with all of them off, and what one step costs in time.
 *
 * A step is what `trainEpoch` does for one batch of 256 rows: `calcGrad`
 * (forward, loss, backward), the optimizer's step and `zeroGrad`, with the
 * lesson's `mnistLoss` for 3s and 7s and `crossEntropy` for ten digits. The counts
 * come from `tf.profile` and are the same on every run and every machine;
 * the times are medians of 50 steps after 10 untimed ones, on whatever else
 * the machine runs. Dividing a step's time by its operations gives an upper
 * bound on the engine's cost per operation (the arithmetic is in it too).
 *
 * The data are random rows of the right shapes: the operations a step makes
 * do not depend on the values.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../lib/fast/backend.ts";
import { type FastPieces, fastPieces, setFast } from "../lib/fast/speed.ts";
import { convNet } from "../lib/conv.ts";
import { type LossFunc, mnistLoss } from "../lib/loss.ts";
import { crossEntropy } from "../lib/multiclass.ts";
import { Linear, type Module, simpleNet } from "../lib/model.ts";
import { calcGrad, SGD } from "../lib/optim.ts";
import { setSeed } from "../lib/random.ts";

await useBackend("wasm");

/** A model, its loss, and how many classes its labels take. */
interface Stage {
  readonly make: () => Module;
  readonly loss: LossFunc;
  readonly classes: number;
}
const STAGES: Readonly<Record<string, Stage>> = {
  "linear (784 → 1)": {
    make: () => new Linear(784, 1),
    loss: mnistLoss,
    classes: 2,
  },
  "simpleNet (784 → 30 → 1)": { make: simpleNet, loss: mnistLoss, classes: 2 },
  "conv net (notebook 8)": { make: convNet, loss: mnistLoss, classes: 2 },
  "ten digits, linear (784 → 10), cross-entropy": {
    make: () => new Linear(784, 10),
    loss: crossEntropy,
    classes: 10,
  },
};
const ROWS = 256;

interface Count {
  readonly ops: number;
  readonly byKernel: Readonly<Record<string, number>>;
  readonly stepMs: number;
}

async function countStep({ make, loss, classes }: Stage): Promise<Count> {
  setSeed(42);
  const model = make();
  const opt = SGD(model.params, 0.1);
  const x = tf.randomUniform([ROWS, 784]) as tf.Tensor2D;
  const y = tf.randomUniform([ROWS, 1], 0, classes, "int32").cast(
    "float32",
  ) as tf.Tensor2D;
  const step = () => {
    calcGrad(x, y, model, loss);
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
  tf.dispose([x, y, ...model.params]);
  return {
    ops: profile.kernels.length,
    byKernel,
    stepMs: times[times.length >> 1],
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
    .sort((a, b) => (off.byKernel[b] ?? 0) - (off.byKernel[a] ?? 0));
  console.log(
    `\n${stage}: one step of ${ROWS} rows makes ${on.ops} operations with ` +
      `the speed pieces (${on.stepMs.toFixed(2)} ms, ` +
      `${(1000 * on.stepMs / on.ops).toFixed(1)} µs per operation at most), ` +
      `${off.ops} without (${off.stepMs.toFixed(2)} ms)`,
  );
  console.log("  kernel                      pieces on  pieces off");
  for (const k of kernels) {
    console.log(
      `  ${k.padEnd(26)} ${String(on.byKernel[k] ?? 0).padStart(9)}  ${
        String(off.byKernel[k] ?? 0).padStart(10)
      }`,
    );
  }
}
console.log(JSON.stringify(report));
