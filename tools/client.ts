/**
 * What the live runs share (`live.ts` in the classic Notebook, `lab.ts` in
 * JupyterLab and Notebook 7): a Jupyter server on loopback serving a scratch
 * copy of the notebooks, a headless Chromium driven by `puppeteer-core` over
 * a pipe, and, for each notebook, a fresh copy with every output cleared,
 * "Run All" in its page, and the outputs the page received compared with the
 * saved ones (the masks of `outputs.ts`): an output never received is lost.
 *
 * A {@linkcode ClientDriver} says what differs from one client to another.
 *
 * @example
 * ```ts
 * import { freePort } from "./client.ts";
 *
 * console.log(freePort() > 0); // true
 * ```
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  codeCells,
  differences,
  type Notebook,
  problemsIn,
  readNotebook,
} from "./outputs.ts";
import { root, RUN_ENV, writeKernelspec } from "./setup.ts";

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

/** What differs from one client to another. */
export interface ClientDriver {
  /** The server program. */
  readonly server: string | URL;
  /** Its arguments, for a port, a token and the folder it serves. */
  serverArgs(port: number, token: string, folder: URL): string[];
  /** Variables for the server beside the kernelspec's and Jupyter's folders. */
  readonly env?: Readonly<Record<string, string>>;
  /** The page of a notebook (`path` relative to the folder served). */
  page(base: string, path: string, token: string): string;
  /** Opens the page, runs every cell, returns the notebook the page holds. */
  runAll(tab: Page, url: string): Promise<Notebook>;
  /**
   * After a notebook's run, in its page: further problems, and words for its
   * "ok" line.
   */
  afterRun?(tab: Page, path: string, fresh: Notebook): Promise<{
    readonly problems: readonly string[];
    readonly note?: string;
  }>;
  /**
   * Errors in the page's console fail a notebook's run, except those that
   * match one of these (the client's own, named where they are listed).
   * Undefined: the console is not read.
   */
  readonly knownConsoleErrors?: readonly RegExp[];
  /** The browser window's size. */
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** What a series of live runs found. */
export interface ClientTally {
  /** Notebook runs with a difference or a problem. */
  readonly failed: number;
  /** Outputs the page never received. */
  readonly lost: number;
  /** Code cells run, over every run. */
  readonly cellsRun: number;
  /** Console errors of the client itself, counted apart. */
  readonly knownErrors: number;
  /** Seconds, in all. */
  readonly seconds: number;
}

/**
 * Runs `notebooks` (paths relative to the project) `runs` times in the
 * client `driver` describes, from the scratch copy `copy`, with the Deno
 * binary `deno` as the kernel; prints a line for each notebook run (its
 * differences and problems, if any) and returns the tally.
 */
export async function runInClient(
  driver: ClientDriver,
  chromium: string,
  copy: URL,
  notebooks: readonly string[],
  options: { readonly runs: number; readonly deno: string },
): Promise<ClientTally> {
  const jupyterPath = writeKernelspec(new URL("jupyter/", copy), options.deno);
  const port = freePort();
  const token = crypto.randomUUID();
  const log = await Deno.open(new URL("server.log", copy), {
    write: true,
    create: true,
  });
  const server = new Deno.Command(driver.server, {
    args: driver.serverArgs(port, token, copy),
    env: {
      ...RUN_ENV,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_CONFIG_DIR: new URL("jupyter-config/", copy).pathname,
      JUPYTER_RUNTIME_DIR: new URL("jupyter-runtime/", copy).pathname,
      ...driver.env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logged = server.stderr.pipeTo(log.writable);
  const base = `http://127.0.0.1:${port}`;
  let browser: Browser | undefined;
  let failed = 0, lost = 0, cellsRun = 0, knownErrors = 0;
  const began = performance.now();
  try {
    await waitForServer(`${base}/api/status?token=${token}`, server);
    const size = driver.viewport;
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      pipe: true,
      // In the scratch copy: removed with it, and no write outside it.
      userDataDir: new URL("chromium-profile/", copy).pathname,
      // Given, so that puppeteer need not read the whole environment.
      env: { HOME: new URL("chromium-profile/", copy).pathname },
      // Chromium's sandbox refuses to start as root.
      args: [
        ...(Deno.uid() === 0 ? ["--no-sandbox"] : []),
        ...(size ? [`--window-size=${size.width},${size.height}`] : []),
      ],
      ...(size ? { defaultViewport: { ...size } } : {}),
    });
    const tab = await browser.newPage();
    tab.on("dialog", (dialog) => dialog.accept()); // "leave this page?"
    const consoleErrors: string[] = [];
    if (driver.knownConsoleErrors) {
      tab.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      tab.on("pageerror", (error) => consoleErrors.push(String(error)));
    }
    for (let run = 1; run <= options.runs; run++) {
      for (const path of notebooks) {
        const saved = readNotebook(new URL(path, root));
        Deno.writeTextFileSync(
          new URL(path, copy),
          cleared(new URL(path, root)),
        );
        consoleErrors.length = 0;
        const started = performance.now();
        const fresh = await driver.runAll(tab, driver.page(base, path, token));
        const found = differences(saved, fresh);
        const problems = problemsIn(fresh).filter((p) =>
          !p.includes("has no output")
        );
        const after = await driver.afterRun?.(tab, path, fresh);
        problems.push(...after?.problems ?? []);
        const known = consoleErrors.filter((e) =>
          driver.knownConsoleErrors?.some((pattern) => pattern.test(e))
        );
        knownErrors += known.length;
        problems.push(
          ...consoleErrors.filter((e) => !known.includes(e))
            .map((e) => `console error: ${e}`),
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
          const note = after?.note ? `, ${after.note}` : "";
          console.log(`ok run ${run} ${path}: matches${note} (${seconds} s)`);
        }
      }
    }
  } finally {
    await browser?.close();
    server.kill("SIGTERM");
    await server.status;
    await logged.catch(() => {});
  }
  return {
    failed,
    lost,
    cellsRun,
    knownErrors,
    seconds: (performance.now() - began) / 1000,
  };
}
