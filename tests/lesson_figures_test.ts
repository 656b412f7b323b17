import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ArgumentError, ShapeError } from "../lib/errors.ts";
import type { Figure, Trace } from "../lib/plot/charts.ts";
import {
  plotMetrics,
  votesMap,
  weightMap,
  weightMaps,
} from "../lib/plot/lesson_figures.ts";
import type { EpochRecord } from "../lib/learner.ts";

/** A trace's fields, whatever its type. */
// deno-lint-ignore no-explicit-any
const fields = (trace: Trace) => trace as Record<string, any>;
// deno-lint-ignore no-explicit-any
const layoutOf = (figure: Figure) => figure.layout as Record<string, any>;

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
