/**
 * The notebooks run in JupyterLab 4, the client the project is for, as a
 * learner runs them: a JupyterLab server on loopback from a project-local
 * virtual environment (`.jupyter/lab-venv/`, packages pinned in
 * `tools/requirements-lab.txt`), with the project's Deno kernel, and "Run
 * All" in a page of the system's Chromium, driven by `puppeteer-core`.
 *
 * For each notebook it then checks what a learner sees:
 * - every code cell's outputs, as the page received them, against the saved
 *   ones (the masks of `outputs.ts`); an output never received is lost;
 * - every plotly output drawn as a live chart by plotly's JupyterLab
 *   renderer (the drawn charts are counted against the plotly outputs);
 * - no error in the page's console;
 * - every slider of a live chart, moved with the mouse to its ends, changes
 *   the chart as its step says, and leaves what the other sliders set.
 *
 * `deno task lab [--runs N] [--notebook7] [--screenshots] [notebooks...]`
 * runs it (`--notebook7`: in Notebook 7 instead, the same pages without
 * JupyterLab's panels);
 * `--screenshots` saves a picture of each notebook's page, after its run, in
 * `.jupyter/lab-screenshots/`.
 *
 * @module
 */

import type { Page } from "puppeteer-core";
import { type ClientDriver, runInClient } from "./client.ts";
import { parseFlags } from "./flags.ts";
import { allNotebooks, scratchCopy } from "./notebooks.ts";
import { codeCells, type Notebook } from "./outputs.ts";
import { ensureKernel, ensureTools, root } from "./setup.ts";

/** Where the virtual environment with JupyterLab lives (git-ignored). */
export const labVenv: URL = new URL(".jupyter/lab-venv/", root);
/** The pinned packages of that environment. */
export const requirements: URL = new URL("tools/requirements-lab.txt", root);

const PLOTLY = "application/vnd.plotly.v1+json";

/**
 * Makes sure the project's virtual environment holds JupyterLab and Notebook
 * 7: creates and fills it from {@linkcode requirements} when it is missing or
 * its packages differ. False (with a line saying why) when that fails.
 */
