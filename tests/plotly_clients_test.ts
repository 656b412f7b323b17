/**
 * Every chart the notebooks saved is a live chart in JupyterLab and VS Code,
 * drawn there by the plotly.js of the client's renderer, not always the 4.x
 * that draws our PNG images: 2.35.2 in JupyterLab with plotly 5, 3.0.1 in
 * VS Code's renderer (`_plotly_clients.ts`). With each, every saved figure
 * and every kind of figure the library builds must pass `Plotly.validate`
 * (nothing unknown, unused or invalid, which that version would drop
 * silently), draw every trace, and survive each step of its sliders.
 */
import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { GrayImage } from "../lib/load/png.ts";
import {
  type Figure,
  heatmap,
  linePlot,
  plotFunction,
  scatterPlot,
  subplots,
} from "../lib/plot/charts.ts";
import {
  plotMetrics,
  votesMap,
  weightMap,
  weightMaps,
} from "../lib/plot/lesson_figures.ts";
import { pixelTable } from "../lib/plot/images.ts";
import { decisionContour } from "../lib/plot/decision.ts";
import { browserNeeds } from "./_browser.ts";
import {
  type Checked,
  checkFigures,
  type Found,
  notebookFigures,
  RENDERERS,
} from "./_plotly_clients.ts";
import { permission, scratchAccess, testIf } from "./_support.ts";

const notebooks = new URL("../notebooks/", import.meta.url);

const versions = RENDERERS.map((r) => r.version).join(" and ");

/**
 * What each version said of each figure (`checked` holds the figures once
 * per version, in the order of {@linkcode RENDERERS}), as lines naming the
 * version and the figure; also a line for each figure drawn with fewer
 * traces than it has, or by another version than expected.
 */
function problemsOf(
  found: readonly Found[],
  checked: readonly Checked[],
): string[] {
  return checked.flatMap((c, k) => {
    const figure = found[k % found.length].figure;
    const traces = (figure.data as unknown[]).length;
    const expected = RENDERERS[Math.floor(k / found.length)].version;
    return [
      ...c.problems,
      ...(c.traces === traces ? [] : [`drew ${c.traces} of ${traces} traces`]),
      ...(c.version === expected ? [] : [`drawn by ${c.version}`]),
    ].map((p) => `plotly.js ${expected}, ${c.where}: ${p}`);
  });
}

function allFigures(): Found[] {
  const paths = [...Deno.readDirSync(notebooks)]
    .filter((entry) => entry.name.endsWith(".ipynb"))
    .map((entry) => `notebooks/${entry.name}`)
    .sort();
  return paths.flatMap((path) =>
    notebookFigures(new URL(`../${path}`, import.meta.url).pathname)
      .map((found) => ({
        ...found,
        where: found.where.replace(/^.*\/notebooks\//, "notebooks/"),
      }))
  );
}

testIf(
  `every saved chart of every notebook validates and draws in plotly.js ${versions}`,
  [
    ...browserNeeds,
    ...scratchAccess,
    permission({ name: "read", path: notebooks }),
  ],
  async () => {
    const found = allFigures();
    assert.ok(found.length > 0, "no plotly figure in any notebook");
    const { checked, pageErrors } = await checkFigures(found);
    const problems = problemsOf(found, checked);
    assert.deepEqual(
      [...problems, ...pageErrors],
      [],
      `plotly.js ${versions} reject or ignore parts of ` +
        `${new Set(problems.map((p) => p.split(": ")[0])).size} of ` +
        `${found.length} figures × ${RENDERERS.length} versions:\n` +
        [...problems, ...pageErrors].join("\n"),
    );
  },
);

testIf(
  `every kind of chart the library builds validates and draws in plotly.js ${versions}`,
  [...browserNeeds, ...scratchAccess],
  async () => {
    const side = Array.from({ length: 784 }, (_, i) => (i % 28) / 14 - 1);
    const weights = tf.tensor2d(
      Array.from({ length: 784 * 3 }, (_, k) => (k % 7) - 3),
      [784, 3],
    );
    const image: GrayImage = {
      width: 28,
      height: 28,
      pixels: Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256),
    };
    const curve = (title: string, connect: boolean) =>
      plotFunction((x) => x * x, {
        min: -2,
        max: 2,
        title,
        points: [-1.5, 1],
        connect,
      });
    const records = [0, 1].map((epoch) => ({
      epoch,
      trainLoss: 0.3 - epoch / 10,
      validLoss: 0.25 - epoch / 10,
      metrics: { accuracy: 0.8 + epoch / 10 },
    }));
    const figures: [string, Figure][] = [
      ["plotFunction with points", curve("x²", false)],
      ["plotFunction with connected points", curve("x²", true)],
      [
        "linePlot",
        linePlot([{ name: "a", y: [1, 2] }, {
          name: "b",
          y: [2, 1],
          dash: "dash",
        }]),
      ],
      [
        "scatterPlot",
        scatterPlot([{ name: "a", y: [1, 2] }, {
          name: "fit",
          y: [2, 1],
          mode: "lines",
        }]),
      ],
      [
        "subplots of curves and scatters",
        subplots([
          curve("a", true),
          curve("b", false),
          scatterPlot({ name: "s", y: [1, 3] }),
        ], { columns: 2, title: "panels" }),
      ],
      [
        "heatmap",
        heatmap([[0, 1], [2, 3]], { title: "h", colorbarTitle: "value" }),
      ],
      ["weightMap", weightMap(side, { title: "w" })],
      ["weightMaps", weightMaps(weights, { columns: 2, title: "neurons" })],
      ["votesMap", votesMap(side.map(Math.abs), side, 0.5, { votesRange: 1 })],
      ["plotMetrics", plotMetrics(records)],
      ["pixelTable", pixelTable(image, [4, 15], [4, 22])],
      [
        "decisionContour",
        decisionContour(
          { x: [1, -1, 0.5], y: [1, -1, -0.5], label: [1, 0, 1] },
          {
            range: [-2, 2],
            classes: ["3", "7"],
            weights: {
              prefix: "angle ",
              states: [0, 1, 2].map((a) => ({
                w1: Math.cos(a),
                w2: Math.sin(a),
              })),
            },
            biases: { prefix: "b = ", values: [-0.5, 0, 0.5] },
          },
        ),
      ],
    ];
    weights.dispose();
    const found = figures.map(([where, figure]) => ({ where, figure }));
    const { checked, pageErrors } = await checkFigures(found);
    assert.deepEqual([...problemsOf(found, checked), ...pageErrors], []);
  },
);
