/**
 * PNG images drawn by a headless Chromium: {@linkcode renderPng} draws a
 * plotly.js figure, {@linkcode renderHtml} an HTML snippet (the captions of
 * digit pictures), {@linkcode closeBrowser} stops the browser.
 *
 * The browser is driven by `puppeteer-core`, which runs the system's
 * Chromium or Chrome (no browser download): the binary named by the
 * environment variable `CHROMIUM_PATH`, else the first of `chromium`,
 * `chromium-browser`, `google-chrome` and `google-chrome-stable` found on
 * `PATH` (or in `/usr/bin`) that Deno may run. plotly.js comes from the npm
 * package `plotly.js-cartesian-dist-min`, read from disk and put into the
 * page: plotly's official bundle of its 2D charts (scatter, bar, heatmap...,
 * all the figures of `charts.ts` and `lesson_figures.ts` use), a third the size of the full bundle.
 * The page runs it in 0.4 s where the full one took 1.1 s, and every
 * notebook waits for that once, at its first chart.
 *
 * The first call starts the browser (about 0.3 s, plus 0.4 s to load
 * plotly.js), unless {@linkcode warmUp} started it already, and later calls
 * reuse it (tens of milliseconds per figure). The
 * browser is bound to this process:
 * - it is driven over a pipe (`--remote-debugging-pipe`), never a port, so no
 *   other process can drive it, and it exits when this process dies, even
 *   when killed;
 * - its pages may load nothing but `data:` and `about:` URLs: a figure that
 *   names a remote image gets no network request (the image is left out);
 * - while idle it does not keep a script from exiting.
 *
 * Its profile lives in a folder `data/.browser-*` of the project, removed at
 * {@linkcode closeBrowser} or at exit; the next browser to start removes the
 * folders of processes that were killed.
 *
 * @example Save a chart as a PNG file
 * ```ts
 * import { linePlot } from "./charts.ts";
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
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Frame, HTTPRequest, Page } from "puppeteer-core";
import { ArgumentError, BrowserError, LessonError } from "../errors.ts";
import { interruptible, whenInterrupted } from "../interrupt.ts";
import { envVar } from "../env.ts";
import type { Figure } from "./charts.ts";

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

/** Where binaries are looked for when Deno may not read `PATH`. */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/snap/bin";

/** How long the browser may take to start, and a call to answer. */
const START_TIMEOUT_MS = 30_000;
/** The longest a render may take; puppeteer's own protocol timeout is above. */
const CALL_TIMEOUT_MS = 30_000;

/** The URLs a page may load: everything else is aborted. */
function allowed(url: string): boolean {
  return url.startsWith("data:") || url.startsWith("about:");
}

interface Running {
  readonly browser: Browser;
  /** The page that has plotly.js loaded. */
  readonly plotly: Page;
  /** The page that draws HTML, made at the first such call. */
  html?: Promise<Page>;
  /** The HTML drawings under way, one after the other on that page. */
  htmlQueue: Promise<unknown>;
  readonly profile: string;
  /** Holds the profile: a lock that only this process has. */
  readonly owner: Deno.FsFile;
  /** Calls under way: the browser's pipes keep the process up only then. */
  busy: number;
  gone: boolean;
  /** At exit, where nothing can be awaited: kills it, removes its profile. */
  readonly onExit: () => void;
}

/** The browser of this process: started at the first render, kept. */
let current: Promise<Running> | undefined;

// When a script has nothing left to do, its browser is closed properly
// (closing is work, so the script ends once it is done).
globalThis.addEventListener("beforeunload", () => {
  if (current !== undefined) void closeBrowser();
});

