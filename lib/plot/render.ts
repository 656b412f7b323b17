/**
 * PNG images of plotly.js figures, drawn by plotly.js itself in a headless
 * Chromium: {@linkcode renderPng} draws a figure, {@linkcode closeBrowser}
 * stops the browser.
 *
 * plotly.js runs only in a browser, so the first call starts one (about 1 s,
 * plus about 1 s to load plotly.js from the npm package `plotly.js-dist-min`,
 * offline) and later calls reuse it (tens of milliseconds per figure). The
 * browser is Chromium or Chrome: the binary named by the environment
 * variable `CHROMIUM_PATH`, else the first of `chromium`, `chromium-browser`,
 * `google-chrome` and `google-chrome-stable` that Deno may run. It keeps its
 * profile in a temporary folder `data/.browser-*` of the project, and is
 * stopped, its folder removed, when the process exits (or at
 * {@linkcode closeBrowser}). A process that is killed cannot clean up: the
 * next browser to start removes the folders of browsers that are gone.
 *
 * The page is driven through the Chrome DevTools Protocol over a WebSocket,
 * one short connection per call, so that an idle browser never keeps a
 * script from exiting.
 *
 * @example Save a chart as a PNG file
 * ```ts
 * import { linePlot } from "./figures.ts";
 * import { closeBrowser, renderPng } from "./render.ts";
 *
 * const png = await renderPng(linePlot({ y: [1, 4, 9] }), { width: 400, height: 300 });
 * await Deno.writeFile("chart.png", png);
 * await closeBrowser();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BrowserError } from "../errors.ts";
import { envVar } from "../load/env.ts";
import type { Figure } from "./figures.ts";

/**
 * The size of a rendered image, in pixels.
 *
 * @example
 * ```ts
 * import type { RenderOptions } from "./render.ts";
 *
 * const wide: RenderOptions = { width: 900, height: 300 };
 * ```
 */
export interface RenderOptions {
  /** Default: the figure's `layout.width`, else 600. */
  readonly width?: number;
  /** Default: the figure's `layout.height`, else 400. */
  readonly height?: number;
}

/** The binaries tried, in order, when `CHROMIUM_PATH` is not set. */
const CANDIDATES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
];

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--remote-debugging-port=0", // any free port, written to DevToolsActivePort
];

/** How long the browser may take to start, and plotly.js to draw. */
const START_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 60_000;

/** Draws a figure in the page; returns the PNG in base64. */
const RENDER_FUNCTION =
  `globalThis.renderFigure = async (figure, width, height) => {
  const url = await Plotly.toImage(figure, { format: "png", width, height });
  return url.slice(url.indexOf(",") + 1);
};`;

interface Browser {
  readonly child: Deno.ChildProcess;
  readonly profile: string;
  /** The WebSocket URL of the page that has plotly.js loaded. */
  page: string;
  exited: boolean;
  readonly onUnload: () => void;
}

/** The browser of this process: started at the first render, kept. */
let current: Promise<Browser> | undefined;

