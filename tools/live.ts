/**
 * The notebooks run as a learner runs them: Debian's classic Notebook server
 * (`jupyter-notebook`) on loopback, and "Run All" in a page of the system's
 * Chromium, driven by `puppeteer-core` over a pipe. Each code cell's outputs
 * are then read from the page and compared with the saved ones (the masks of
 * `outputs.ts`); an output the page never showed counts as lost.
 *
 * `deno task notebooks --live [--runs N] [--deno PATH]` runs it.
 *
 * @module
 */

import puppeteer, { type Page } from "puppeteer-core";
import {
  codeCells,
  differences,
  type Notebook,
  problemsIn,
  readNotebook,
} from "./outputs.ts";
import {
  PINNED_DENO,
  pinnedKernel,
  root,
  RUN_ENV,
  type Tools,
  writeKernelspec,
} from "./setup.ts";

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

/** A free port on 127.0.0.1, for a server started next. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Waits until a Jupyter server answers at `url` (up to 2 minutes); throws if
 * it exits or never answers.
 */
export async function waitForServer(
  url: string,
  server: Deno.ChildProcess,
): Promise<void> {
  let exited = false;
  server.status.then(() => exited = true);
  for (let i = 0; i < 240 && !exited; i++) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the Jupyter server did not answer at ${url}`);
}

/** A notebook file with every output cleared, as a learner opens it fresh. */
export function cleared(path: URL): string {
  const nb = JSON.parse(Deno.readTextFileSync(path));
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  return JSON.stringify(nb);
}

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
  const jupyterPath = writeKernelspec(new URL("jupyter/", copy), options.deno);
  const port = freePort();
  const token = crypto.randomUUID();
  const log = await Deno.open(new URL("server.log", copy), {
    write: true,
    create: true,
  });
  const server = new Deno.Command(tools.notebookServer, {
    args: [
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${copy.pathname}`,
      "--allow-root",
    ],
    env: {
      ...RUN_ENV,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_CONFIG_DIR: new URL("jupyter-config/", copy).pathname,
      JUPYTER_RUNTIME_DIR: new URL("jupyter-runtime/", copy).pathname,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logged = server.stderr.pipeTo(log.writable);
  const base = `http://127.0.0.1:${port}`;
  let browser;
  let failed = 0, lost = 0, cellsRun = 0;
  const began = performance.now();
  try {
    await waitForServer(`${base}/api/status?token=${token}`, server);
    browser = await puppeteer.launch({
      executablePath: tools.chromium,
      headless: true,
      pipe: true,
      // In the scratch copy: removed with it, and no write outside it.
      userDataDir: new URL("chromium-profile/", copy).pathname,
      // Given, so that puppeteer need not read the whole environment.
      env: { HOME: new URL("chromium-profile/", copy).pathname },
      // Chromium's sandbox refuses to start as root.
      args: Deno.uid() === 0 ? ["--no-sandbox"] : [],
    });
    const tab = await browser.newPage();
    tab.on("dialog", (dialog) => dialog.accept()); // "leave this page?"
    for (let run = 1; run <= options.runs; run++) {
      for (const path of notebooks) {
        const saved = readNotebook(new URL(path, root));
        Deno.writeTextFileSync(
          new URL(path, copy),
          cleared(new URL(path, root)),
        );
        const started = performance.now();
        const fresh = await runAll(
          tab,
          `${base}/notebooks/${path}?token=${token}`,
        );
        const found = differences(saved, fresh);
        const problems = problemsIn(fresh).filter((p) =>
          !p.includes("has no output")
        );
        const here = found.reduce((sum, d) => sum + d.lost, 0);
        lost += here;
        cellsRun += codeCells(fresh).length;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (found.length + problems.length > 0) {
          failed++;
          console.log(
            `FAILED run ${run} ${path} (${seconds} s; ${here} lost):\n  ` +
              [...problems, ...found.map((d) => d.message)].join("\n  "),
          );
        } else {
          console.log(`ok run ${run} ${path}: matches (${seconds} s)`);
        }
      }
    }
  } finally {
    await browser?.close();
    server.kill("SIGTERM");
    await server.status;
    await logged.catch(() => {});
  }
  const version = await denoVersion(options.deno);
  console.log(
    `live: ${version}: ${options.runs} run(s), ${cellsRun} code cells, ` +
      `${lost} lost outputs, ${failed} notebook run(s) differed ` +
      `(${((performance.now() - began) / 1000).toFixed(0)} s)`,
  );
  return failed;
}
