/**
 * `deno task notebooks`: the one notebook runner. It finds (or installs)
 * Jupyter and Chromium, registers the project's Deno kernel, executes every
 * notebook in `notebooks/` with nbclient (`run_notebooks.py`) and saves its
 * outputs in place, but only a notebook that passed every check of
 * `outputs.ts` (no error, no missing output, no colour codes, no chart
 * without its PNG). Kernels run with `MNIST_REQUIRE_PNG=1`, so that `show()`
 * fails instead of drawing a chart without its image. Notebooks run side by
 * side, one per core: the longest first, those that read the data set after
 * notebook 1 (which downloads it), the others beside it, the recap last.
 *
 * `--check` saves nothing: it runs a scratch copy of `lib/` and `notebooks/`
 * (in `tests/.scratch/`, with its own empty `data/`) and compares the outputs
 * with the saved ones. `--live` does the same in the classic Notebook in
 * Chromium, as a learner does (`live.ts`), and counts lost outputs.
 *
 * ```sh
 * deno task notebooks                      # every notebook, saved
 * deno task notebooks notebooks/01_pixels.ipynb
 * deno task notebooks --check              # compare, write nothing
 * deno task notebooks --jobs 1             # one notebook at a time
 * deno task notebooks --live --runs 2      # in a browser, twice
 * deno task notebooks --check --deno /path/to/deno   # another kernel binary
 * ```
 *
 * The kernel is the pinned Deno (`setup.ts`), installed with npm into
 * `.jupyter/` when the running Deno is another version.
 *
 * @module
 */

import { cpSync } from "node:fs";
import { parseFlags } from "./flags.ts";
import {
  differences,
  type Notebook,
  problemsIn,
  readNotebook,
} from "./outputs.ts";
import {
  ensureKernel,
  ensureTools,
  projectJupyter,
  root,
  RUN_ENV,
  writeKernelspec,
} from "./setup.ts";

/** The options of a run, parsed from the command line. */
export interface Options {
  /** Compare with the saved outputs instead of saving. */
  readonly check: boolean;
  /** Run in the classic Notebook in Chromium (implies `check`). */
  readonly live: boolean;
  /** How many times to run the notebooks (`--live` only). */
  readonly runs: number;
  /**
   * How many notebooks run at once (not `--live`); by default one per core,
   * at most 4.
   */
  readonly jobs: number;
  /** The Deno binary the kernel runs; by default the pinned one. */
  readonly deno?: string;
  /** Notebook paths relative to the project; all of them when empty. */
  readonly notebooks: readonly string[];
}

/** Parses the command line; throws on an unknown flag. */
export function parseArgs(args: readonly string[]): Options {
  const { values, positionals } = parseFlags(args, {
    check: { type: "boolean", default: false },
    live: { type: "boolean", default: false },
    runs: { type: "string", default: "1" },
    jobs: {
      type: "string",
      default: String(
        Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1)),
      ),
    },
    deno: { type: "string" },
  });
  const runs = Number(values.runs), jobs = Number(values.jobs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error("--runs takes a whole number of runs, 1 or more");
  }
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new Error("--jobs takes a whole number of notebooks, 1 or more");
  }
  return {
    check: values.check || values.live,
    live: values.live,
    runs,
    jobs,
    deno: values.deno,
    notebooks: positionals,
  };
}

/** The notebooks of `notebooks/`, in order, relative to the project. */
export function allNotebooks(): string[] {
  return [...Deno.readDirSync(new URL("notebooks/", root))]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ipynb"))
    .sort()
    .map((name) => `notebooks/${name}`);
}

/**
 * A scratch copy of `lib/` and `notebooks/` in `tests/.scratch/`, whose
 * notebooks import the copied library and so write to the copy's `data/`.
 * Deno finds the project's `deno.json` and `node_modules` by walking up.
 */
export function scratchCopy(prefix: string): URL {
  const scratch = new URL("tests/.scratch/", root);
  Deno.mkdirSync(scratch, { recursive: true });
  sweepScratch(scratch);
  const dir = Deno.makeTempDirSync({ dir: scratch.pathname, prefix });
  const copy = new URL(`file://${dir}/`);
  // Held until this process ends: a copy whose lock is free was left by a
  // run that was killed, and the next run removes it.
  const owner = Deno.openSync(new URL("owner.lock", copy), {
    write: true,
    create: true,
  });
  owner.lockSync(true);
  owners.push(owner);
  for (const folder of ["lib", "notebooks"]) {
    cpSync(new URL(folder, root), new URL(folder, copy), { recursive: true });
  }
  return copy;
}