function exists(path: string): boolean | undefined {
  const read = { name: "read", path } as const;
  if (Deno.permissions.querySync(read).state !== "granted") return undefined;
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Starts the first browser binary that exists and may run. */
function spawn(profile: string): Deno.ChildProcess {
  const given = envVar("CHROMIUM_PATH");
  const missing: string[] = [], forbidden: string[] = [];
  for (const command of given === undefined ? CANDIDATES : [given]) {
    const run = { name: "run", command } as const;
    if (Deno.permissions.querySync(run).state !== "granted") {
      // Deno grants `--allow-run=<name>` only for a name it finds on PATH.
      const known = command.includes("/") && exists(command) === false;
      (known ? missing : forbidden).push(command);
      continue;
    }
    try {
      return new Deno.Command(command, {
        args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      missing.push(command);
    }
  }
  const found = [
    missing.length === 0 ? "" : `${missing.join(", ")}: not found`,
    forbidden.length === 0
      ? ""
      : `${forbidden.join(", ")}: not installed or not allowed to run`,
  ].filter((part) => part !== "").join("; ");
  const how = given === undefined
    ? "install Chromium (Debian and Ubuntu: `sudo apt-get install chromium`) " +
      "or set CHROMIUM_PATH to a Chromium or Chrome binary"
    : "set CHROMIUM_PATH to an existing Chromium or Chrome binary, or unset it";
  const allow = forbidden.length === 0
    ? ""
    : " Deno must be allowed to run it (`--allow-run=chromium`; the Jupyter " +
      "kernel allows everything).";
  throw new BrowserError(
    `No browser to draw charts as PNG images (${found}). Charts still show ` +
      "interactively in VS Code and JupyterLab, but GitHub shows only " +
      `images: ${how}.${allow}`,
  );
}

/** The port the browser listens on, once it has written it down. */
async function devtoolsPort(browser: Browser): Promise<number> {
  const file = join(browser.profile, "DevToolsActivePort");
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (browser.exited) {
      const { code } = await browser.child.status;
      throw new BrowserError(
        `The browser exited with code ${code} as it started. Run it by hand ` +
          "to see why: `chromium --headless --no-sandbox about:blank`.",
      );
    }
    try {
      const [port] = (await Deno.readTextFile(file)).split("\n");
      if (/^\d+$/.test(port)) return Number(port);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new BrowserError(
    `The browser did not start within ${START_TIMEOUT_MS / 1000} s. ` +
      "Try again; if it persists, run it by hand to see why: " +
      "`chromium --headless --no-sandbox about:blank`.",
  );
}

/**
 * Evaluates a JavaScript expression in the page and returns its value (the
 * value of the promise it returns), over one DevTools Protocol connection.
 */
async function evaluate(page: string, expression: string): Promise<unknown> {
  const socket = new WebSocket(page);
  const closed = new Promise((resolve) => socket.onclose = resolve);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await new Promise<Record<string, never>>(
      (resolve, reject) => {
        timer = setTimeout(
          () => reject(new BrowserError("The browser did not answer in time.")),
          CALL_TIMEOUT_MS,
        );
        socket.onerror = () =>
          reject(
            new BrowserError(`Could not connect to the browser at ${page}.`),
          );
        socket.onmessage = (event) => {
          const message = JSON.parse(event.data);
          if (message.id === 1) resolve(message);
        };
        socket.onopen = () =>
          socket.send(JSON.stringify({
            id: 1,
            method: "Runtime.evaluate",
            params: { expression, awaitPromise: true, returnByValue: true },
          }));
      },
    );
    const { result, error } = reply as {
      result?: {
        result: { value?: unknown };
        exceptionDetails?: {
          text: string;
          exception?: { description?: string };
        };
      };
      error?: { message: string };
    };
    const failure = error?.message ??
      result?.exceptionDetails?.exception?.description ??
      result?.exceptionDetails?.text;
    if (failure !== undefined) {
      throw new BrowserError(`plotly.js failed in the browser: ${failure}`);
    }
    return result?.result.value;
  } finally {
    clearTimeout(timer);
    if (socket.readyState !== WebSocket.CLOSED) socket.close();
    await closed;
  }
}

/** Stops a browser and removes its profile. */
async function stop(browser: Browser): Promise<void> {
  globalThis.removeEventListener("unload", browser.onUnload);
  browser.child.ref(); // so that waiting for its exit keeps this process up
  if (!browser.exited) {
    try {
      browser.child.kill("SIGTERM");
    } catch {
      // It exited meanwhile.
    }
  }
  await browser.child.status;
  // Its helper processes may still write into the profile as they exit:
  // remove it until it stays gone.
  for (let i = 0, gone = 0; i < 40 && gone < 3; i++) {
    try {
      await Deno.remove(browser.profile, { recursive: true });
      gone = 0;
    } catch (e) {
      gone = e instanceof Deno.errors.NotFound ? gone + 1 : 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * At exit, where nothing can be awaited: stops the browser and removes its
 * profile, again and again for up to a second, as its helper processes may
 * write into it while they shut down.
 */
function removeAtExit(child: Deno.ChildProcess, profile: string): void {
  try {
    child.kill("SIGTERM");
  } catch {
    // It exited already.
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let gone = 0; // checks in a row that found no profile
  for (let i = 0; i < 40 && gone < 3; i++) {
    try {
      Deno.removeSync(profile, { recursive: true });
      gone = 0;
    } catch (e) {
      gone = e instanceof Deno.errors.NotFound ? gone + 1 : 0;
    }
    Atomics.wait(pause, 0, 0, 25); // sleeps 25 ms
  }
}

/**
 * Whether the browser of a profile folder still runs: it answers on the
 * port it wrote down. A folder without a port is a browser starting (in
 * another process) if it is less than a minute old.
 */
async function inUse(profile: string): Promise<boolean> {
  let port: string;
  try {
    [port] = (await Deno.readTextFile(join(profile, "DevToolsActivePort")))
      .split("\n");
  } catch {
    const { mtime } = await Deno.stat(profile);
    return Date.now() - (mtime?.getTime() ?? 0) < 60_000;
  }
  try {
    const signal = AbortSignal.timeout(2000);
    const url = `http://127.0.0.1:${port}/json/version`;
    await (await fetch(url, { signal })).body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the profile folders of browsers that are gone: a process killed
 * (a notebook kernel shut down, say) leaves its folder behind.
 */
async function sweepProfiles(data: string): Promise<void> {
  for await (const entry of Deno.readDir(data)) {
    const profile = join(data, entry.name);
    if (!entry.isDirectory || !entry.name.startsWith(".browser-")) continue;
    if (await inUse(profile).catch(() => true)) continue;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function launch(): Promise<Browser> {
  const data = fileURLToPath(new URL("../../data/", import.meta.url));
  let profile: string;
  try {
    await Deno.mkdir(data, { recursive: true });
    await sweepProfiles(data);
    profile = await Deno.makeTempDir({ dir: data, prefix: ".browser-" });
  } catch (e) {
    throw new BrowserError(
      `Could not make the browser's profile folder in ${data} ` +
        `(${(e as Error).message}): allow Deno to write there.`,
      { cause: e },
    );
  }
  let child: Deno.ChildProcess;
  try {
    child = spawn(profile);
  } catch (e) {
    await Deno.remove(profile, { recursive: true });
    throw e;
  }
  child.unref(); // an idle browser does not keep the process alive
  const browser: Browser = {
    child,
    profile,
    page: "",
    exited: false,
    onUnload: () => removeAtExit(child, profile),
  };
  child.status.then(() => browser.exited = true);
  globalThis.addEventListener("unload", browser.onUnload);
  try {
    const port = await devtoolsPort(browser);
    const targets: { type: string; webSocketDebuggerUrl: string }[] =
      await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((target) => target.type === "page");
    if (page === undefined) {
      throw new BrowserError("The browser started without a page: try again.");
    }
    browser.page = page.webSocketDebuggerUrl;
    const plotly = new URL(import.meta.resolve("plotly.js-dist-min"));
    const source = await Deno.readTextFile(plotly);
    await evaluate(browser.page, `${source};\n${RENDER_FUNCTION}`);
  } catch (e) {
    await stop(browser);
    throw e;
  }
  return browser;
}

/**
 * Draws a figure as a PNG image with plotly.js in a headless browser,
 * started at the first call and reused. Throws a {@linkcode BrowserError}
 * when no browser can start (and again, at once, at every later call, until
 * {@linkcode closeBrowser}) or plotly.js fails.
 *
 * @example A 400×300 image of a line
 * ```ts
 * import { linePlot } from "./figures.ts";
 * import { renderPng } from "./render.ts";
 *
 * const png = await renderPng(linePlot({ y: [3, 1, 2] }), { width: 400, height: 300 });
 * console.log(png.length > 0); // true
 * ```
 */
export async function renderPng(
  figure: Figure,
  options: RenderOptions = {},
): Promise<Uint8Array> {
  const width = options.width ?? figure.layout.width ?? 600;
  const height = options.height ?? figure.layout.height ?? 400;
  current ??= launch();
  let browser = await current;
  if (browser.exited) { // it crashed or was killed: start another
    current = undefined;
    await stop(browser);
    browser = await (current = launch());
  }
  const json = JSON.stringify({ data: figure.data, layout: figure.layout });
  const base64 = await evaluate(
    browser.page,
    `renderFigure(${json}, ${width}, ${height})`,
  );
  return new Uint8Array(Buffer.from(base64 as string, "base64"));
}

/**
 * Stops the browser that {@linkcode renderPng} started, if any, and removes
 * its profile folder; the next render starts a new one (and looks for a
 * browser again, after a failure). Exiting the process does this by itself;
 * tests call it to leave no process behind.
 *
 * @example
 * ```ts
 * import { closeBrowser } from "./render.ts";
 *
 * await closeBrowser();
 * ```
 */
export async function closeBrowser(): Promise<void> {
  const closing = current;
  current = undefined;
  let browser: Browser;
  try {
    if (closing === undefined) return;
    browser = await closing;
  } catch {
    return; // it never started
  }
  await stop(browser);
}
