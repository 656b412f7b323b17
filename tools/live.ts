/**
 * The notebooks run as a learner runs them: Debian's classic Notebook server
 * (`jupyter-notebook`) on loopback, and "Run All" in a page of the system's
 * Chromium, driven by `puppeteer-core` over a pipe. Each code cell's outputs
 * are then read from the page and compared with the saved ones (the masks of
 * `outputs.ts`); an output the page never showed counts as lost
 * (`client.ts`, shared with `lab.ts`).
 *
 * `deno task notebooks --live [--runs N] [--deno PATH]` runs it.
 *
 * @module
 */

import type { Page } from "puppeteer-core";
import { type ClientDriver, runInClient } from "./client.ts";
import type { Notebook } from "./outputs.ts";
import { PINNED_DENO, pinnedKernel, type Tools } from "./setup.ts";

/** What a page of the classic Notebook offers (only what is used here). */
interface ClassicCell {
  cell_type: string;
  input_prompt_number?: number | string | null;
  get_text(): string;
  output_area: { toJSON(): unknown[] };
}
interface ClassicNotebook {
  Jupyter?: {
    notebook?: {
      kernel?: { is_connected(): boolean };
      session: { delete(ok: () => void, failed: () => void): void };
      get_cells(): ClassicCell[];
      execute_all_cells(): void;
    };
  };
}
// The functions given to the page below run there, where only its globals
// exist: each reaches the notebook through `globalThis` itself.

async function runAll(tab: Page, url: string): Promise<Notebook> {
  await tab.goto(url, { waitUntil: "domcontentloaded" });
  await tab.waitForFunction(
    () =>
      (globalThis as unknown as ClassicNotebook).Jupyter?.notebook?.kernel
        ?.is_connected() === true,
    { timeout: 120_000, polling: 200 },
  );
  await tab.evaluate(() =>
    (globalThis as unknown as ClassicNotebook).Jupyter!.notebook!
      .execute_all_cells()
  );
  await tab.waitForFunction(
    () =>
      (globalThis as unknown as ClassicNotebook).Jupyter!.notebook!
        .get_cells().every((cell) =>
          cell.cell_type !== "code" || cell.get_text().trim() === "" ||
          typeof cell.input_prompt_number === "number"
        ),
    { timeout: 900_000, polling: 250 },
  );
  // A learner looks a moment later: what has not come in two seconds after
  // the last cell finished will not come (the page dropped it).
  await new Promise((r) => setTimeout(r, 2000));
  const cells = await tab.evaluate(() =>
    (globalThis as unknown as ClassicNotebook).Jupyter!.notebook!
      .get_cells().map((cell) => ({
        cell_type: cell.cell_type,
        source: cell.get_text(),
        outputs: cell.cell_type === "code" ? cell.output_area.toJSON() : [],
      }))
  );
  await tab.evaluate(() =>
    new Promise<void>((done) =>
      (globalThis as unknown as ClassicNotebook).Jupyter!.notebook!.session
        .delete(done, done)
    )
  );
  return { cells } as Notebook;
}

/** "deno 2.8.1" for a Deno binary, or its path if that cannot be known. */
async function denoVersion(deno: string): Promise<string> {
  if (deno === Deno.execPath()) return `deno ${Deno.version.deno}`;
  if (deno === pinnedKernel()) return `deno ${PINNED_DENO}`;
  const run = { name: "run", command: deno } as const;
  if (Deno.permissions.querySync(run).state !== "granted") return deno;
  const { stdout } = await new Deno.Command(deno, { args: ["--version"] })
    .output();
  return new TextDecoder().decode(stdout).split(" ").slice(0, 2).join(" ");
}

/** The classic Notebook, as {@linkcode runInClient} drives it. */
function classic(server: string): ClientDriver {
  return {
    server,
    serverArgs: (port, token, folder) => [
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${folder.pathname}`,
      "--allow-root",
    ],
    page: (base, path, token) => `${base}/notebooks/${path}?token=${token}`,
    runAll,
  };
}

/**
 * Runs `notebooks` (paths relative to the project) `options.runs` times in a
 * live client, from the scratch copy `copy`; prints each difference and a
 * summary line; returns how many notebook runs differed from their saved
 * outputs.
 */
export async function runLive(
  tools: Required<Tools>,
  copy: URL,
  notebooks: readonly string[],
  options: { readonly runs: number; readonly deno: string },
): Promise<number> {
  const tally = await runInClient(
    classic(tools.notebookServer),
    tools.chromium,
    copy,
    notebooks,
    options,
  );
  const version = await denoVersion(options.deno);
  console.log(
    `live: ${version}: ${options.runs} run(s), ${tally.cellsRun} code cells, ` +
      `${tally.lost} lost outputs, ${tally.failed} notebook run(s) differed ` +
      `(${tally.seconds.toFixed(0)} s)`,
  );
  return tally.failed;
}
