/**
 * The report of `deno task bench`: for each stage the medians of both sides,
 * the ratios ours / PyTorch (median of the runs' ratios, with their range) in
 * wall-clock and CPU seconds, the accuracies (with a warning where they
 * differ beyond seed noise), peak memory, both sides' compute threads, the
 * load average; then the results as one JSON object, the last line.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { median, round } from "./measure.ts";
import type { BaselineAccuracy } from "./ours.ts";
import type { ReferenceInfo, ReferenceRun } from "./pytorch.ts";
import { type Run, type Stage, TOLERANCE, TRAININGS } from "./stages.ts";

/** A ratio ours / PyTorch: the median of the runs' ratios, and their range. */
export interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Run k of each side against each other (they ran back to back). */
export function ratios(
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

/** One stage's line of the report, as the JSON prints it. */
export interface StageSummary {
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

/** What the report is made of: the runs of both sides, and their setting. */
export interface ReportInput {
  /** The stages run, in order. */
  readonly selected: readonly Stage[];
  /** Every run of each stage, on each side. */
  readonly results: Readonly<
    Record<string, { ours: readonly Run[]; pytorch: readonly ReferenceRun[] }>
  >;
  /** Peak memory when each stage ended: ours in bytes, PyTorch's in MB. */
  readonly peaks: Readonly<Record<string, { ours: number; pytorch: number }>>;
  /** The baseline's accuracies on our side and PyTorch's. */
  readonly baseline: {
    readonly ours: BaselineAccuracy | null;
    readonly pytorch: BaselineAccuracy | null | undefined;
  };
  /** What bench/reference.py said of itself. */
  readonly info: ReferenceInfo;
  /** The compute threads of each side: ours, and what PyTorch was asked for. */
  readonly threads: { readonly ours: number; readonly pytorch: number };
  /** The CPU both sides were pinned to, if any. */
  readonly pinnedCpu: number | null;
  /** Our TensorFlow.js backend. */
  readonly backend: string;
  /** The load average when the bench started. */
  readonly loadBefore: string;
  /** The load average now. */
  readonly loadAfter: string;
  /** PyTorch batching item by item, when both training stages ran. */
  readonly lessonLoader: {
    readonly linear_20: Run;
    readonly simple_net_40: Run;
  } | null;
  /** Our linear stage on the `cpu` backend, when it ran. */
  readonly cpuLinear: Run | null;
  /** Peak memory of the whole run: ours in bytes, PyTorch's in MB. */
  readonly peak: { readonly ours: number; readonly pytorch: number };
}

/** Prints the report of `input` to stdout: the table, notes, then JSON. */
export function report(input: ReportInput): void {
  const {
    selected,
    results,
    peaks,
    info,
    pinnedCpu,
    backend,
    loadBefore,
    loadAfter,
    lessonLoader,
    cpuLinear,
  } = input;
  const ran = (...stages: Stage[]) => stages.every((s) => selected.includes(s));
  const pytorchBaseline = input.baseline.pytorch;
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
      runs: mine.length,
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
    const [a, b] = [input.baseline.ours?.[digit], pytorchBaseline?.[digit]];
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
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
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
    ours: input.threads.ours,
    pytorch: info.threads,
    pytorch_requested: input.threads.pytorch,
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
    `compute threads: ours ${threads.ours} (${
      threads.ours === 1
        ? "TensorFlow.js's wasm backend has no threads in Deno"
        : "our own threads"
    }), PyTorch ${info.threads} (torch.get_num_threads(); --threads ` +
      `${threads.pytorch_requested}), thread ` +
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
  console.log(`load average before and after: ${loadBefore} / ${loadAfter}`);
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
    `  peak memory: ours ${mb(input.peak.ours)} MB, PyTorch ${
      input.peak.pytorch.toFixed(0)
    } MB`,
  );
  if (ran("baseline")) {
    console.log(
      `  baseline accuracies (3s, 7s, mean): ours ` +
        `${JSON.stringify(input.baseline.ours)}, PyTorch ` +
        `${
          JSON.stringify(pytorchBaseline)
        }; the lesson: 0.9168, 0.9854, 0.9511`,
    );
  }
  for (const warning of warnings) console.log(warning);
  console.log(JSON.stringify({ ...summary, threads }));
}