export async function ensureLab(python: string): Promise<boolean> {
  const stamp = new URL("requirements.txt", labVenv);
  const wanted = Deno.readTextFileSync(requirements);
  let have = "";
  try {
    have = Deno.readTextFileSync(stamp);
  } catch {
    // not installed yet
  }
  if (have === wanted) return true;
  const log = new URL(".jupyter/lab-venv.log", root).pathname;
  console.log(
    `Installing JupyterLab into .jupyter/lab-venv/ (${
      requirements.pathname.split("/").pop()
    }; log: ${log})`,
  );
  const out = await Deno.open(log, {
    write: true,
    create: true,
    truncate: true,
  });
  const step = async (cmd: string, ...args: string[]) => {
    const { success, stdout, stderr } = await new Deno.Command(cmd, {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    await out.write(stdout);
    await out.write(stderr);
    return success;
  };
  try {
    let made = await step(python, "-m", "venv", "--clear", labVenv.pathname);
    if (!made && Deno.uid() === 0) {
      // Debian keeps venv's ensurepip in a package of its own.
      console.log("Installing from Debian: python3-venv");
      made = await step("apt-get", "update", "-qq") &&
        await step("apt-get", "install", "-y", "-qq", "python3-venv") &&
        await step(python, "-m", "venv", "--clear", labVenv.pathname);
    }
    if (!made) {
      console.log(
        `${python} -m venv failed (see ${log}); on Debian or Ubuntu: ` +
          "sudo apt-get install python3-venv",
      );
      return false;
    }
    const pip = new URL("bin/pip", labVenv).pathname;
    if (
      !await step(
        pip,
        "install",
        "--disable-pip-version-check",
        "-r",
        requirements.pathname,
      )
    ) {
      console.log(
        `pip could not install ${requirements.pathname} (see ${log})`,
      );
      return false;
    }
  } finally {
    out.close();
  }
  Deno.writeTextFileSync(stamp, wanted);
  return true;
}

/** What JupyterLab's page offers with `expose_app_in_browser` (only what is used). */
interface LabCellModel {
  readonly type: string;
  readonly sharedModel: { getSource(): string };
  toJSON(): { outputs?: unknown[] };
}
interface LabPanel {
  readonly context: { readonly path: string };
  readonly sessionContext: {
    readonly isReady: boolean;
    readonly session?: { readonly kernel?: { readonly status: string } };
  };
  readonly content: {
    readonly model?: {
      readonly cells: { readonly length: number; get(i: number): LabCellModel };
    };
  };
}
interface LabWindow {
  jupyterapp?: {
    readonly started: Promise<void>;
    readonly restored: Promise<void>;
    readonly shell: { readonly currentWidget: LabPanel | null };
    readonly commands: {
      execute(id: string, args?: unknown): Promise<unknown>;
    };
  };
}
// The functions given to the page below run there, where only its globals
// exist: each reaches the application through `globalThis` itself.

/** What a drawn chart holds (only what the slider check reads). */
interface DrawnChart {
  readonly data: readonly Record<string, unknown>[];
  readonly _fullLayout: {
    readonly sliders?: readonly {
      readonly active: number;
      readonly steps: readonly {
        readonly method: string;
        readonly label: string;
        readonly args: readonly unknown[];
      }[];
    }[];
  };
}

/**
 * Moves every slider of every drawn chart with the mouse, to its last step
 * and back to its first, and checks after each move that the step each
 * slider shows is what the chart draws: the traces hold every value that
 * the step of every slider set (`restyle` and `update` steps). So a slider
 * that undoes another's change fails, as does a click that moves nothing.
 * Returns the problems found.
 */
async function checkSliders(tab: Page): Promise<string[]> {
  const problems: string[] = [];
  const charts = await tab.$$(
    '[data-lab-run="current"] .jp-RenderedPlotly.js-plotly-plot',
  );
  for (const [c, chart] of charts.entries()) {
    const rails = await chart.$$(".slider-group .slider-rail-touch-rect");
    for (const [k, rail] of rails.entries()) {
      for (
        const [end, fraction] of [["last", 0.99], ["first", 0.01]] as const
      ) {
        await rail.evaluate((e) => e.scrollIntoView({ block: "center" }));
        const box = await rail.boundingBox();
        if (!box) {
          problems.push(`chart ${c + 1}: slider ${k + 1} is not on screen`);
          continue;
        }
        await tab.mouse.click(
          box.x + box.width * fraction,
          box.y + box.height / 2,
        );
        await new Promise((r) => setTimeout(r, 300));
        const found = await chart.evaluate(
          (element, slider, wanted) => {
            const gd = element as unknown as DrawnChart;
            const sliders = gd._fullLayout.sliders ?? [];
            const out: string[] = [];
            const { active, steps } = sliders[slider];
            if (active !== (wanted === "last" ? steps.length - 1 : 0)) {
              out.push(`moved to its ${wanted} step, it shows step ${active}`);
            }
            const read = (trace: Record<string, unknown>, path: string) =>
              path.split(".").reduce<unknown>(
                (value, key) => (value as Record<string, unknown>)?.[key],
                trace,
              );
            sliders.forEach((s, i) => {
              const step = s.steps[s.active];
              if (step.method !== "restyle" && step.method !== "update") return;
              const values = step.args[0] as Record<string, unknown>;
              const traces =
                (step.method === "update" ? step.args[2] : step.args[1]) as
                  | number[]
                  | undefined;
              for (const [path, value] of Object.entries(values)) {
                (traces ?? gd.data.map((_, t) => t)).forEach((t, j) => {
                  const want = Array.isArray(value) && traces
                    ? value[j]
                    : value;
                  if (
                    JSON.stringify(read(gd.data[t], path)) !==
                      JSON.stringify(want)
                  ) {
                    out.push(
                      `slider ${
                        i + 1
                      } shows "${step.label}", but trace ${t}'s ` +
                        `${path} is not what that step sets`,
                    );
                  }
                });
              }
            });
            return out;
          },
          k,
          end,
        );
        problems.push(
          ...found.map((f) =>
            `chart ${c + 1}, slider ${k + 1} to its ${end} step: ${f}`
          ),
        );
      }
    }
  }
  return problems;
}

/**
 * JupyterLab's settings for a run: every cell rendered (no windowing, so
 * that every chart is drawn and can be counted), no news or update checks.
 */
function writeSettings(dir: URL): string {
  const settings: Record<string, unknown> = {
    "@jupyterlab/notebook-extension/tracker": { windowingMode: "none" },
    "@jupyterlab/apputils-extension/notification": {
      fetchNews: "false",
      checkForUpdates: false,
    },
  };
  for (const [id, value] of Object.entries(settings)) {
    const [pkg, plugin] = [
      id.slice(0, id.lastIndexOf("/")),
      id.split("/").pop(),
    ];
    const file = new URL(`${pkg}/${plugin}.jupyterlab-settings`, dir);
    Deno.mkdirSync(new URL(".", file), { recursive: true });
    Deno.writeTextFileSync(file, JSON.stringify(value));
  }
  return dir.pathname;
}

async function runAll(tab: Page, url: string): Promise<Notebook> {
  await tab.goto(url, { waitUntil: "domcontentloaded" });
  await tab.waitForFunction(
    () => {
      const panel = (globalThis as unknown as LabWindow).jupyterapp?.shell
        .currentWidget;
      return panel?.sessionContext?.isReady === true &&
        panel.sessionContext.session?.kernel?.status === "idle" &&
        (panel.content.model?.cells.length ?? 0) > 0;
    },
    { timeout: 180_000, polling: 250 },
  );
  // Resolves once every cell has run (JupyterLab's NotebookActions.runAll).
  await tab.evaluate(() =>
    (globalThis as unknown as LabWindow).jupyterapp!.commands.execute(
      "notebook:run-all-cells",
    )
  );
  // A learner looks a moment later: what has not come in two seconds after
  // the last cell finished will not come.
  await new Promise((r) => setTimeout(r, 2000));
  const cells = await tab.evaluate(() => {
    const model = (globalThis as unknown as LabWindow).jupyterapp!.shell
      .currentWidget!.content.model!;
    return Array.from({ length: model.cells.length }, (_, i) => {
      const cell = model.cells.get(i);
      return {
        cell_type: cell.type,
        source: cell.sharedModel.getSource(),
        outputs: cell.type === "code" ? cell.toJSON().outputs ?? [] : [],
      };
    });
  });
  return { cells } as Notebook;
}

/**
 * How many plotly outputs the page draws as live charts. plotly's renderer
 * (jupyterlab-plotly 7) shows a chart's saved PNG and draws the live chart
 * when the mouse first passes over it: each is scrolled into view and
 * hovered, as a learner does, and given up to 20 s.
 */
async function drawnCharts(tab: Page): Promise<number> {
  await tab.evaluate(() => {
    const panel = (globalThis as unknown as LabWindow).jupyterapp!.shell
      .currentWidget as unknown as {
        node: { setAttribute(name: string, value: string): void };
      };
    panel.node.setAttribute("data-lab-run", "current");
  });
  const outputs = await tab.$$('[data-lab-run="current"] .jp-RenderedPlotly');
  let drawn = 0;
  for (const output of outputs) {
    await output.evaluate((e) => e.scrollIntoView({ block: "center" }));
    await (await output.$(".plot-img"))?.hover().catch(() => {});
    const live = await output.waitForSelector(".plot-container .main-svg", {
      timeout: 20_000,
    }).catch(() => null);
    if (live) drawn++;
  }
  return drawn;
}

function plotlyOutputs(nb: Notebook): number {
  return codeCells(nb).reduce(
    (sum, [, cell]) =>
      sum + (cell.outputs ?? []).filter((o) => o.data?.[PLOTLY]).length,
    0,
  );
}

async function closeNotebook(tab: Page): Promise<void> {
  await tab.evaluate(async () => {
    const app = (globalThis as unknown as LabWindow).jupyterapp!;
    await app.commands.execute("kernelmenu:shutdown");
    await app.commands.execute("application:close-all");
  }).catch(() => {});
}

/** The options of {@linkcode runLab}. */
export interface LabOptions {
  /** How many times to run the notebooks. */
  readonly runs: number;
  /** The Deno binary the kernel runs. */
  readonly deno: string;
  /** A folder to save a screenshot of each notebook into, if any. */
  readonly screenshots?: string;
  /** JupyterLab 4 (`lab`), or Notebook 7 (`notebook`), built on it. */
  readonly client: Client;
}

/** The two clients of the environment, both served from it. */
export type Client = "lab" | "notebook";

const CLIENTS = {
  lab: {
    server: "bin/jupyter-lab",
    expose: "--LabApp.expose_app_in_browser=True",
    page: (path: string) => `lab/tree/${path}?reset&`,
    knownErrors: [] as RegExp[],
  },
  notebook: {
    server: "bin/jupyter-notebook",
    expose: "--JupyterNotebookApp.expose_app_in_browser=True",
    page: (path: string) => `notebooks/${path}?`,
    // Notebook 7.6.5's own: its keyboard-shortcut settings handler logs this
    // on every page, a one-cell notebook `1 + 1` included (2026-12-04).
    knownErrors: [/Cannot read properties of undefined \(reading 'schema'\)/],
  },
} as const;

/**
 * Runs `notebooks` (paths relative to the project) in JupyterLab, from the
 * scratch copy `copy`; prints each problem and a summary line; returns how
 * many notebook runs had a problem.
 */
export async function runLab(
  chromium: string,
  copy: URL,
  notebooks: readonly string[],
  options: LabOptions,
): Promise<number> {
  const client = CLIENTS[options.client];
  let charts = 0, drawn = 0;
  const driver: ClientDriver = {
    server: new URL(client.server, labVenv),
    serverArgs: (port, token, folder) => [
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${folder.pathname}`,
      client.expose,
      "--allow-root",
    ],
    env: {
      JUPYTER_DATA_DIR: new URL("jupyter-data/", copy).pathname,
      JUPYTERLAB_SETTINGS_DIR: writeSettings(new URL("lab-settings/", copy)),
      JUPYTERLAB_WORKSPACES_DIR: new URL("lab-workspaces/", copy).pathname,
    },
    page: (base, path, token) => `${base}/${client.page(path)}token=${token}`,
    runAll,
    afterRun: async (tab, path, fresh) => {
      const problems: string[] = [];
      const expected = plotlyOutputs(fresh);
      const shown = await drawnCharts(tab);
      charts += expected;
      drawn += shown;
      if (shown !== expected) {
        problems.push(
          `${expected} plotly outputs, but ${shown} drawn as live charts`,
        );
      }
      problems.push(...await checkSliders(tab));
      if (options.screenshots) {
        const name = path.split("/").pop()!.replace(".ipynb", ".png");
        await tab.screenshot({ path: `${options.screenshots}/${name}` });
      }
      await closeNotebook(tab);
      return { problems, note: `${shown} live charts` };
    },
    knownConsoleErrors: client.knownErrors,
    viewport: { width: 1280, height: 1000 },
  };
  const tally = await runInClient(driver, chromium, copy, notebooks, options);
  console.log(
    `${options.client}: ${options.runs} run(s), ${tally.cellsRun} code cells, ` +
      `${tally.lost} lost outputs, ${drawn} of ${charts} charts drawn live, ` +
      `${tally.failed} notebook run(s) with a problem, ${tally.knownErrors} ` +
      `known console error(s) of the client itself ` +
      `(${tally.seconds.toFixed(0)} s)`,
  );
  return tally.failed;
}

/** What `deno task lab`'s command line asks for. */
export interface LabArgs {
  /** How many times to run the notebooks (`--runs N`, 1 by default). */
  readonly runs: number;
  /** The client: JupyterLab, or Notebook 7 with `--notebook7`. */
  readonly client: Client;
  /** Whether to save a picture of each notebook's page (`--screenshots`). */
  readonly screenshots: boolean;
  /** Notebook paths relative to the project; all of them when empty. */
  readonly notebooks: readonly string[];
}

/**
 * Parses `deno task lab`'s command line; throws on an unknown flag or a run
 * count that is not a whole number of at least 1.
 */
export function parseLabArgs(args: readonly string[]): LabArgs {
  const { values, positionals } = parseFlags(args, {
    runs: { type: "string", default: "1" },
    notebook7: { type: "boolean", default: false },
    screenshots: { type: "boolean", default: false },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error("--runs takes a whole number of runs, 1 or more");
  }
  return {
    runs,
    client: values.notebook7 ? "notebook" : "lab",
    screenshots: values.screenshots,
    notebooks: positionals,
  };
}

/** `deno task lab`: returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const { runs, client, ...chosen } = parseLabArgs(args);
  const screenshots = chosen.screenshots
    ? new URL(".jupyter/lab-screenshots/", root).pathname
    : undefined;
  if (screenshots !== undefined) {
    Deno.mkdirSync(screenshots, { recursive: true });
  }
  const tools = await ensureTools();
  if (tools === undefined) return 1;
  const deno = await ensureKernel();
  if (deno === undefined) return 1;
  if (!await ensureLab(tools.python)) return 1;
  const notebooks = chosen.notebooks.length > 0
    ? chosen.notebooks
    : allNotebooks();
  const copy = scratchCopy("lab-");
  try {
    const failed = await runLab(tools.chromium, copy, notebooks, {
      runs,
      deno,
      screenshots,
      client,
    });
    return failed > 0 ? 1 : 0;
  } finally {
    Deno.removeSync(copy, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
