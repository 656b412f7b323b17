/**
 * The bench's pieces that need no PyTorch: what it measures (`stages.ts`),
 * its arithmetic (`measure.ts`, `report.ts`'s ratios), the report's threads
 * and JSON, and its command line. The bench itself is a script that prints
 * figures (`deno task bench`): no timing is asserted here.
 */
import "./_backend.ts";
import assert from "node:assert/strict";
import { median, round } from "../bench/measure.ts";
import { ABLATION_STAGES } from "../bench/ablation.ts";
import { ratios, report, type ReportInput } from "../bench/report.ts";
import {
  isTraining,
  type Run,
  RUNS,
  STAGES,
  TOLERANCE,
  TRAININGS,
} from "../bench/stages.ts";
import { AbsTemplates } from "../lib/templates.ts";
import * as tf from "@tensorflow/tfjs";

const run = (seconds: number, cpuSeconds = seconds): Run => ({
  seconds,
  cpuSeconds,
  accuracy: 0.98,
});

Deno.test("every stage has a run count and an accuracy tolerance; the training stages are stages", () => {
  assert.deepEqual(Object.keys(TOLERANCE).sort(), [...STAGES].sort());
  for (const stage of Object.keys(TRAININGS)) {
    assert.ok(STAGES.includes(stage as never), stage);
  }
  assert.ok(isTraining("linear_20") && !isTraining("baseline"));
  for (const [stage] of Object.values(ABLATION_STAGES)) {
    assert.ok(isTraining(stage), `the ablation's ${stage} trains`);
  }
  assert.ok(Object.values(RUNS).every((n) => n >= 1));
});

Deno.test("the abs stage trains the library's AbsTemplates, notebook 7's model", () => {
  const model = TRAININGS.abs_templates_20.model();
  assert.ok(model instanceof AbsTemplates);
  assert.equal(model.outputs, 1);
  tf.dispose([...model.params]);
});

Deno.test("medians of odd and even counts, and rounding", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(round(1.23456, 3), 1.235);
});

Deno.test("a ratio is the median of run k against run k, with its range", () => {
  const ours = [run(2), run(6), run(3)];
  const theirs = [run(1), run(2), run(3)];
  assert.deepEqual(ratios(ours, theirs, (r) => r.seconds), {
    median: 2,
    min: 1,
    max: 3,
  });
});

Deno.test("the report prints each side's compute threads, and ends with them in its JSON", () => {
  const input: ReportInput = {
    selected: ["linear_20"],
    results: {
      linear_20: {
        ours: [run(0.3, 0.3)],
        pytorch: [{ ...run(0.2, 0.4), details: null, peak_rss_mb: 300 }],
      },
    },
    peaks: { linear_20: { ours: 2 ** 20 * 400, pytorch: 300 } },
    baseline: { ours: null, pytorch: null },
    info: {
      torch: "2.13.0",
      numpy: "2.0",
      threads: 2,
      unset: {},
      blas: [{ internal_api: "openblas", num_threads: 2 }],
    },
    threads: { ours: 1, pytorch: 2 },
    pinnedCpu: null,
    backend: "wasm",
    loadBefore: "1.00 1.00 1.00",
    loadAfter: "1.10 1.00 1.00",
    lessonLoader: null,
    cpuLinear: null,
    peak: { ours: 2 ** 20 * 400, pytorch: 300 },
  };
  const lines: string[] = [];
  const log = console.log;
  console.log = (...values: unknown[]) => lines.push(values.join(" "));
  try {
    report(input);
  } finally {
    console.log = log;
  }
  const threadsLine = lines.find((l) => l.startsWith("compute threads:"));
  assert.match(threadsLine!, /ours 1 .*PyTorch 2 .*--threads 2/);
  const json = JSON.parse(lines.at(-1)!);
  assert.deepEqual(
    { ours: json.threads.ours, pytorch: json.threads.pytorch },
    { ours: 1, pytorch: 2 },
  );
  assert.equal(json.linear_20.runs, 1);
  assert.equal(json.linear_20.ratio, 1.5);
  assert.equal(json.linear_20.cpu_ratio, 0.75);
});

Deno.test("deno task bench --help lists its flags, --threads among them, and runs nothing", async () => {
  const { code, stdout } = await new Deno.Command("deno", {
    args: ["run", "-A", "bench/compare.ts", "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0);
  for (const flag of ["--stages", "--runs", "--threads", "--cpu", "--ablate"]) {
    assert.ok(text.includes(flag), flag);
  }
});

Deno.test("the bench refuses --threads 0 and an unknown flag, naming them", async () => {
  for (
    const [args, message] of [
      [["--threads", "0"], "--threads needs a whole number"],
      [["--bogus"], "unknown flag --bogus"],
    ] as const
  ) {
    const { code, stderr } = await new Deno.Command("deno", {
      args: ["run", "-A", "bench/compare.ts", ...args],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.notEqual(code, 0);
    assert.ok(new TextDecoder().decode(stderr).includes(message), message);
  }
});