const owners: Deno.FsFile[] = [];

/**
 * Removes the scratch copies (`check-*`, `run-*`) of runs that were killed:
 * those whose `owner.lock` no live process holds, or, without one, older than
 * a minute (a copy being made).
 */
export function sweepScratch(scratch: URL): void {
  for (const entry of Deno.readDirSync(scratch)) {
    if (!entry.isDirectory || !/^(check|run)-/.test(entry.name)) continue;
    const dir = new URL(`${entry.name}/`, scratch);
    let stale: boolean;
    try {
      using lock = Deno.openSync(new URL("owner.lock", dir), {
        read: true,
        write: true,
      });
      stale = lock.tryLockSync(true);
    } catch {
      const mtime = Deno.statSync(dir).mtime?.getTime() ?? Date.now();
      stale = Date.now() - mtime > 60_000;
    }
    if (stale) Deno.removeSync(dir, { recursive: true });
  }
}

/** Executes a notebook (path relative to `base`) with nbclient into `out`. */
async function execute(
  python: string,
  base: URL,
  notebook: string,
  out: URL,
  jupyterPath: string,
): Promise<void> {
  await new Deno.Command(python, {
    args: [
      new URL("tools/run_notebooks.py", root).pathname,
      "--out-dir",
      out.pathname,
      new URL(notebook, base).pathname,
    ],
    cwd: base,
    env: { ...RUN_ENV, JUPYTER_PATH: jupyterPath },
  }).spawn().status;
}

/**
 * Seconds each notebook took in a series run on our 2-core machine
 * (`deno task notebooks --check`, which starts from an empty `data/`; load
 * average 4 to 6 from other jobs, so about twice a quiet machine's), for
 * {@linkcode order}: only their ranking matters, the longest starting first,
 * so that no lane is left with a long notebook while the other one idles.
 */
export const MEASURED_SECONDS: Readonly<Record<string, number>> = {
  "01_pixels.ipynb": 5.5,
  "02_pixel_similarity.ipynb": 8.1,
  "03_distances_to_weights.ipynb": 7.9,
  "04_sgd.ipynb": 6.1,
  "05_mnist_loss.ipynb": 4.4,
  "06_training_loop.ipynb": 15.4,
  "07_abs_or_products.ipynb": 49.1,
  "08_nonlinearity.ipynb": 34.0,
  "09_ten_digits.ipynb": 13.8,
  "10_recap.ipynb": 2.5,
};

/**
 * The order in which {@linkcode executeSeries} starts notebooks: the first
 * (notebook 1 downloads the data set that the others read) and the last (the
 * recap shows every other notebook's saved results) stay in place; the
 * middle ones go longest first by `seconds` (a notebook without a figure
 * first of all, in its place: it may be long).
 */
export function order(
  notebooks: readonly string[],
  seconds: Readonly<Record<string, number>> = MEASURED_SECONDS,
): string[] {
  if (notebooks.length <= 2) return [...notebooks];
  const time = (path: string) => seconds[path.split("/").pop()!] ?? Infinity;
  const middle = notebooks.slice(1, -1)
    .map((path, i) => ({ path, i }))
    .sort((a, b) => time(b.path) - time(a.path) || a.i - b.i)
    .map(({ path }) => path);
  return [notebooks[0], ...middle, notebooks[notebooks.length - 1]];
}

/**
 * What each notebook waits for before it starts: the last one (the recap)
 * for every other; a middle one for the first when `needsData` says it reads
 * the data set the first one downloads; the others for nothing, so that they
 * run beside the first.
 */
export function dependencies(
  notebooks: readonly string[],
  needsData: (path: string) => boolean,
): Map<string, readonly string[]> {
  const waits = new Map<string, readonly string[]>();
  notebooks.forEach((path, i) => {
    if (i === 0 || notebooks.length === 1) waits.set(path, []);
    else if (i === notebooks.length - 1) {
      waits.set(path, notebooks.slice(0, -1));
    } else waits.set(path, needsData(path) ? [notebooks[0]] : []);
  });
  return waits;
}

/**
 * Whether a notebook's code calls `untarData` or `loadMnistSample` (outside
 * a `//` comment): then it reads the data set that notebook 1 downloads.
 */
