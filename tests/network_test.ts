import assert from "node:assert/strict";
import { ArgumentError } from "../lib/errors.ts";
import { countConnections, networkDiagram } from "../lib/plot/network.ts";
import type { Figure } from "../lib/plot/charts.ts";

// deno-lint-ignore no-explicit-any
const loose = (x: unknown) => x as Record<string, any>;
/** The segments of a lines trace drawn with null separators. */
const segments = (figure: Figure, name: string) => {
  const trace = loose(figure.data.find((t) => t.name === name));
  return trace.x.filter((v: number | null) => v === null).length;
};
const texts = (figure: Figure) =>
  loose(figure.layout).annotations.map((a: { text: string }) => a.text);

Deno.test("countConnections: n_in × n_out weights and n_out biases per layer", () => {
  assert.deepEqual(countConnections([784, 1]), {
    weights: [784],
    biases: [1],
    total: 785,
  });
  assert.deepEqual(countConnections([784, 30, 1]), {
    weights: [23520, 30],
    biases: [30, 1],
    total: 23581,
  });
  assert.deepEqual(countConnections([3, 4, 2]), {
    weights: [12, 8],
    biases: [4, 2],
    total: 26,
  });
});

Deno.test("networkDiagram draws every weight of a small net as a line, and every bias from a unit 1", () => {
  const figure = networkDiagram([[3, 4, 2]]);
  assert.equal(segments(figure, "a weight"), 3 * 4 + 4 * 2);
  assert.equal(segments(figure, "a bias"), 4 + 2);
  assert.equal(loose(figure.data.find((t) => t.name === "a unit")).x.length, 9);
  assert.equal(
    loose(figure.data.find((t) => t.name === "the input 1")).x.length,
    2,
  );
  const labels = texts(figure);
  assert.ok(labels.includes("3 × 4<br>= 12 weights"));
  assert.ok(labels.includes("4 × 2<br>= 8 weights"));
  assert.ok(labels.includes("+ 4 biases"));
  assert.ok(labels.includes("<b>3 → 4 → 2</b><br>20 weights + 6 biases = 26"));
  assert.ok(!labels.includes("⋮"));
});

Deno.test("networkDiagram shows a large layer by a few units and ⋮, with its full count", () => {
  const figure = networkDiagram([[784, 1], [784, 30, 1]], { shown: 6 });
  const labels = texts(figure);
  assert.equal(labels.filter((t: string) => t === "⋮").length, 3);
  assert.ok(labels.includes("784 × 1<br>= 784 weights"));
  assert.ok(labels.includes("+ 1 bias"));
  assert.ok(labels.includes("784 × 30<br>= 23,520 weights"));
  assert.ok(
    labels.includes(
      "<b>784 → 30 → 1</b><br>23,550 weights + 31 biases = 23,581",
    ),
  );
  assert.ok(labels.includes("784 inputs") && labels.includes("30 hidden"));
  // Drawn: 6 × 1 + 6 × 6 + 6 × 1 lines, not 784 × 30.
  assert.equal(segments(figure, "a weight"), 6 + 36 + 6);
});

Deno.test("networkDiagram rejects an empty list and a net of one layer or a bad size", () => {
  assert.throws(() => networkDiagram([]), ArgumentError);
  assert.throws(() => networkDiagram([[784]]), ArgumentError);
  assert.throws(() => networkDiagram([[784, 0]]), ArgumentError);
  assert.throws(() => countConnections([2.5, 1]), ArgumentError);
});
