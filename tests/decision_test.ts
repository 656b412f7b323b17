import assert from "node:assert/strict";
import { ArgumentError } from "../lib/errors.ts";
import { decisionContour } from "../lib/plot/decision.ts";
import type { Figure } from "../lib/plot/charts.ts";

// deno-lint-ignore no-explicit-any
const loose = (x: unknown) => x as Record<string, any>;
const layoutOf = (figure: Figure) => loose(figure.layout);

const points = { x: [1, -1, 1], y: [1, -1, -1], label: [1, 0, 0] };
const vertical = { w1: 1, w2: 0 };
const diagonal = { w1: 1, w2: 1 };
const figure = decisionContour(points, {
  range: [-2, 2],
  classes: ["3", "7"],
  title: "Turn and shift",
  weights: {
    prefix: "w ",
    states: [vertical, diagonal],
    labels: ["0°", "45°"],
    active: 1,
  },
  biases: { prefix: "b = ", values: [-0.5, 0, 0.5], active: 0 },
  grid: 5,
});

/** The line's z at (x, y) from a contour's z grid, and its level -b. */
function zAt(
  contour: Record<string, number[][] | number[]>,
  x: number,
  y: number,
) {
  const xs = contour.x as number[], ys = contour.y as number[];
  return (contour.z as number[][])[ys.indexOf(y)][xs.indexOf(x)];
}

Deno.test("decisionContour draws the line as the level -b of z = w·x over the square, with both sliders' starting steps", () => {
  const contour = loose(figure.data[2]);
  assert.equal(contour.type, "contour");
  assert.deepEqual(contour.x, [-2, -1, 0, 1, 2]);
  // Starting weights (1, 1): z = x + y; starting bias -0.5: level 0.5.
  assert.equal(zAt(contour, 1, -2), -1);
  assert.equal(zAt(contour, 2, 2), 4);
  assert.equal(contour.contours.type, "constraint");
  assert.equal(contour.contours.value, 0.5);
  // plotly.js shades where the constraint fails: "<" shades z > -b, the 3s.
  assert.equal(contour.contours.operation, "<");
  assert.deepEqual(loose(figure.data[0]).x, [1]);
  assert.deepEqual(loose(figure.data[1]).x, [-1, 1]);
});

Deno.test("decisionContour's sliders are independent: the weights change only z and the arrow, the bias only the level", () => {
  const [weights, biases] = layoutOf(figure).sliders;
  assert.deepEqual(weights.steps.map((s: { label: string }) => s.label), [
    "0°",
    "45°",
  ]);
  assert.equal(weights.active, 1);
  const [data, layout, traces] = weights.steps[0].args;
  assert.deepEqual(Object.keys(data), ["z"]);
  assert.deepEqual(traces, [2]);
  // Vertical weights: z = x, whatever y.
  const z = data.z[0] as number[][];
  assert.ok(z.every((row) => row.every((v, i) => v === [-2, -1, 0, 1, 2][i])));
  assert.ok(Object.keys(layout).every((k) => k.startsWith("annotations[")));
  // The arrow of (1, 0) starts at the origin and points right.
  assert.ok(layout["annotations[0].x"] > 0);
  assert.equal(layout["annotations[0].y"], 0);
  assert.deepEqual(biases.steps.map((s: { label: string }) => s.label), [
    "-0.5",
    "0",
    "0.5",
  ]);
  for (const [i, b] of [-0.5, 0, 0.5].entries()) {
    const step = biases.steps[i];
    assert.equal(step.method, "restyle");
    assert.deepEqual(step.args, [{ "contours.value": -b }, [2]]);
  }
});

Deno.test("decisionContour states no value in its title, and uses nothing plotly.js 2.x ignores", () => {
  assert.equal(layoutOf(figure).title.text, "Turn and shift");
  const json = JSON.stringify(figure);
  assert.ok(!json.includes("title.text"), "no slider step rewrites the title");
  assert.ok(!json.includes("angleref"));
  assert.ok(!json.includes('"arrow"'), "no arrow marker symbol");
  const arrow = layoutOf(figure).annotations[0];
  assert.equal(arrow.showarrow, true);
  assert.deepEqual([arrow.ax, arrow.ay], [0, 0]);
});

Deno.test("decisionContour refuses a pair (weights, bias) whose line misses the square, and bad arguments", () => {
  const options = {
    range: [-1, 1] as const,
    weights: { prefix: "", states: [vertical] },
    biases: { prefix: "", values: [0, -1.5] }, // x = 1.5: outside
  };
  assert.throws(() => decisionContour(points, options), (e: Error) => {
    assert.ok(e instanceof ArgumentError);
    assert.match(e.message, /b = -1.5, the line misses the square/);
    return true;
  });
  assert.throws(
    () =>
      decisionContour({ x: [0, 1], y: [0], label: [1] }, {
        ...options,
        biases: { prefix: "", values: [0] },
      }),
    ArgumentError,
  );
  assert.throws(
    () =>
      decisionContour(points, {
        ...options,
        weights: { prefix: "", states: [] },
      }),
    ArgumentError,
  );
});
