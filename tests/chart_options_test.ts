import assert from "node:assert/strict";
import { plotFunction, scatterPlot, subplots } from "../lib/plot/charts.ts";
import type { Figure } from "../lib/plot/charts.ts";

// deno-lint-ignore no-explicit-any
const layoutOf = (figure: Figure) => figure.layout as Record<string, any>;

Deno.test("a chart's fixed ranges reach its axes, and each panel keeps them", () => {
  const panel = (title: string) =>
    scatterPlot({ y: [1, 2] }, { title, xRange: [-4, 4], yRange: [0, 16] });
  assert.deepEqual(layoutOf(panel("a")).xaxis.range, [-4, 4]);
  assert.deepEqual(layoutOf(panel("a")).yaxis.range, [0, 16]);
  const both = layoutOf(subplots([panel("a"), panel("b")]));
  assert.deepEqual(both.yaxis.range, [0, 16]);
  assert.deepEqual(both.yaxis2.range, [0, 16]);
  // Without a range, plotly fits the axis to the data.
  assert.equal(layoutOf(scatterPlot({ y: [1, 2] })).yaxis.range, undefined);
});

Deno.test("plotFunction names its marked points as told, and labels its axes", () => {
  const figure = plotFunction((x) => x * x, {
    min: -2,
    max: 2,
    name: "loss = weight²",
    points: [-1.5, -1],
    pointsName: "weight after each step",
    xLabel: "weight",
    yLabel: "loss",
  });
  assert.deepEqual(figure.data.map((t) => t.name), [
    "loss = weight²",
    "weight after each step",
  ]);
  assert.equal(layoutOf(figure).xaxis.title.text, "weight");
  assert.equal(layoutOf(figure).yaxis.title.text, "loss");
});