function canRead(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state ===
    "granted";
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether a file can be started: executable, and a binary (ELF) or a script
 * (`#!`). Spawning anything else fails after puppeteer has given up on it,
 * with an error no one catches, which ends the process (a notebook's kernel).
 */
function isProgram(path: string): boolean {
  try {
    const { mode } = Deno.statSync(path);
    if (mode !== null && (mode & 0o111) === 0) return false;
    using file = Deno.openSync(path);
    const head = new Uint8Array(4);
    const n = file.readSync(head) ?? 0;
    return (n >= 2 && head[0] === 0x23 && head[1] === 0x21) || // "#!"
      (n === 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c &&
        head[3] === 0x46); // "\x7fELF"
  } catch {
    return false;
  }
}

/**
 * The path of the first browser binary that exists and may run, or a
 * {@linkcode BrowserError} that says what to install or allow.
 */
function findBrowser(): string {
  const given = envVar("CHROMIUM_PATH");
  const dirs = (envVar("PATH") ?? DEFAULT_PATH).split(":").filter(Boolean);
  const missing: string[] = [], forbidden: string[] = [];
  for (const name of given === undefined ? CANDIDATES : [given]) {
    const paths = name.includes("/") ? [name] : dirs.map((d) => join(d, name));
    const runnable = Deno.permissions.querySync({ name: "run", command: name })
      .state === "granted";
    const found = paths.filter((path) => canRead(path) && isFile(path));
    const notPrograms = found.filter((path) => !isProgram(path));
    if (given !== undefined && notPrograms.length > 0) {
      throw new BrowserError(
        `CHROMIUM_PATH is ${given}, which is not a program that can run ` +
          "(not executable, or neither a binary nor a script): set " +
          "CHROMIUM_PATH to a Chromium or Chrome binary, or unset it.",
      );
    }
    const path = found.filter(isProgram).find((p) =>
      runnable ||
      Deno.permissions.querySync({ name: "run", command: p }).state ===
        "granted"
    );
    if (path !== undefined) return path;
    // Deno grants `--allow-run=<name>` only for a name it finds on PATH, and
    // puppeteer checks that the binary exists, which needs read access.
    const unreadable = paths.some((p) => !canRead(p));
    (found.length > 0 || unreadable ? forbidden : missing).push(name);
  }
  const found = [
    missing.length === 0 ? "" : `${missing.join(", ")}: not found`,
    forbidden.length === 0
      ? ""
      : `${forbidden.join(", ")}: not installed, or not allowed to run or read`,
  ].filter((part) => part !== "").join("; ");
  const how = given === undefined
    ? "install Chromium (Debian and Ubuntu: `sudo apt-get install chromium`) " +
      "or set CHROMIUM_PATH to a Chromium or Chrome binary"
    : "set CHROMIUM_PATH to an existing Chromium or Chrome binary, or unset it";
  const allow = forbidden.length === 0 ? "" : " Deno must be allowed to run " +
    "and read it (`--allow-run=chromium --allow-read=/usr/bin/chromium`; " +
    "the Jupyter kernel allows everything).";
  throw new BrowserError(
    `No browser to draw charts as PNG images (${found}). Charts still show ` +
      "interactively in VS Code and JupyterLab, but GitHub shows only " +
      `images: ${how}.${allow}`,
  );
}

/**
 * Whether this process runs as root: the owner of the folder it just made.
 * (`Deno.uid()` would need a permission.)
 */
async function isRoot(folder: string): Promise<boolean> {
  return (await Deno.stat(folder)).uid === 0;
}

/**
 * Removes the profile folders of browsers whose process is gone: a process
 * killed (a notebook kernel shut down, say) cannot remove its own. A folder
 * is in use while its `owner.lock` is locked: the lock goes with its process.
 * A folder without that file is a browser starting, unless it is a minute
 * old.
 */
async function sweepProfiles(data: string): Promise<void> {
  for await (const entry of Deno.readDir(data)) {
    if (!entry.isDirectory || !entry.name.startsWith(".browser-")) continue;
    const profile = join(data, entry.name);
    let stale: boolean;
    try {
      using lock = await Deno.open(join(profile, "owner.lock"), {
        read: true,
        write: true,
      });
      stale = await lock.tryLock(true);
    } catch {
      const { mtime } = await Deno.stat(profile).catch(() => ({ mtime: null }));
      stale = Date.now() - (mtime?.getTime() ?? Date.now()) > 60_000;
    }
    if (stale) await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Removes a folder until it stays gone: Chromium's helpers may still write. */
function removeProfile(profile: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0, gone = 0; i < 40 && gone < 3; i++) {
    try {
      Deno.removeSync(profile, { recursive: true });
      gone = 0;
    } catch (e) {
      gone = e instanceof Deno.errors.NotFound ? gone + 1 : 0;
    }
    Atomics.wait(pause, 0, 0, 25); // sleeps 25 ms
  }
}

/** A new page of the browser, that may load only `data:` and `about:`. */
async function lockedPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.setRequestInterception(true);
  page.on("request", (request: HTTPRequest) => {
    if (allowed(request.url())) void request.continue();
    else void request.abort("blockedbyclient");
  });
  return page;
}

/**
 * The page that draws HTML: a locked page where `window.open` opens nothing
 * but notes the URL, which `renderHtml` then refuses (a popup hung the call
 * for a minute; `--block-new-web-contents` blocks it too).
 */
async function htmlPage(browser: Browser): Promise<Page> {
  const page = await lockedPage(browser);
  const freeze = () => {
    Object.defineProperty(globalThis, "open", {
      value: (url?: string | URL) => {
        // deno-lint-ignore no-explicit-any
        (globalThis as any).openedUrl ??= String(url ?? "about:blank");
        return null;
      },
      writable: false,
      configurable: false,
    });
  };
  await page.evaluateOnNewDocument(freeze);
  await page.evaluate(freeze); // the page's first document, about:blank
  return page;
}

/** Makes the browser's process and pipes keep this process up, or not. */
function hold(process: ChildProcess | null, on: boolean): void {
  if (process === null) return;
  for (const target of [process, ...process.stdio]) {
    const handle = target as { ref?: () => void; unref?: () => void } | null;
    if (on) handle?.ref?.();
    else handle?.unref?.();
  }
}

/**
 * Chromium's flags that keep its pages off the network, loopback included:
 * request interception (see `lockedPage`) sees no WebSocket, prefetch or
 * beacon, so every connection is also sent to a proxy that is not there
 * (`<-loopback>` removes the implicit exception for 127.0.0.1 and
 * localhost), and no host name resolves.
 */
const NO_NETWORK = [
  "--proxy-server=http://0.0.0.0:1",
  "--proxy-bypass-list=<-loopback>",
  "--host-resolver-rules=MAP * ~NOTFOUND",
  "--disable-background-networking",
  "--block-new-web-contents",
];

async function start(
  path: string,
  profile: string,
  signal: AbortSignal,
): Promise<Browser> {
  const { default: puppeteer } = await import("puppeteer-core");
  const launch = (sandbox: boolean) =>
    puppeteer.launch({
      executablePath: path,
      args: [...NO_NETWORK, ...(sandbox ? [] : ["--no-sandbox"])],
      headless: true,
      pipe: true, // no debugging port: only this process can drive it
      userDataDir: profile,
      env: {}, // Chromium needs none of ours; reading them all needs a permission
      // A notebook's interrupt (SIGINT) and shutdown (SIGTERM) stay Deno's.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: START_TIMEOUT_MS,
      protocolTimeout: 2 * CALL_TIMEOUT_MS,
      signal, // aborting kills the process it started
    });
  // As root, Chromium refuses to start with its sandbox: `--no-sandbox` is
  // required there, and only there.
  return await launch(!await isRoot(profile));
}

/**
 * A new profile folder, locked by this process: in `data` (after sweeping
 * the folders of dead processes there), or in the system's temporary folder.
 */
async function profileIn(
  data: string | undefined,
): Promise<{ profile: string; owner: Deno.FsFile }> {
  if (data !== undefined) {
    await Deno.mkdir(data, { recursive: true });
    await sweepProfiles(data);
  }
  const profile = await Deno.makeTempDir({ dir: data, prefix: ".browser-" });
  try {
    const owner = await Deno.open(join(profile, "owner.lock"), {
      write: true,
      create: true,
    });
    await owner.lock(true);
    // In the temporary folder too, the folders of dead processes go.
    if (data === undefined) {
      await sweepProfiles(dirname(profile)).catch(() => {});
    }
    return { profile, owner };
  } catch (e) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw e;
  }
}

async function launch(): Promise<Running> {
  const path = findBrowser();
  const data = fileURLToPath(new URL("../../data/", import.meta.url));
  let profile: string;
  let owner: Deno.FsFile;
  try {
    ({ profile, owner } = await profileIn(data));
  } catch (e) {
    // A read-only data/ (nothing to download, say) need not stop charts:
    // the system's temporary folder will do.
    try {
      ({ profile, owner } = await profileIn(undefined));
    } catch {
      throw new BrowserError(
        `Could not make the browser's profile folder in ${data}, nor in ` +
          `the temporary folder (${(e as Error).message}): allow Deno to ` +
          "write in one of them.",
        { cause: e },
      );
    }
  }
  let browser: Browser | undefined;
  const abort = new AbortController();
  const starting = start(path, profile, abort.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // puppeteer's own timeout does not cover a binary that starts and then
    // says nothing on the pipe: it waited for its protocol timeout.
    browser = await Promise.race([
      starting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() =>
          reject(
            new BrowserError(
              `The browser ${path} did not start within ` +
                `${START_TIMEOUT_MS / 1000} s: it may not be Chromium or ` +
                "Chrome. Set CHROMIUM_PATH to a Chromium or Chrome binary, " +
                "or unset it; run it by hand to see why: " +
                `\`${path} --headless --no-sandbox about:blank\`.`,
            ),
          ), START_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    // The browser keeps this process up while it starts; then only while a
    // call is under way (see `call`).
    const plotly = await lockedPage(browser);
    const source = await Deno.readTextFile(
      new URL(import.meta.resolve("plotly.js-cartesian-dist-min")),
    );
    await plotly.evaluate(source);
    hold(browser.process(), false);
    const child = browser.process();
    const running: Running = {
      browser,
      plotly,
      profile,
      owner,
      htmlQueue: Promise.resolve(),
      busy: 0,
      gone: false,
      onExit: () => {
        if (running.gone) return;
        running.gone = true;
        child?.kill("SIGKILL");
        // Tell puppeteer it is gone, or its own exit handler checks with
        // `process.kill(pid, 0)`, which needs a permission to run anything.
        child?.emit("exit", null, "SIGKILL");
        owner.close();
        removeProfile(profile);
      },
    };
    browser.on("disconnected", () => running.gone = true);
    // `Deno.exit()` fires "unload" only; the end of a script (after the
    // "beforeunload" above) fires both, and Node's "exit" runs puppeteer's.
    globalThis.addEventListener("unload", running.onExit);
    process.prependListener("exit", running.onExit);
    return running;
  } catch (e) {
    clearTimeout(timer);
    // Aborting kills what puppeteer started, which Deno allows only with
    // the permission to run anything (the Jupyter kernel has it); without
    // it, the process is left to puppeteer's own protocol timeout.
    if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
      abort.abort();
    }
    await browser?.close().catch(() => browser?.process()?.kill("SIGKILL"));
    // A start given up on may still end: then close what it started.
    starting.then(
      (late) => late.close().catch(() => late.process()?.kill("SIGKILL")),
      () => {},
    );
    owner.close();
    removeProfile(profile);
    // puppeteer's advice ("Increase the 'protocolTimeout'...") is not ours.
    const why = (e as Error).message.replace(/\.? ?Increase the .*$/s, "");
    throw e instanceof BrowserError ? e : new BrowserError(
      `The browser ${path} did not start: ${why}. Run it by ` +
        `hand to see why: \`${path} --headless --no-sandbox about:blank\`.`,
      { cause: e },
    );
  }
}

/**
 * Starts the browser in the background, unless it is running or starting,
 * so that the first {@linkcode renderPng} finds it ready. `show.ts` calls it
 * when the library is loaded in a notebook, whose first chart would
 * otherwise wait for the browser and plotly.js (about 0.7 s). A browser that
 * cannot start is not reported here but by the next render, as without it.
 *
 * @example Start early, draw later
 * ```ts
 * import { linePlot } from "./charts.ts";
 * import { closeBrowser, renderPng, warmUp } from "./render.ts";
 *
 * warmUp();
 * // ... other work ...
 * const png = await renderPng(linePlot({ y: [1, 2] }));
 * await closeBrowser();
 * ```
 */
export function warmUp(): void {
  if (current !== undefined) return;
  current = launch();
  current.catch(() => {}); // the next render reports it
}

/** The running browser, started if need be. */
async function browser(): Promise<Running> {
  current ??= launch();
  // A failed start is kept: every later call fails the same way, at once,
  // until closeBrowser.
  let running = await current;
  if (running.gone) { // it crashed or was killed: start another
    current = undefined;
    await stop(running);
    running = await (current = launch());
  }
  return running;
}

/** Runs a call in the browser, keeping this process up meanwhile. */
function call<T>(
  what: string,
  fn: (running: Running) => Promise<T>,
): Promise<T> {
  return interruptible(what, async () => {
    // SIGINT ends the wait (the browser is kept for the next chart).
    const watch = whenInterrupted(() =>
      `Interrupted: ${what} stopped while the browser was drawing; no ` +
      "image was made. Run the cell again to draw it."
    );
    try {
      const running = await Promise.race([browser(), watch.promise]);
      if (running.busy++ === 0) hold(running.browser.process(), true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() =>
          reject(
            new BrowserError(
              `${what} took more than ${CALL_TIMEOUT_MS / 1000} s in the ` +
                "browser and was given up (the browser is restarted at the " +
                "next chart): a figure or HTML that keeps the page busy " +
                "cannot be drawn; simplify it.",
            ),
          ), CALL_TIMEOUT_MS);
      });
      try {
        return await Promise.race([fn(running), watch.promise, late]);
      } catch (e) {
        // A page that is hung or gone elsewhere: start afresh next time.
        running.gone = true;
        if (e instanceof LessonError) throw e;
        throw new BrowserError(`${what} failed in the browser: ${e}`, {
          cause: e,
        });
      } finally {
        clearTimeout(timer);
        if (--running.busy === 0) hold(running.browser.process(), false);
      }
    } finally {
      watch.stop();
    }
  });
}

