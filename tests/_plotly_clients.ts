/**
 * The plotly.js versions that draw our charts live in the clients learners
 * use, each in a page of the headless Chromium: {@linkcode checkFigures}
 * validates and draws figures with each, as that client would, and reports
 * what each version rejects or ignores.
 *
 * Our PNG images are drawn with plotly.js 4.x (`lib/plot/render.ts`), the
 * version JupyterLab's renderer in plotly 7 bundles too; a live chart in
 * another client is drawn by the plotly.js of that client's renderer.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "puppeteer-core";
import { scratchRoot } from "./_support.ts";

/** A plotly.js that a client draws our charts with. */
export interface Renderer {
  /** Its version, as `Plotly.version` gives it. */
  readonly version: string;
  /** Its bundle's name in deno.json's imports. */
  readonly module: string;
  /** The client that draws with it, and how we know. */
  readonly client: string;
}

/** The versions checked, besides the 4.x that draws our PNG images. */
export const RENDERERS: readonly Renderer[] = [
  {
    version: "2.35.2",
    module: "plotly.js-v2",
    client: "JupyterLab's renderer of plotly 5 (npm jupyterlab-plotly " +
      "5.24.1 depends on plotly.js ^2.35.2)",
  },
  {
    version: "3.0.1",
    module: "plotly.js-v3",
    client: "VS Code's Jupyter renderers (microsoft/vscode-notebook-" +
      "renderers locks plotly.js-dist 3.0.1; read from its source, not run)",
  },
];

/** A figure and where it was found. */
export interface Found {
  /** Where, e.g. `notebooks/01_pixels.ipynb, cell c012`. */
  readonly where: string;
  /** The figure, as saved: `{ data, layout }`. */
  readonly figure: { readonly data: unknown; readonly layout?: unknown };
}

/** What one plotly.js said of one figure. */
export interface Checked {
  readonly where: string;
  /** `Plotly.validate`'s messages, for the figure and each slider step. */
  readonly problems: readonly string[];
  /** How many traces the drawn plot holds. */
  readonly traces: number;
  /** The version that drew it, from `Plotly.version`. */
  readonly version: string;
}

/** The plotly MIME type of a notebook output. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** Every plotly figure saved in a notebook's outputs. */
export function notebookFigures(path: string): Found[] {
  const notebook = JSON.parse(Deno.readTextFileSync(path));
  const found: Found[] = [];
  notebook.cells.forEach((cell: Record<string, unknown>, index: number) => {
    const outputs = (cell.outputs ?? []) as {
      data?: Record<string, unknown>;
    }[];
    for (const output of outputs) {
      const figure = output.data?.[PLOTLY_MIME];
      if (figure === undefined) continue;
      found.push({
        where: `${path}, cell ${cell.id ?? index}`,
        figure: figure as Found["figure"],
      });
    }
  });
  return found;
}

