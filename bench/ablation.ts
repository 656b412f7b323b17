/**
 * `deno task bench --ablate`: the training stages timed with every speed
 * piece of `lib/fast/speed.ts` on, every piece off, and each piece off in
 * turn, in the same run (our side only, `ours.ts`). Within each stage the
 * settings take turns, each run starting with another one, so that all meet
 * the same load. Prints two tables of medians, with the fastest and slowest
 * run: seconds on the CPU (this process's main thread) and wall-clock
 * seconds; then the results as one JSON object.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { untarData, URLs } from "../lib/load/download.ts";
import { type FastPieces, fastPieces, setFast } from "../lib/fast/speed.ts";
import { log, mainThreadCpuSeconds, median } from "./measure.ts";
import { Ours } from "./ours.ts";
import type { Stage } from "./stages.ts";

/**
 * The settings the ablation compares, by name: the library's defaults (each
 * ratio is against them), every piece off, then each piece switched from its
 * default (`routines off`, or `relaxedSimd on` for a piece off by default).
 */
function ablationSettings(): [string, FastPieces][] {
  const defaults = fastPieces();
  const names = Object.keys(defaults) as (keyof FastPieces)[];
  const off = Object.fromEntries(
    names.map((name) => [name, false]),
  ) as Record<keyof FastPieces, boolean>;
  return [
    ["defaults", defaults],
    ["everything off", off],
    ...names.map((piece): [string, FastPieces] => [
      `${piece} ${defaults[piece] ? "off" : "on"}`,
      { ...defaults, [piece]: !defaults[piece] },
    ]),
  ];
}

/**
 * The ablation's stages: the training stages, the conv net for 1 epoch; and
 * the pieces each keeps on in every setting. Without `convFilterGradient`,
 * the conv net's filters' gradient runs on the `cpu` backend, minutes per
 * epoch: its "everything off" keeps that piece on, and it has no row of its
 * own there.
 */
export const ABLATION_STAGES: Record<
  string,
  [Stage, number, (keyof FastPieces)[]]
> = {
  linear_20: ["linear_20", 20, []],
  simple_net_40: ["simple_net_40", 40, []],
  abs_templates_20: ["abs_templates_20", 20, []],
  conv_net_1: ["conv_net_10", 1, ["convFilterGradient"]],
  ten_linear_10: ["ten_linear_10", 10, []],
  ten_simple_net_10: ["ten_simple_net_10", 10, []],
};

/**
 * Times the ablation's stages `names` (keys of {@linkcode ABLATION_STAGES})
 * with every setting, `runs` times each, and prints its tables and JSON.
 */
export async function ablate(
  runs: number,
  names: readonly string[],
): Promise<void> {
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
        const cpuBefore = mainThreadCpuSeconds();
        const { seconds, accuracy } = await ours.run(training, run, epochs);
        const cpu = mainThreadCpuSeconds() - cpuBefore;
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
        "÷ defaults",
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
