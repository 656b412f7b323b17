import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Buffer } from "node:buffer";
import { decode, encode } from "fast-png";
import { linePlot, plotFunction } from "../lib/plot/charts.ts";
import { weightMap } from "../lib/plot/lesson_figures.ts";
import { decodePng, encodePng } from "../lib/load/png.ts";
import { ArgumentError, BrowserError } from "../lib/errors.ts";
import {
  closeBrowser,
  renderHtml,
  renderPng,
  warmUp,
} from "../lib/plot/render.ts";
import {
  browserNeeds,
  NO_BROWSER,
  processesWith,
  profiles,
  subprocessNeeds,
  userId,
  withEnv,
} from "./_browser.ts";
import { permission, testIf } from "./_support.ts";

testIf(
  "renderPng draws a figure as a PNG of the requested size, with something on it",
  browserNeeds,
  async () => {
    try {
      const figure = plotFunction((x) => x * x, {
        min: -2,
        max: 2,
        title: "x²",
      });
      const png = renderPng(figure, { width: 320, height: 240 });
      const image = decodePng(await png, "the rendered figure");
      assert.deepEqual([image.width, image.height], [320, 240]);
      const levels = new Set(image.pixels);
      assert.ok(levels.size > 10, `only ${levels.size} gray levels: blank?`);
      // The page is white, and the curve and the text are dark.
      assert.equal(image.pixels[0], 255);
      assert.ok(image.pixels.some((p) => p < 100));
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "warmUp starts one browser ahead of the first render, which then uses it",
  browserNeeds,
  async () => {
    const before = profiles();
    try {
      warmUp();
      warmUp(); // already starting: nothing more
      const png = await renderPng(linePlot({ y: [1, 2] }), {
        width: 100,
        height: 80,
      });
      assert.deepEqual(
        [decodePng(png, "the figure").width, profiles().length],
        [100, before.length + 1],
      );
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "a warm-up without a browser leaves the failure to the next render, not to an unhandled rejection",
  [...browserNeeds, permission({ name: "env", variable: "CHROMIUM_PATH" })],
  async () => {
    await withEnv({ CHROMIUM_PATH: NO_BROWSER }, async () => {
      warmUp();
      // Let the failed start settle: an unhandled rejection fails the test.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assert.rejects(
        renderPng(linePlot({ y: [1, 2] })),
        /no-such-chromium/,
      );
    });
  },
);

testIf(
  "renderPng takes the size from the figure's layout, else 600×400",
  browserNeeds,
  async () => {
    try {
      const plain = decodePng(
        await renderPng(linePlot({ y: [1, 2] })),
        "plain",
      );
      assert.deepEqual([plain.width, plain.height], [600, 400]);
      const sized = weightMap(new Float32Array(784)); // 460×400 in its layout
      const map = decodePng(await renderPng(sized), "weight map");
      assert.deepEqual([map.width, map.height], [460, 400]);
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "a rendered weight map is red where weights are negative, white at zero, blue where positive",
  browserNeeds,
  async () => {
    try {
      // Columns 0-8 negative, 9-18 zero, 19-27 positive.
      const weights = Array.from({ length: 784 }, (_, i) => {
        const column = i % 28;
        return column < 9 ? -1 : column < 19 ? 0 : 1;
      });
      const png = await renderPng(weightMap(weights), {
        width: 460,
        height: 400,
      });
      const { width, height, data, channels } = decode(png);
      const row = Math.floor(height / 2);
      const colours = Array.from({ length: width }, (_, x) => {
        const at = (row * width + x) * channels;
        const [r, g, b] = [data[at], data[at + 1], data[at + 2]];
        if (r > 150 && r > b + 80 && g < 100) return "red";
        if (b > 120 && b > r + 80) return "blue";
        if (r > 250 && g > 250 && b > 250) return "white";
        return "other";
      });
      const wide = (c: string) => colours.filter((d) => d === c).length;
      assert.ok(
        wide("red") > 60 && wide("blue") > 60,
        `red ${wide("red")} pixels, blue ${wide("blue")}`,
      );
      // White between red and blue: the zero weights.
      const red = colours.lastIndexOf("red"), blue = colours.indexOf("blue");
      assert.ok(red < blue, "red on the left, blue on the right");
      const between = colours.slice(red + 1, blue);
      assert.ok(between.filter((c) => c === "white").length > 60);
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "one browser serves every render until closeBrowser stops it and removes its profile",
  browserNeeds,
  async () => {
    const before = new Set(profiles()); // left by processes that were killed
    const ours = () => profiles().filter((name) => !before.has(name));
    try {
      await renderPng(linePlot({ y: [1, 2] }));
      const [profile] = ours();
      assert.ok(profile !== undefined);
      await Promise.all(
        [1, 2, 3].map((n) => renderPng(linePlot({ y: [n, 0] }))),
      );
      assert.deepEqual(ours(), [profile]);
    } finally {
      await closeBrowser();
    }
    assert.deepEqual(ours(), []);
    // The next render starts a new browser.
    try {
      await renderPng(linePlot({ y: [2, 1] }));
      assert.equal(ours().length, 1);
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "starting a browser removes the profile folders of processes that are gone, and only those",
  browserNeeds,
  async () => {
    const data = fileURLToPath(new URL("../data/", import.meta.url));
    // A process that was killed: its lock file is there, but nobody holds it.
    const gone = await Deno.makeTempDir({ dir: data, prefix: ".browser-" });
    await Deno.writeTextFile(`${gone}/owner.lock`, "");
    // A process that lives: it holds its lock.
    const alive = await Deno.makeTempDir({ dir: data, prefix: ".browser-" });
    const held = await Deno.open(`${alive}/owner.lock`, {
      write: true,
      create: true,
    });
    await held.lock(true);
    // A browser starting in another process: no lock yet, a fresh folder.
    const starting = await Deno.makeTempDir({
      dir: data,
      prefix: ".browser-",
    });
    const name = (path: string) => path.split("/").pop()!;
    try {
      await renderPng(linePlot({ y: [1, 2] }));
      assert.ok(!profiles().includes(name(gone)), "the dead one is removed");
      assert.ok(profiles().includes(name(alive)), "the live one is kept");
      assert.ok(profiles().includes(name(starting)), "the new one is kept");
    } finally {
      await closeBrowser();
      held.close();
      for (const path of [gone, alive, starting]) {
        await Deno.remove(path, { recursive: true }).catch(() => {});
      }
    }
  },
);

testIf(
  "renderPng refuses a size that is not a whole number of pixels",
  browserNeeds,
  async () => {
    for (const size of [{ width: 0 }, { height: 1.5 }, { width: NaN }]) {
      await assert.rejects(
        renderPng(linePlot({ y: [1] }), size),
        ArgumentError,
      );
    }
  },
);

/** A loopback server that counts the requests it gets. */
function countingServer(): { url: string; count: () => number } & Disposable {
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      requests++;
      return new Response(
        new Uint8Array(encodePng(new Uint8Array([0]), 1, 1)),
        {
          headers: { "content-type": "image/png" },
        },
      );
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    count: () => requests,
    [Symbol.dispose]: () => void server.shutdown(),
  };
}

testIf(
  "the browser loads no remote URL that a figure or a page names, but draws data: images",
  [...browserNeeds, permission({ name: "net", host: "127.0.0.1" })],
  async () => {
    using server = countingServer();
    // The server works: a request from here is counted.
    await (await fetch(`${server.url}/check.png`)).body?.cancel();
    assert.equal(server.count(), 1);
    const red = `data:image/png;base64,${
      Buffer.from(redSquare()).toString("base64")
    }`;
    const image = (source: string, x: number) => ({
      source,
      xref: "paper" as const,
      yref: "paper" as const,
      x,
      y: 1,
      sizex: 0.4,
      sizey: 1,
      sizing: "stretch" as const,
      layer: "above" as const,
    });
    try {
      const png = await renderPng({
        data: [{ type: "scatter", y: [1, 2] }],
        layout: {
          images: [image(`${server.url}/figure.png`, 0), image(red, 0.6)],
        },
      }, { width: 300, height: 200 });
      await renderHtml(`<img src="${server.url}/page.png"><p>text</p>`);
      assert.equal(server.count(), 1, "no request reached the server");
      const { data, channels } = decode(png);
      let reds = 0;
      for (let i = 0; i < data.length; i += channels) {
        if (data[i] > 200 && data[i + 1] < 60 && data[i + 2] < 60) reds++;
      }
      assert.ok(reds > 1000, `the data: image is drawn (${reds} red pixels)`);
    } finally {
      await closeBrowser();
    }
  },
);

/** A 4×4 red PNG. */
function redSquare(): Uint8Array {
  return encode({
    width: 4,
    height: 4,
    channels: 3,
    data: new Uint8Array(48).fill(0).map((_, i) => i % 3 === 0 ? 255 : 0),
  });
}

testIf(
  "renderHtml draws a snippet at its own size, keeping a data: image's pixels exact",
  browserNeeds,
  async () => {
    const pixels = Uint8Array.from(
      { length: 30 * 20 },
      (_, i) => (i * 7) % 256,
    );
    const source = Buffer.from(encodePng(pixels, 30, 20)).toString("base64");
    try {
      const png = await renderHtml(
        `<img style="display:block" src="data:image/png;base64,${source}">`,
      );
      const image = decodePng(png, "the snippet");
      assert.deepEqual([image.width, image.height], [30, 20]);
      assert.deepEqual([...image.pixels], [...pixels]);
    } finally {
      await closeBrowser();
    }
  },
);

/** Runs tests/_render_child.ts; returns it and the profile it prints. */
async function renderingChild(
  mode: "stay" | "exit" | "Deno.exit",
): Promise<{ child: Deno.ChildProcess; profile: string }> {
  const child = new Deno.Command("deno", {
    args: ["run", "-P", "--quiet", "tests/_render_child.ts", mode],
    cwd: fileURLToPath(new URL("../", import.meta.url)),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const { profile } = JSON.parse(value ?? "{}");
  assert.ok(profile, `the child printed ${value}`);
  return { child, profile };
}

/** Waits until no live process names the profile; returns those left. */
async function browserGone(profile: string): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = await processesWith(profile);
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return left;
}

testIf(
  "the browser is driven over a pipe, with no debugging port, sandboxed unless root, and dies when its Deno process is killed",
  subprocessNeeds,
  async () => {
    const { child, profile } = await renderingChild("stay");
    try {
      const lines = await processesWith(profile);
      assert.ok(lines.length > 0, "the browser runs");
      const main = lines.find((l) => l.includes("--remote-debugging"))!;
      assert.match(main, /--remote-debugging-pipe/);
      assert.doesNotMatch(main, /--remote-debugging-port/);
      const files = [...Deno.readDirSync(`data/${profile}`)].map((e) => e.name);
      assert.ok(!files.includes("DevToolsActivePort"));
      // The sandbox is turned off only for root, who cannot have it.
      assert.equal(main.includes("--no-sandbox"), await userId() === 0);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
    assert.deepEqual(await browserGone(profile), [], "no browser survives");
    // Its folder is left behind; the next browser to start removes it.
    assert.ok(profiles().includes(profile));
    try {
      await renderPng(linePlot({ y: [1, 2] }));
      assert.ok(!profiles().includes(profile));
    } finally {
      await closeBrowser();
    }
  },
);

testIf(
  "a script that renders ends (by itself or by Deno.exit) without closeBrowser, and takes its browser with it",
  subprocessNeeds,
  async () => {
    for (const mode of ["exit", "Deno.exit"] as const) {
      const { child, profile } = await renderingChild(mode);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const { code, signal } = await child.status;
      clearTimeout(timer);
      await child.stdout.cancel().catch(() => {});
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
      assert.deepEqual(await browserGone(profile), []);
      assert.ok(!profiles().includes(profile), "its folder is removed at exit");
    }
  },
);

/** A loopback server that counts what reaches it, WebSockets included. */
function loopback(): {
  readonly port: number;
  readonly hits: string[];
  close(): Promise<void>;
} {
  const hits: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      hits.push(new URL(request.url).pathname);
      if (request.headers.get("upgrade") === "websocket") {
        return Deno.upgradeWebSocket(request).response;
      }
      return new Response("reached");
    },
  );
  return { port: server.addr.port, hits, close: () => server.shutdown() };
}

testIf(
  "the HTML page reaches nothing on the network, loopback included: no WebSocket, prefetch, fetch, EventSource or beacon",
  [...browserNeeds, permission({ name: "net", host: "127.0.0.1" })],
  async () => {
    const server = loopback();
    const at = `127.0.0.1:${server.port}`;
    try {
      await renderHtml(
        `<p>x</p><link rel="prefetch" href="http://${at}/prefetch">` +
          `<link rel="stylesheet" href="http://${at}/css">` +
          `<script>new WebSocket("ws://${at}/ws");` +
          `fetch("http://${at}/fetch").catch(() => {});` +
          `new EventSource("http://${at}/events");` +
          `navigator.sendBeacon("http://${at}/beacon", "x");</script>`,
        { width: 100 },
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.deepEqual(server.hits, []);
    } finally {
      await closeBrowser();
      await server.close();
    }
  },
);

testIf(
  "window.open, <meta refresh> and a form submit are a BrowserError naming the URL, at once and not a protocol timeout",
  [...browserNeeds, permission({ name: "net", host: "127.0.0.1" })],
  async () => {
    const server = loopback();
    const at = `http://127.0.0.1:${server.port}`;
    try {
      for (
        const [html, url] of [
          [`<script>window.open("${at}/open")</script>`, `${at}/open`],
          [`<meta http-equiv="refresh" content="0;url=${at}/r">`, `${at}/r`],
          [
            `<form action="${at}/f"></form>` +
            "<script>document.forms[0].submit()</script>",
            `${at}/f?`,
          ],
        ]
      ) {
        const started = performance.now();
        await assert.rejects(renderHtml(`<p>x</p>${html}`), (e: Error) => {
          assert.ok(e instanceof BrowserError, String(e));
          assert.equal(
            e.message,
            `The HTML to draw tried to open ${url}: renderHtml draws static ` +
              "HTML, and its page may load nothing from the network nor " +
              "open another. Remove the <meta refresh>, form or script " +
              "(window.open, location) that navigates.",
          );
          return true;
        });
        assert.ok(performance.now() - started < 15_000, "not a timeout");
      }
      // The next drawing works.
      assert.ok((await renderHtml("<p>fine</p>", { width: 100 })).length > 0);
      assert.deepEqual(server.hits, []);
    } finally {
      await closeBrowser();
      await server.close();
    }
  },
);

/** Runs `_browser_path_child.ts` with CHROMIUM_PATH set to a file made here. */
async function withBrowserPath(
  name: string,
  text: string,
  mode: number,
): Promise<{ report: Record<string, unknown>; alive: boolean }> {
  const scratch = new URL("./.scratch/", import.meta.url);
  Deno.mkdirSync(scratch, { recursive: true });
  const path = fileURLToPath(new URL(name, scratch));
  Deno.writeTextFileSync(path, text, { mode });
  Deno.chmodSync(path, mode);
  try {
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "-P",
        `--allow-run=${path}`,
        "tests/_browser_path_child.ts",
      ],
      cwd: new URL("../", import.meta.url),
      env: { CHROMIUM_PATH: path },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    const json = lines.find((line) => line.startsWith("{"));
    assert.ok(json, new TextDecoder().decode(output.stderr));
    return { report: JSON.parse(json), alive: lines.includes("alive") };
  } finally {
    Deno.removeSync(path);
  }
}

testIf(
  "a CHROMIUM_PATH that is not a program is a BrowserError saying so, and the process lives on",
  [...subprocessNeeds, ...browserNeeds],
  async () => {
    for (
      const [text, mode] of [["not a program\n", 0o644], [
        "text\n",
        0o755,
      ]] as const
    ) {
      const { report, alive } = await withBrowserPath(
        "not-chromium",
        text,
        mode,
      );
      assert.equal(report.name, "BrowserError", String(report.message));
      assert.match(
        String(report.message),
        /^CHROMIUM_PATH is \S+not-chromium, which is not a program that can run \(not executable, or neither a binary nor a script\): set CHROMIUM_PATH to a Chromium or Chrome binary, or unset it\.$/,
      );
      assert.ok(alive, "the process crashed after the error");
    }
  },
);

testIf(
  "a CHROMIUM_PATH that hangs is given up after the 30 s start timeout, without puppeteer's advice",
  [...subprocessNeeds, ...browserNeeds],
  async () => {
    const { report, alive } = await withBrowserPath(
      "hanging-chromium",
      "#!/bin/sh\nsleep 40\n",
      0o755,
    );
    assert.equal(report.name, "BrowserError", String(report.message));
    assert.match(
      String(report.message),
      /^The browser \S+hanging-chromium did not start within 30 s: it may not be Chromium or Chrome\. Set CHROMIUM_PATH to a Chromium or Chrome binary, or unset it; run it by hand to see why: /,
    );
    assert.doesNotMatch(String(report.message), /protocolTimeout/);
    assert.ok(Number(report.seconds) < 40, `it took ${report.seconds} s`);
    assert.ok(alive);
  },
);

testIf(
  "a data/ that cannot be written does not stop charts: the browser's profile goes to the temporary folder",
  subprocessNeeds,
  async () => {
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "-P",
        // data/ not writable; the temporary folder is.
        "--allow-read=.,/usr/bin/chromium,/tmp",
        "--allow-write=/tmp",
        "tests/_browser_path_child.ts",
      ],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    const report = JSON.parse(lines[0]);
    assert.equal(report.name, undefined, report.message);
    assert.ok(lines.includes("alive"));
  },
);

testIf(
  "a drawing that keeps the page busy ends after 30 s with a BrowserError, and the next one works",
  browserNeeds,
  async () => {
    try {
      const started = performance.now();
      await assert.rejects(
        renderHtml(
          "<p>busy</p><script>const t = Date.now() + 45000; " +
            "while (Date.now() < t) {}</script>",
          { width: 100 },
        ),
        (e: Error) =>
          e instanceof BrowserError &&
          e.message ===
            "Drawing HTML took more than 30 s in the browser and was given " +
              "up (the browser is restarted at the next chart): a figure or " +
              "HTML that keeps the page busy cannot be drawn; simplify it.",
      );
      const seconds = (performance.now() - started) / 1000;
      assert.ok(seconds < 40, `it took ${seconds} s`);
      assert.ok((await renderHtml("<p>fine</p>", { width: 100 })).length > 0);
    } finally {
      await closeBrowser();
    }
  },
);