async function launch(profile: string): Promise<Browser> {
  const { default: puppeteer } = await import("puppeteer-core");
  const path = Deno.permissions.querySync({
      name: "env",
      variable: "CHROMIUM_PATH",
    }).state === "granted"
    ? Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium"
    : "/usr/bin/chromium";
  const root = Deno.statSync(profile).uid === 0;
  return await puppeteer.launch({
    executablePath: path,
    args: root ? ["--no-sandbox"] : [],
    headless: true,
    pipe: true,
    userDataDir: profile,
    env: {},
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

/** The page's work: validate, draw, and move every slider through its steps. */
function inPage(
  figures: { data: unknown; layout?: unknown }[],
): Promise<{ problems: string[]; traces: number; version: string }[]> {
  // deno-lint-ignore no-explicit-any
  const Plotly = (globalThis as any).Plotly;
  // deno-lint-ignore no-explicit-any
  const document = (globalThis as any).document;
  // One message is not a problem: a slider step's `args` (plain values,
  // valType "any") are copied by plotly.js's defaults, and `validate` takes
  // the copy for a reset ("set to 'X' got reset to 'X'").
  const copied = (e: { code: string; astr?: string }) =>
    e.code === "dynamic" &&
    /^sliders\[\d+\]\.steps\[\d+\]\.args\[\d+\]$/.test(e.astr ?? "");
  const said = (
    errors: { code: string; astr?: string; msg: string }[] | undefined,
    what: string,
  ) => (errors ?? []).filter((e) => !copied(e)).map((e) => `${what}${e.msg}`);
  const run = async (figure: { data: unknown; layout?: unknown }) => {
    const layout = figure.layout ?? {};
    const problems = said(Plotly.validate(figure.data, layout), "");
    const gd = document.createElement("div");
    document.body.appendChild(gd);
    try {
      // A fresh copy: newPlot fills in the objects it is given.
      await Plotly.newPlot(gd, structuredClone(figure.data), {
        ...structuredClone(layout),
        width: 600,
        height: 500,
      });
      // deno-lint-ignore no-explicit-any
      const sliders: any[] = (layout as any).sliders ?? [];
      for (const [k, slider] of sliders.entries()) {
        for (const [i, step] of (slider.steps ?? []).entries()) {
          if (step.method === "update") {
            const [restyle, relayout, traces] = step.args;
            await Plotly.update(gd, restyle, relayout, traces);
          } else if (step.method === "restyle") {
            const [restyle, traces] = step.args;
            await Plotly.restyle(gd, restyle, traces);
          } else {
            problems.push(`slider ${k} step ${i}: method ${step.method}`);
            continue;
          }
          // Every step is applied; the figure it leaves is validated at the
          // first and last steps (the steps of a slider differ in values).
          if (i !== 0 && i !== slider.steps.length - 1) continue;
          problems.push(
            ...said(
              // Plain copies, as a client gets them: the live objects hold
              // what plotly.js filled in, which validate takes for resets.
              Plotly.validate(
                JSON.parse(JSON.stringify(gd.data)),
                JSON.parse(JSON.stringify(gd.layout)),
              ),
              `after slider ${k} step ${i}: `,
            ),
          );
        }
      }
      return {
        problems,
        traces: gd._fullData.length,
        version: Plotly.version,
      };
    } catch (e) {
      return {
        problems: [...problems, `drawing failed: ${e}`],
        traces: 0,
        version: Plotly.version,
      };
    } finally {
      Plotly.purge(gd);
      gd.remove();
    }
  };
  return (async () => {
    const results = [];
    for (const figure of figures) results.push(await run(figure));
    return results;
  })();
}

/**
 * Validates and draws each figure with each of {@linkcode RENDERERS}, in a
 * page of a headless Chromium each, moves each of its sliders through every
 * step, and returns what each version said, with the errors its page
 * logged on the way.
 */
export async function checkFigures(
  found: readonly Found[],
): Promise<{ checked: Checked[]; pageErrors: string[] }> {
  Deno.mkdirSync(scratchRoot, { recursive: true });
  const profile = Deno.makeTempDirSync({
    dir: fileURLToPath(scratchRoot),
    prefix: "plotly-",
  });
  let browser: Browser | undefined;
  try {
    browser = await launch(profile);
    const checked: Checked[] = [];
    const pageErrors: string[] = [];
    for (const renderer of RENDERERS) {
      const page: Page = await browser.newPage();
      const said = (text: string) =>
        pageErrors.push(`plotly.js ${renderer.version}: ${text}`);
      page.on("pageerror", (e) => said(String(e)));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warn") {
          said(`console.${message.type()}: ${message.text()}`);
        }
      });
      await page.evaluate(
        await Deno.readTextFile(
          new URL(import.meta.resolve(renderer.module)),
        ),
      );
      const results = await page.evaluate(
        inPage,
        found.map((f) => ({ data: f.figure.data, layout: f.figure.layout })),
      );
      checked.push(...results.map((r, i) => ({ where: found[i].where, ...r })));
      await page.close();
    }
    return { checked, pageErrors };
  } finally {
    await browser?.close().catch(() => browser?.process()?.kill("SIGKILL"));
    Deno.removeSync(profile, { recursive: true });
  }
}
