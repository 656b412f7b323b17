import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  linePlot,
  plotFunction,
  scatterPlot,
  subplots,
} from "../lib/plot/charts.ts";
import { decodePng, encodePng } from "../lib/load/png.ts";
import { closeBrowser } from "../lib/plot/render.ts";
import { ArgumentError, BrowserError } from "../lib/errors.ts";
import {
  bundle,
  notebookDisplay,
  type Picture,
  pngRequired,
  show,
  tableBundle,
} from "../lib/plot/show.ts";
import { browserNeeds, NO_BROWSER, withEnv } from "./_browser.ts";
import { permission, testIf } from "./_support.ts";
import { PLOTLY, recorder } from "./_display.ts";

/** Runs `fn` with console[method] replaced by a collector; returns the lines. */
async function capture(
  method: "log" | "warn",
  fn: () => Promise<void>,
): Promise<string[]> {
  const lines: string[] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return lines;
}

const sigmoid = plotFunction((x) => 1 / (1 + Math.exp(-x)), {
  min: -4,
  max: 4,
  title: "sigmoid",
});

testIf(
  "show sends a chart as plotly JSON, a PNG of the requested size and one line of text",
  browserNeeds,
  async () => {
    const { display, shown } = recorder();
    try {
      await show(sigmoid, { display, width: 500, height: 300 });
    } finally {
      await closeBrowser();
    }
    assert.equal(shown.length, 1);
    const [mime, options] = shown[0];
    assert.deepEqual(options, {});
    assert.deepEqual(Object.keys(mime).sort(), [
      PLOTLY,
      "image/png",
      "text/plain",
    ]);
    assert.deepEqual(mime[PLOTLY], {
      data: sigmoid.data,
      layout: { ...sigmoid.layout, width: 500, height: 300 },
    });
    assert.equal(mime["text/plain"], 'Figure "sigmoid": sigmoid');
    const png = Buffer.from(mime["image/png"]!, "base64");
    const image = decodePng(png, "the chart");
    assert.deepEqual([image.width, image.height], [500, 300]);
    assert.ok(new Set(image.pixels).size > 10, "the image is not blank");
  },
);

Deno.test("a chart's text is one line: its title and its series, never the data", async () => {
  const two = linePlot([
    { name: "trainLoss", y: Array.from({ length: 500 }, Math.random) },
    { name: "validLoss", y: [1, 2] },
  ], { title: "loss<br>by epoch" });
  const text = (await bundle(two, { png: false }))["text/plain"];
  assert.equal(text, 'Figure "loss by epoch": trainLoss, validLoss');
  const untitled = (await bundle(scatterPlot({ y: [1] }), { png: false }))[
    "text/plain"
  ];
  assert.equal(untitled, "Figure: scatter");
  const panels = subplots([
    linePlot({ name: "speed", y: [1] }, { title: "step 0" }),
    linePlot({ name: "speed", y: [2] }, { title: "step 1" }),
  ]);
  const panelText = (await bundle(panels, { png: false }))["text/plain"];
  assert.equal(panelText, 'Figure "step 0 | step 1": speed');
});

Deno.test("a size given to bundle reaches the interactive chart, and only a given size", async () => {
  const wide = subplots([sigmoid, sigmoid], { columns: 2 });
  const sized = await bundle(wide, { png: false, width: 900, height: 420 });
  const layout = sized[PLOTLY]!.layout;
  assert.deepEqual([layout.width, layout.height], [900, 420]);
  const widthOnly = await bundle(wide, { png: false, width: 700 });
  assert.deepEqual(
    [widthOnly[PLOTLY]!.layout.width, widthOnly[PLOTLY]!.layout.height],
    [700, wide.layout.height],
  );
  assert.deepEqual(
    (await bundle(wide, { png: false }))[PLOTLY]!.layout,
    wide.layout,
  );
  assert.notEqual(
    wide.layout.width,
    900,
    "the figure itself is left as it was",
  );
});

Deno.test("bundle leaves out the PNG when asked, and then needs no browser", async () => {
  const mime = await bundle(sigmoid, { png: false });
  assert.deepEqual(Object.keys(mime).sort(), [PLOTLY, "text/plain"]);
});

