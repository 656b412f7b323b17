/**
 * Every chart the notebooks saved is a live chart in JupyterLab and VS Code,
 * drawn there by the plotly.js of the client's renderer, not by the 4.x that
 * draws our PNG images. JupyterLab's (`jupyterlab-plotly` 5.24.1) is
 * plotly.js 2.35.2: each saved figure must pass its `Plotly.validate`
 * (nothing unknown, unused or invalid, which that version would drop
 * silently), draw every trace, and survive each step of its sliders.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { GrayImage } from "../lib/load/png.ts";
import {
  decisionLine,
  type Figure,
  heatmap,
  linePlot,
  plotFunction,
  plotMetrics,
  scatterPlot,
  subplots,
  votesMap,
  weightMap,
  weightMaps,
} from "../lib/plot/figures.ts";
import { pixelTable } from "../lib/plot/images.ts";
import { browserNeeds } from "./_browser.ts";
import {
  checkFigures,
  type Found,
  notebookFigures,
  PLOTLY_VERSION,
} from "./_plotly2.ts";
import { permission, scratchAccess, testIf } from "./_support.ts";

const notebooks = new URL("../notebooks/", import.meta.url);

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
  `every saved chart of every notebook validates and draws in plotly.js ${PLOTLY_VERSION}`,
  [
    ...browserNeeds,
    ...scratchAccess,
    permission({ name: "read", path: notebooks }),
  ],
  async () => {
    const found = allFigures();
    assert.ok(found.length > 0, "no plotly figure in any notebook");
    const { checked, pageErrors } = await checkFigures(found);
    assert.equal(checked[0].version, PLOTLY_VERSION);
    const problems = checked.flatMap((c, i) => {
      const traces = (found[i].figure.data as unknown[]).length;
      return [
        ...c.problems,
        ...(c.traces === traces
          ? []
          : [`drew ${c.traces} of ${traces} traces`]),
      ].map((p) => `${c.where}: ${p}`);
    });
    assert.deepEqual(
      [...problems, ...pageErrors],
      [],
      `plotly.js ${PLOTLY_VERSION} rejects or ignores parts of ` +
        `${new Set(problems.map((p) => p.split(": ")[0])).size} of ` +
        `${found.length} figures:\n${[...problems, ...pageErrors].join("\n")}`,
    );
  },
);

testIf(
  `every kind of chart the library builds validates and draws in plotly.js ${PLOTLY_VERSION}`,
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
        "decisionLine",
        decisionLine(
          { x: [1, -1, 0.5], y: [1, -1, -0.5], label: [1, 0, 1] },
          [
            {
              prefix: "angle ",
              states: [0, 1, 2].map((a) => ({
                w1: Math.cos(a),
                w2: Math.sin(a),
                b: 0,
              })),
            },
            {
              prefix: "b ",
              states: [{ w1: 1, w2: 1, b: -1 }, { w1: 1, w2: 1, b: 0.5 }],
            },
          ],
          { range: [-2, 2], classes: ["3", "7"] },
        ),
      ],
    ];
    weights.dispose();
    const { checked, pageErrors } = await checkFigures(
      figures.map(([where, figure]) => ({ where, figure })),
    );
    const problems = checked.flatMap((c, i) =>
      [
        ...c.problems,
        ...(c.traces === figures[i][1].data.length
          ? []
          : [`drew ${c.traces} traces`]),
      ].map((p) => `${c.where}: ${p}`)
    );
    assert.deepEqual([...problems, ...pageErrors], []);
  },
);
