import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { decode } from "fast-png";
import { linePlot, plotFunction, weightMap } from "../lib/plot/figures.ts";
import { decodePng } from "../lib/load/png.ts";
import { closeBrowser, renderPng } from "../lib/plot/render.ts";
import { browserNeeds, profiles } from "./_browser.ts";
import { testIf } from "./_support.ts";

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
  "starting a browser removes the profile folders of browsers that are gone, and only those",
  browserNeeds,
  async () => {
    const data = fileURLToPath(new URL("../data/", import.meta.url));
    // A browser that was killed: its port no longer answers.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("{}"),
    );
    const port = server.addr.port;
    await server.shutdown();
    const gone = await Deno.makeTempDir({
      dir: data,
      prefix: ".browser-",
    });
    await Deno.writeTextFile(
      `${gone}/DevToolsActivePort`,
      `${port}\n/devtools/browser/x\n`,
    );
    // A browser starting in another process: no port yet, a fresh folder.
    const starting = await Deno.makeTempDir({
      dir: data,
      prefix: ".browser-",
    });
    try {
      await renderPng(linePlot({ y: [1, 2] }));
      assert.ok(
        !profiles().includes(gone.split("/").pop()!),
        "the dead one is removed",
      );
      assert.ok(
        profiles().includes(starting.split("/").pop()!),
        "the starting one is kept",
      );
    } finally {
      await closeBrowser();
      await Deno.remove(gone, { recursive: true }).catch(() => {});
      await Deno.remove(starting, { recursive: true });
    }
  },
);