Deno.test("show sends a picture as its PNG and its line of text", async () => {
  const pixels = new Uint8Array([0, 255, 255, 0]);
  const picture: Picture = {
    png: encodePng(pixels, 2, 2),
    width: 2,
    height: 2,
    text: "a checkerboard",
  };
  const { display, shown } = recorder();
  await show(picture, { display });
  assert.equal(shown.length, 1);
  const [mime] = shown[0];
  assert.deepEqual(Object.keys(mime).sort(), ["image/png", "text/plain"]);
  assert.equal(mime["text/plain"], "a checkerboard");
  const image = decodePng(Buffer.from(mime["image/png"]!, "base64"), "picture");
  assert.deepEqual([...image.pixels], [...pixels]);
});

Deno.test("outside a notebook there is no notebook display, and show prints the line of text", async () => {
  assert.equal(notebookDisplay(), undefined);
  const lines = await capture("log", () => show(sigmoid));
  assert.deepEqual(lines, ['Figure "sigmoid": sigmoid']);
});

const chromiumPath = permission({ name: "env", variable: "CHROMIUM_PATH" });
const requirePng = permission({ name: "env", variable: "MNIST_REQUIRE_PNG" });

/** Runs `fn` without a browser, with MNIST_REQUIRE_PNG set to `required`. */
const withoutBrowser = (
  required: string | undefined,
  fn: () => void | Promise<void>,
) => withEnv({ CHROMIUM_PATH: NO_BROWSER, MNIST_REQUIRE_PNG: required }, fn);

testIf(
  "without a browser, charts are sent without a PNG, and one line says how to get one",
  [chromiumPath, requirePng],
  async () => {
    const { display, shown } = recorder();
    await withoutBrowser(undefined, async () => {
      const warnings = await capture("warn", async () => {
        await show(sigmoid, { display });
        await show(linePlot({ name: "loss", y: [2, 1] }), { display });
      });
      assert.equal(shown.length, 2);
      for (const [mime] of shown) {
        assert.deepEqual(Object.keys(mime).sort(), [PLOTLY, "text/plain"]);
      }
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.ok(!warnings[0].includes("\n"));
      assert.match(warnings[0], /no-such-chromium/);
      assert.match(warnings[0], /CHROMIUM_PATH/);
    });
  },
);

testIf(
  "with MNIST_REQUIRE_PNG=1, a chart that no browser can draw is an error, and nothing is shown",
  [chromiumPath, requirePng],
  async () => {
    const { display, shown } = recorder();
    await withoutBrowser("1", async () => {
      assert.equal(pngRequired(), true);
      await assert.rejects(show(sigmoid, { display }), (e: Error) => {
        assert.ok(e instanceof BrowserError);
        assert.match(e.message, /no-such-chromium/);
        assert.match(e.message, /MNIST_REQUIRE_PNG=1 requires/);
        return true;
      });
      // A picture needs no browser: it is shown.
      await show(
        {
          png: encodePng(new Uint8Array([0]), 1, 1),
          width: 1,
          height: 1,
          text: "dot",
        },
        { display },
      );
    });
    assert.deepEqual(shown.map(([b]) => b["text/plain"]), ["dot"]);
  },
);

testIf(
  "MNIST_REQUIRE_PNG is off when unset or 0",
  [requirePng],
  async () => {
    for (const value of [undefined, "0"]) {
      await withoutBrowser(value, () => {
        assert.equal(pngRequired(), false);
      });
    }
  },
);

Deno.test("tableBundle aligns numbers right and text left, in HTML and in text", () => {
  const table = tableBundle(["epoch", "model", "accuracy", "time"], [
    ["0", "linear", "0.9818", "0.05 s"],
    ["10", "a<b", "0.9", "1.25 s"],
  ]);
  assert.deepEqual(table["text/plain"].split("\n"), [
    "epoch  model   accuracy    time",
    "0      linear    0.9818  0.05 s",
    "10     a<b          0.9  1.25 s",
  ]);
  const html = table["text/html"]!;
  assert.match(html, /<td>linear<\/td><td align="right">0\.9818<\/td>/);
  assert.match(html, /<td>a&lt;b<\/td>/);
});

Deno.test("tableBundle refuses a row without one cell per column", () => {
  assert.throws(
    () => tableBundle(["a", "b"], [["1", "2"], ["3"]]),
    (e: Error) =>
      e instanceof ArgumentError && /Row 1 .* 1 cells for 2/.test(e.message),
  );
});
