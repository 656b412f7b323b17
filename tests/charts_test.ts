import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ArgumentError } from "../lib/errors.ts";
import {
  type Figure,
  heatmap,
  linePlot,
  plotFunction,
  scatterPlot,
  subplots,
  type Trace,
} from "../lib/plot/charts.ts";

/** A trace's fields, whatever its type. */
// deno-lint-ignore no-explicit-any
const fields = (trace: Trace) => trace as Record<string, any>;
// deno-lint-ignore no-explicit-any
const layoutOf = (figure: Figure) => figure.layout as Record<string, any>;

Deno.test("plotFunction samples f from min to max, both ends included", () => {
  const figure = plotFunction((x) => x * x, { min: -2, max: 2, steps: 4 });
  assert.equal(figure.data.length, 1);
  const curve = fields(figure.data[0]);
  assert.equal(curve.type, "scatter");
  assert.equal(curve.mode, "lines");
  assert.deepEqual(curve.x, [-2, -1, 0, 1, 2]);
  assert.deepEqual(curve.y, [4, 1, 0, 1, 4]);
  assert.equal(curve.name, "f(x)");
  assert.equal(
    fields(plotFunction(Math.sin, { min: 0, max: 1 }).data[0]).x.length,
    201,
  );
});

Deno.test("plotFunction marks the given points on the curve in red, like x = -1.5 on x²", () => {
  const figure = plotFunction((x) => x * x, {
    min: -2,
    max: 2,
    title: "f(x) = x²",
    points: [-1.5],
  });
  assert.equal(figure.data.length, 2);
  const points = fields(figure.data[1]);
  assert.deepEqual([points.x, points.y], [[-1.5], [2.25]]);
  assert.equal(points.mode, "markers");
  assert.equal(points.marker.color, "#d62728");
  assert.deepEqual(layoutOf(figure).title, { text: "f(x) = x²" });
  assert.equal(fields(figure.data[0]).name, "f(x) = x²");
  assert.equal(layoutOf(figure).showlegend, true);
});

Deno.test("plotFunction joins the points in order when asked, as steps of gradient descent", () => {
  const steps = [-1.5, -0.9, -0.54];
  const figure = plotFunction((x) => x * x, {
    min: -2,
    max: 2,
    points: steps,
    connect: true,
  });
  const points = fields(figure.data[1]);
  assert.equal(points.mode, "lines+markers");
  assert.deepEqual(points.x, steps);
});

Deno.test("plotFunction labels the axes x and y unless told otherwise", () => {
  const plain = layoutOf(plotFunction(Math.exp, { min: 0, max: 1 }));
  assert.deepEqual([plain.xaxis.title.text, plain.yaxis.title.text], [
    "x",
    "y",
  ]);
  const named = layoutOf(
    plotFunction(Math.exp, { min: 0, max: 1, xLabel: "t", yLabel: "speed" }),
  );
  assert.deepEqual([named.xaxis.title.text, named.yaxis.title.text], [
    "t",
    "speed",
  ]);
});

Deno.test("plotFunction rejects an empty interval", () => {
  assert.throws(
    () => plotFunction(Math.sin, { min: 1, max: 1 }),
    ArgumentError,
  );
  assert.throws(
    () => plotFunction(Math.sin, { min: 0, max: 1, steps: 0 }),
    ArgumentError,
  );
});

Deno.test("linePlot draws each named series as a line; x defaults to 0, 1, 2, ...", () => {
  const figure = linePlot([
    { name: "trainLoss", y: [0.3, 0.2] },
    { name: "validLoss", x: [1, 2], y: [0.25, 0.22] },
  ], { title: "loss", xLabel: "epoch", yLabel: "loss" });
  assert.deepEqual(figure.data.map((t) => fields(t).mode), ["lines", "lines"]);
  assert.deepEqual(figure.data.map((t) => t.name), ["trainLoss", "validLoss"]);
  assert.deepEqual(fields(figure.data[0]).x, [0, 1]);
  assert.deepEqual(fields(figure.data[1]).x, [1, 2]);
  const layout = layoutOf(figure);
  assert.equal(layout.title.text, "loss");
  assert.equal(layout.xaxis.title.text, "epoch");
  assert.equal(layout.yaxis.title.text, "loss");
});

Deno.test("scatterPlot draws markers, and takes one series as well as several", () => {
  const figure = scatterPlot({ name: "speed", y: [3, 1, 2] });
  assert.equal(figure.data.length, 1);
  assert.equal(fields(figure.data[0]).mode, "markers");
  assert.equal(layoutOf(figure).title, undefined);
});

Deno.test("series from tensors become plain arrays, so figures survive JSON", () => {
  const time = tf.range(0, 4);
  const speed = time.square();
  const figure = scatterPlot({ x: time.dataSync(), y: speed.dataSync() });
  tf.dispose([time, speed]);
  const copy = JSON.parse(JSON.stringify(figure));
  assert.deepEqual(copy.data[0].x, [0, 1, 2, 3]);
  assert.deepEqual(copy.data[0].y, [0, 1, 4, 9]);
});