function size(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 8192) {
    throw new ArgumentError(
      `${name} must be a whole number of pixels from 1 to 8192: got ${value}.`,
    );
  }
  return value;
}

/**
 * Draws a figure as a PNG image with plotly.js in a headless browser,
 * started at the first call and reused.
 *
 * @throws {BrowserError} when no browser can start (and again, at once, at
 * every later call, until {@linkcode closeBrowser}), or plotly.js fails.
 * @throws {ArgumentError} when the size is not a whole number of pixels.
 * @throws {InterruptedError} when SIGINT (the notebook's Stop button) came
 * while it waited for the browser.
 *
 * @example A 400×300 image of a line
 * ```ts
 * import { linePlot } from "./charts.ts";
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
  const width = size(options.width ?? figure.layout.width ?? 600, "width");
  const height = size(options.height ?? figure.layout.height ?? 400, "height");
  const json = { data: figure.data, layout: figure.layout };
  const url = await call("plotly.js", ({ plotly }) =>
    plotly.evaluate(
      (figure, width, height) =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).Plotly.toImage(figure, {
          format: "png",
          width,
          height,
        }) as Promise<string>,
      json,
      width,
      height,
    ));
  return new Uint8Array(Buffer.from(url.slice(url.indexOf(",") + 1), "base64"));
}

/**
 * Draws an HTML snippet as a PNG image: the snippet is laid out in a page
 * `width` pixels wide, on white, and the image is the size of its content.
 * Images in it must be `data:` URLs; nothing else is loaded.
 *
 * @throws {BrowserError} when no browser can start, or drawing fails.
 * @throws {ArgumentError} when the width is not a whole number of pixels.
 * @throws {InterruptedError} when SIGINT (the notebook's Stop button) came
 * while it waited for the browser.
 *
 * @example A caption above a one-pixel image
 * ```ts
 * import { renderHtml } from "./render.ts";
 *
 * const png = await renderHtml(
 *   '<p>mean 3</p><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEANl9ngAAAAABJRU5ErkJggg==">',
 * );
 * ```
 */