export function readsDataSet(notebook: Notebook): boolean {
  return notebook.cells.some((cell) =>
    cell.cell_type === "code" &&
    /\b(untarData|loadMnistSample)\s*\(/.test(
      (typeof cell.source === "string" ? cell.source : cell.source.join(""))
        .replace(/(^|\s)\/\/.*$/gm, ""),
    )
  );
}

/**
 * Runs `run` on each notebook, up to `jobs` at once, starting them in
 * `queue`'s order as far as `waits` allows: a free lane takes the first
 * notebook whose dependencies have all finished, or waits for one to finish.
 */
export async function schedule(
  queue: readonly string[],
  waits: ReadonlyMap<string, readonly string[]>,
  jobs: number,
  run: (path: string) => Promise<void>,
): Promise<void> {
  const pending = [...queue];
  const done = new Set<string>();
  let changed = Promise.withResolvers<void>();
  const lane = async () => {
    while (pending.length > 0) {
      const next = pending.findIndex((path) =>
        (waits.get(path) ?? []).every((before) => done.has(before))
      );
      if (next < 0) {
        await changed.promise;
        continue;
      }
      const [path] = pending.splice(next, 1);
      await run(path);
      done.add(path);
      changed.resolve();
      changed = Promise.withResolvers<void>();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, lane),
  );
}

/**
 * Executes notebooks up to `jobs` kernels at once (see {@linkcode order},
 * {@linkcode dependencies}): each kernel computes on one core, so two
 * notebooks run side by side on a machine with two.
 */
async function executeSeries(
  python: string,
  base: URL,
  notebooks: readonly string[],
  out: URL,
  jupyterPath: string,
  jobs: number,
): Promise<void> {
  const waits = dependencies(
    notebooks,
    (path) => readsDataSet(readNotebook(new URL(path, base))),
  );
  await schedule(
    order(notebooks),
    waits,
    jobs,
    (path) => execute(python, base, path, out, jupyterPath),
  );
}

/** Runs the notebooks as `options` say; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const options = parseArgs(args);
  const tools = await ensureTools();
  if (tools === undefined) return 1; // nothing touched
  const deno = options.deno ?? await ensureKernel();
  if (deno === undefined) return 1; // nothing touched
  const notebooks = options.notebooks.length > 0
    ? options.notebooks
    : allNotebooks();
  const began = performance.now();
  const copy = scratchCopy(options.check ? "check-" : "run-");
  const out = new URL("out/", copy);
  Deno.mkdirSync(out);
  let failed = 0;
  try {
    if (options.live) {
      const { runLive } = await import("./live.ts");
      failed = await runLive(tools, copy, notebooks, { ...options, deno });
    } else {
      // Saving runs the notebooks in place (on the project's data/);
      // checking runs the scratch copy, on its own data/.
      const base = options.check ? copy : root;
      const jupyter = options.check
        ? writeKernelspec(new URL("jupyter/", copy), deno)
        : writeKernelspec(projectJupyter, deno);
      await executeSeries(
        tools.python,
        base,
        notebooks,
        out,
        jupyter,
        options.jobs,
      );
      for (const path of notebooks) {
        const name = path.split("/").pop()!;
        let fresh;
        try {
          fresh = readNotebook(new URL(name, out));
        } catch {
          failed++; // run_notebooks.py said why
          continue;
        }
        const found = problemsIn(fresh);
        if (options.check && found.length === 0) {
          const saved = readNotebook(new URL(path, root));
          found.push(...differences(saved, fresh).map((d) => d.message));
        }
        if (found.length > 0) {
          failed++;
          console.log(`FAILED ${path}:\n  ${found.join("\n  ")}`);
        } else if (options.check) {
          console.log(`ok ${path}: matches its saved outputs`);
        } else {
          Deno.copyFileSync(new URL(name, out), new URL(path, root));
          console.log(`ok ${path}: saved`);
        }
      }
      if (failed > 0 && !options.check) {
        console.log("A notebook that failed was left as it was saved before.");
      }
    }
  } finally {
    Deno.removeSync(copy, { recursive: true });
    for (const owner of owners.splice(0)) owner.close();
  }
  const runs = notebooks.length * (options.live ? options.runs : 1);
  console.log(
    `notebooks: ${runs - failed} passed, ${failed} failed ` +
      `(${((performance.now() - began) / 1000).toFixed(1)} s)`,
  );
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