Deno.test("subplots puts each figure on its own axes, in a grid of the given columns", () => {
  const panels = [0, 1, 2, 3].map((step) =>
    scatterPlot([
      { name: "speed", y: [1, 2, 3] },
      { name: "predictions", y: [step, step, step] },
    ], { title: `step ${step}`, xLabel: "time" })
  );
  const figure = subplots(panels, { columns: 2, title: "the roller coaster" });
  const layout = layoutOf(figure);
  assert.deepEqual(layout.grid, {
    rows: 2,
    columns: 2,
    pattern: "independent",
  });
  assert.deepEqual(
    figure.data.map((t) => `${fields(t).xaxis}/${fields(t).yaxis}`),
    ["x/y", "x/y", "x2/y2", "x2/y2", "x3/y3", "x3/y3", "x4/y4", "x4/y4"],
  );
  assert.equal(layout.xaxis3.title.text, "time");
  assert.equal(layout.title.text, "the roller coaster");
  assert.deepEqual(
    layout.annotations.map((a: { text: string; xref: string }) =>
      `${a.text} @ ${a.xref}`
    ),
    [
      "step 0 @ x domain",
      "step 1 @ x2 domain",
      "step 2 @ x3 domain",
      "step 3 @ x4 domain",
    ],
  );
});

Deno.test("subplots lists each series name once in the legend, in one colour across panels", () => {
  const panel = () =>
    linePlot([{ name: "data", y: [1, 2] }, { name: "model", y: [2, 1] }]);
  const figure = subplots([panel(), panel(), panel()]);
  assert.deepEqual(
    figure.data.map((t) => fields(t).showlegend),
    [true, true, false, false, false, false],
  );
  const colours = figure.data.map((t) => `${t.name}:${fields(t).line.color}`);
  assert.equal(new Set(colours).size, 2);
  assert.notEqual(
    fields(figure.data[0]).line.color,
    fields(figure.data[1]).line.color,
  );
  assert.deepEqual(layoutOf(figure).grid, {
    rows: 1,
    columns: 3,
    pattern: "independent",
  });
});

Deno.test("subplots needs a figure", () => {
  assert.throws(() => subplots([]), ArgumentError);
});

Deno.test("heatmap draws row 0 at the top, with square cells, white for low and black for high", () => {
  const figure = heatmap([[0, 1, 2], [3, 4, 5]], { title: "grid" });
  const trace = fields(figure.data[0]);
  assert.equal(trace.type, "heatmap");
  assert.deepEqual(trace.z, [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(trace.colorscale, [[0, "#ffffff"], [1, "#000000"]]);
  const layout = layoutOf(figure);
  assert.equal(layout.yaxis.autorange, "reversed");
  assert.equal(layout.yaxis.scaleanchor, "x");
});

Deno.test("a symmetric heatmap centres its colours on zero, from the largest magnitude", () => {
  const trace = fields(
    heatmap([[-0.5, 2], [1, 0]], { symmetric: true }).data[0],
  );
  assert.deepEqual([trace.zmin, trace.zmax], [-2, 2]);
});

Deno.test("a series may be drawn as (dashed) lines in a scatter plot, the others as markers", () => {
  const figure = scatterPlot([
    { name: "points", x: [0, 1], y: [1, 2] },
    { name: "fit", x: [0, 1], y: [1.1, 1.9], mode: "lines", dash: "dash" },
  ]);
  const [points, fit] = figure.data as {
    mode: string;
    line?: { dash: string };
  }[];
  assert.equal(points.mode, "markers");
  assert.equal(points.line, undefined);
  assert.equal(fit.mode, "lines");
  assert.equal(fit.line?.dash, "dash");
});

Deno.test("side by side, each heat map keeps its own colour bar, right of its panel", () => {
  const maps = [1, 2, 3].map((k) =>
    heatmap(
      Array.from(
        { length: 28 },
        (_, r) =>
          Array.from({ length: 28 }, (_, c) => k * Math.sin(r * 28 + c)),
      ),
      { symmetric: true },
    )
  );
  const figure = subplots(maps, { columns: 3 });
  const bars = figure.data.map((trace) => fields(trace).colorbar.x as number);
  const layout = layoutOf(figure);
  bars.forEach((x, i) => {
    const [, right] = layout[`xaxis${i === 0 ? "" : i + 1}`].domain;
    assert.ok(
      x > right && x < (i + 1) / 3,
      `bar ${i} at ${x}, panel ends at ${right}`,
    );
  });
});

Deno.test("a small heatmap labels every row and column, a 28×28 one leaves plotly's ticks", () => {
  const ten = Array.from({ length: 10 }, (_, i) => Array(10).fill(i));
  const small = heatmap(ten);
  assert.equal(small.layout.xaxis?.dtick, 1);
  assert.equal(small.layout.yaxis?.dtick, 1);
  const image = heatmap(Array.from({ length: 28 }, () => Array(28).fill(0)));
  assert.equal(image.layout.xaxis?.dtick, undefined);
});