export async function renderHtml(
  html: string,
  options: { readonly width?: number } = {},
): Promise<Uint8Array> {
  const width = size(options.width ?? 2000, "width");
  return await call("Drawing HTML", (running) => {
    const draw = async () => {
      const page = await (running.html ??= htmlPage(running.browser));
      let left: string | undefined; // where the page navigated to, if it did
      const navigated = (frame: Frame) => {
        if (frame === page.mainFrame() && !allowed(frame.url())) {
          left ??= frame.url();
        }
      };
      const refuse = () =>
        new BrowserError(
          `The HTML to draw tried to open ${left}: renderHtml draws ` +
            "static HTML, and its page may load nothing from the network " +
            "nor open another. Remove the <meta refresh>, form or script " +
            "(window.open, location) that navigates.",
        );
      const requested = (request: HTTPRequest) => {
        if (request.isNavigationRequest() && !allowed(request.url())) {
          left ??= request.url();
        }
      };
      page.on("request", requested);
      page.on("framenavigated", navigated);
      try {
        await page.setViewport({ width, height: 100, deviceScaleFactor: 1 });
        await page.setContent(
          `<!doctype html><html><body style="margin:0;background:#fff">` +
            `<div id="root" style="display:inline-block">${html}</div>` +
            `</body></html>`,
          { waitUntil: "load" },
        );
        const root = await page.$("#root");
        if (left !== undefined || root === null) throw refuse();
        const png = new Uint8Array(await root.screenshot({ type: "png" }));
        // deno-lint-ignore no-explicit-any
        left ??= await page.evaluate(() => (globalThis as any).openedUrl);
        if (left !== undefined) throw refuse();
        return png;
      } catch (e) {
        throw left === undefined ? e : refuse();
      } finally {
        page.off("framenavigated", navigated);
        page.off("request", requested);
      }
    };
    const drawn = running.htmlQueue.then(draw);
    running.htmlQueue = drawn.catch(() => {});
    return drawn;
  });
}

/** Stops a browser and removes its profile. */
async function stop(running: Running): Promise<void> {
  globalThis.removeEventListener("unload", running.onExit);
  process.off("exit", running.onExit);
  hold(running.browser.process(), true); // waiting for its exit keeps us up
  try {
    await running.browser.close();
  } catch {
    running.browser.process()?.kill("SIGKILL"); // it was gone already
  }
  running.owner.close();
  removeProfile(running.profile);
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
  let running: Running;
  try {
    if (closing === undefined) return;
    running = await closing;
  } catch {
    return; // it never started
  }
  await stop(running);
}
