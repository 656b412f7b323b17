import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ArgumentError, ShapeError } from "../lib/errors.ts";
import {
  type Figure,
  heatmap,
  linePlot,
  plotFunction,
  plotMetrics,
  scatterPlot,
  subplots,
  type Trace,
  votesMap,
  weightMap,
  weightMaps,
} from "../lib/plot/figures.ts";
import type { EpochRecord } from "../lib/learner.ts";

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

Deno.test("weightMap maps negative weights to red, zero to white and positive to blue, on a symmetric scale", () => {
  const weights = Array.from({ length: 784 }, (_, i) => (i % 28) / 9 - 1.5); // -1.5 .. 1.5
  const trace = fields(weightMap(weights, { title: "weights" }).data[0]);
  assert.deepEqual([trace.zmin, trace.zmax], [-1.5, 1.5]);
  const scale: [number, string][] = trace.colorscale;
  const at = (position: number) => scale.find(([p]) => p === position)?.[1];
  const rgb = (hex: string) =>
    [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [low, middle, high] = [at(0)!, at(0.5)!, at(1)!].map(rgb);
  assert.ok(low[0] > 2 * low[2], `the lowest colour ${at(0)} is red`);
  assert.deepEqual(middle, [255, 255, 255]);
  assert.ok(high[2] > 2 * high[0], `the highest colour ${at(1)} is blue`);
  assert.equal(trace.colorbar.title.text, "weight");
  // Row r, column c of the map is weight r * 28 + c.
  assert.equal(trace.z.length, 28);
  assert.equal(trace.z[2][5], weights[2 * 28 + 5]);
});

Deno.test("weightMap reads the weights of a [784, 1] tensor, leaving no tensor behind", () => {
  const values = Array.from({ length: 784 }, (_, i) => i - 392);
  const weights = tf.tensor2d(values, [784, 1]);
  const before = tf.memory().numTensors;
  const trace = fields(weightMap(weights).data[0]);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(trace.z[0][0], -392);
  assert.equal(trace.z[1][0], 28 - 392);
  assert.equal(trace.z[27][27], 391);
  assert.deepEqual([trace.zmin, trace.zmax], [-392, 392]);
  weights.dispose();
});

Deno.test("weightMap rejects anything but 784 weights, naming the shape", () => {
  const wide = tf.zeros([784, 30]);
  assert.throws(
    () => weightMap(wide),
    (e: Error) => e instanceof ShapeError && e.message.includes("[784, 30]"),
  );
  wide.dispose();
  assert.throws(() => weightMap(new Float32Array(783)), ShapeError);
});

Deno.test("plotMetrics charts the losses and each metric by epoch, side by side", () => {
  const accuracies = [0.8, 0.85, 0.9];
  const records: EpochRecord[] = accuracies.map((accuracy, epoch) => ({
    epoch,
    trainLoss: 0.3 - epoch / 10,
    validLoss: 0.25 - epoch / 10,
    metrics: { accuracy },
    seconds: 0.1,
  }));
  const figure = plotMetrics(records);
  assert.deepEqual(figure.data.map((t) => t.name), [
    "trainLoss",
    "validLoss",
    "accuracy",
  ]);
  assert.deepEqual(fields(figure.data[2]).y, accuracies);
  assert.deepEqual(fields(figure.data[0]).x, [0, 1, 2]);
  assert.equal(fields(figure.data[2]).xaxis, "x2");
  assert.equal(fields(figure.data[0]).mode, "lines+markers"); // one epoch shows too
  const axis = (f: typeof figure) =>
    (f.layout as Record<string, { range?: number[] }>).yaxis2?.range;
  assert.deepEqual(axis(figure), [0.5, 1], "accuracies from chance to 1");
  const low = plotMetrics([{ ...records[0], metrics: { accuracy: 0.33 } }]);
  assert.deepEqual(axis(low), [0, 1]);
  const other = plotMetrics([{ ...records[0], metrics: { error: 3 } }]);
  assert.equal(
    axis(other),
    undefined,
    "a metric beyond [0, 1] keeps its own range",
  );
});

Deno.test("weightMap's colour bar is titled weight, unless told otherwise", () => {
  const bar = (f: ReturnType<typeof weightMap>) =>
    (f.data[0] as { colorbar?: { title?: { text?: string } } }).colorbar?.title
      ?.text;
  assert.equal(bar(weightMap(new Float32Array(784))), "weight");
  assert.equal(
    bar(weightMap(new Float32Array(784), { colorbarTitle: "t3 − t7" })),
    "t3 − t7",
  );
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

Deno.test("weightMap's clip ends the scale at a quantile of the magnitudes", () => {
  const weights = Array.from(
    { length: 784 },
    (_, i) => i === 0 ? 100 : (i % 2 ? 1 : -1),
  );
  const full = fields(weightMap(weights).data[0]);
  const clipped = fields(weightMap(weights, { clip: 0.99 }).data[0]);
  assert.deepEqual([full.zmin, full.zmax], [-100, 100]);
  assert.deepEqual([clipped.zmin, clipped.zmax], [-1, 1]);
  assert.throws(() => weightMap(weights, { clip: 0 }), ArgumentError);
});

Deno.test("side by side, each heat map keeps its own colour bar, right of its panel", () => {
  const maps = [1, 2, 3].map((k) =>
    weightMap(Array.from({ length: 784 }, (_, i) => k * Math.sin(i)))
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

Deno.test("votesMap shows pixels, weights and their products, and adds the votes up in its title", () => {
  const image = Array.from({ length: 784 }, (_, i) => (i < 2 ? 1 : 0));
  const weights = Array.from({ length: 784 }, (_, i) => (i === 0 ? 2 : -1));
  const figure = votesMap(image, weights, -0.5);
  assert.equal(figure.data.length, 3);
  const votes = fields(figure.data[2]).z as number[][];
  assert.deepEqual(votes[0].slice(0, 3), [2, -1, -0]);
  assert.equal(
    layoutOf(figure).title.text,
    "Σ x·w = 1.00, bias -0.50, score 0.50 > 0: a 3",
  );
  const blank = votesMap(new Array(784).fill(0), weights, -0.5, {
    title: "blank",
  });
  assert.match(layoutOf(blank).title.text, /^blank: .*score -0.50 ≤ 0: a 7$/);
  assert.throws(() => votesMap([1, 2], weights, 0), ShapeError);
});

Deno.test("votesMap's title adds up as shown, and votesRange gives two maps one colour scale", () => {
  // Σ x·w = -6.226 and bias -0.738: shown as -6.23 and -0.74, score -6.97.
  const image = Array.from({ length: 784 }, (_, i) => (i === 0 ? 1 : 0));
  const weights = Array.from({ length: 784 }, (_, i) => (i === 0 ? -6.226 : 0));
  const figure = votesMap(image, weights, -0.738, { votesRange: 0.4 });
  assert.equal(
    layoutOf(figure).title.text,
    "Σ x·w = -6.23, bias -0.74, score -6.97 ≤ 0: a 7",
  );
  const [, w, votes] = figure.data.map(fields);
  assert.deepEqual([votes.zmin, votes.zmax], [-0.4, 0.4]);
  assert.deepEqual([w.zmin, w.zmax], [-6.226, 6.226]);
});

Deno.test("weightMaps draws each column of [784, n] weights on one shared scale, with one colour bar", () => {
  const values = Array.from(
    { length: 784 * 3 },
    (_, k) => (k % 3 === 1 ? -4 : k % 3),
  );
  const w = tf.tensor2d(values, [784, 3]);
  const figure = weightMaps(w, { columns: 2 });
  w.dispose();
  assert.equal(figure.data.length, 3);
  const traces = figure.data.map(fields);
  assert.deepEqual(traces.map((t) => [t.zmin, t.zmax]), [[-4, 4], [-4, 4], [
    -4,
    4,
  ]]);
  assert.deepEqual(traces.map((t) => t.showscale), [false, false, true]);
  assert.equal(layoutOf(figure).xaxis2.showticklabels, false);
  assert.equal(layoutOf(figure).yaxis3.showticklabels, false);
  assert.equal(traces[1].z[0][0], -4); // column 1 is neuron 2
  assert.equal(traces[2].z[0][0], 2);
  const bad = tf.zeros([10, 3]);
  assert.throws(() => weightMaps(bad), ShapeError);
  bad.dispose();
});

Deno.test("a small heatmap labels every row and column, a 28×28 one leaves plotly's ticks", () => {
  const ten = Array.from({ length: 10 }, (_, i) => Array(10).fill(i));
  const small = heatmap(ten);
  assert.equal(small.layout.xaxis?.dtick, 1);
  assert.equal(small.layout.yaxis?.dtick, 1);
  const image = heatmap(Array.from({ length: 28 }, () => Array(28).fill(0)));
  assert.equal(image.layout.xaxis?.dtick, undefined);
});
