/**
 * Pictures of fully connected nets: every input joined to every output of a
 * layer, so that a layer from `n_in` to `n_out` has `n_in × n_out` weights,
 * and each output its bias, drawn as the weight of an extra input that is
 * always 1.
 *
 * @example The lesson's linear model and its two-layer net, side by side
 * ```ts
 * import { networkDiagram } from "./network.ts";
 *
 * const figure = networkDiagram([[784, 1], [784, 30, 1]]);
 * ```
 *
 * @module
 */
import { ArgumentError } from "../errors.ts";
import type { Figure, FigureLayout, Trace } from "./charts.ts";

/** Options of {@linkcode networkDiagram}. */
export interface NetworkOptions {
  /** The title above every net. */
  readonly title?: string;
  /** A layer with more units than this shows only this many, and "⋮". Default 6. */
  readonly shown?: number;
}

/** Weights and biases of a net, layer by layer. */
export interface NetworkCount {
  /** `n_in × n_out` for each layer. */
  readonly weights: readonly number[];
  /** `n_out` for each layer. */
  readonly biases: readonly number[];
  /** Every weight and bias. */
  readonly total: number;
}

/**
 * The weights and biases of a fully connected net with these layer sizes
 * (inputs first).
 *
 * @throws {ArgumentError} unless there are at least two sizes, each a whole
 * number ≥ 1.
 *
 * @example A net with 3 inputs, 4 hidden units and 2 outputs
 * ```ts
 * import { countConnections } from "./network.ts";
 *
 * countConnections([3, 4, 2]); // { weights: [12, 8], biases: [4, 2], total: 26 }
 * ```
 */
export function countConnections(sizes: readonly number[]): NetworkCount {
  if (
    sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw new ArgumentError(
      `A net needs at least two layer sizes, whole numbers ≥ 1 (inputs ` +
        `first, outputs last): got [${sizes.join(", ")}].`,
    );
  }
  const weights = sizes.slice(1).map((n, i) => sizes[i] * n);
  const biases = sizes.slice(1);
  const sum = (a: readonly number[]) => a.reduce((s, v) => s + v, 0);
  return { weights, biases, total: sum(weights) + sum(biases) };
}

const fmt = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string, many: string) =>
  `${fmt(n)} ${n === 1 ? one : many}`;

/**
 * Fully connected nets side by side, each given by its layer sizes (inputs
 * first): a column of units per layer, a grey line for every weight, and an
 * orange unit "1" above each layer's inputs whose lines are that layer's
 * biases. Under each gap, `n_in × n_out` weights; above each net, its totals.
 * A layer larger than `shown` draws only `shown` units and a "⋮" (its lines
 * stand for all of its weights).
 *
 * @throws {ArgumentError} when there is no net, a net has fewer than two
 * layers, or a size is not a whole number ≥ 1.
 *
 * @example 784 inputs → 1 output, 784 → 30 → 1, and 3 → 4 → 2
 * ```ts
 * import { networkDiagram } from "./network.ts";
 *
 * const figure = networkDiagram([[784, 1], [784, 30, 1], [3, 4, 2]], {
 *   title: "Every input joined to every output",
 * });
 * ```
 */
export function networkDiagram(
  nets: readonly (readonly number[])[],
  options: NetworkOptions = {},
): Figure {
  if (nets.length === 0) {
    throw new ArgumentError("networkDiagram needs at least one net.");
  }
  const counts = nets.map(countConnections);
  const shown = Math.max(2, options.shown ?? 6);
  const grey = "#9e9e9e", orange = "#e6550d", blue = "#2166ac";
  // Units of a layer, drawn between heights 0 and 1; a layer with more than
  // `shown` units keeps its first and last few, with a gap for "⋮".
  const heights = (n: number) => {
    if (n === 1) return [0.5];
    if (n <= shown) return Array.from({ length: n }, (_, i) => 1 - i / (n - 1));
    const half = Math.ceil(shown / 2);
    const top = Array.from(
      { length: half },
      (_, i) => 1 - (0.35 * i) / (half - 1 || 1),
    );
    const bottom = Array.from(
      { length: shown - half },
      (_, i) => 0.35 * (1 - i / (shown - half - 1 || 1)),
    );
    return [...top, ...bottom];
  };
  const biasY = 1.25;
  const edges = { x: [] as (number | null)[], y: [] as (number | null)[] };
  const biasEdges = { x: [] as (number | null)[], y: [] as (number | null)[] };
  const units = { x: [] as number[], y: [] as number[] };
  const ones = { x: [] as number[], y: [] as number[] };
  const annotations: Record<string, unknown>[] = [];
  const text = (
    x: number,
    y: number,
    label: string,
    extra: Record<string, unknown> = {},
  ) =>
    annotations.push({
      x,
      y,
      xref: "x",
      yref: "y",
      text: label,
      showarrow: false,
      ...extra,
    });
  let offset = 0;
  nets.forEach((sizes, k) => {
    const xs = sizes.map((_, j) => offset + j);
    sizes.forEach((n, j) => {
      for (const y of heights(n)) {
        units.x.push(xs[j]);
        units.y.push(y);
      }
      if (n > shown) text(xs[j], 0.5, "⋮", { font: { size: 20 } });
      const role = j === 0
        ? plural(n, "input", "inputs")
        : j === sizes.length - 1
        ? plural(n, "output", "outputs")
        : `${fmt(n)} hidden`;
      text(xs[j], -0.2, role);
      if (j === 0) return;
      const from = heights(sizes[j - 1]), to = heights(n);
      for (const a of from) {
        for (const b of to) {
          edges.x.push(xs[j - 1], xs[j], null);
          edges.y.push(a, b, null);
        }
      }
      ones.x.push(xs[j - 1]);
      ones.y.push(biasY);
      for (const b of to) {
        biasEdges.x.push(xs[j - 1], xs[j], null);
        biasEdges.y.push(biasY, b, null);
      }
      const mid = (xs[j - 1] + xs[j]) / 2;
      text(
        mid,
        -0.47,
        `${fmt(sizes[j - 1])} × ${fmt(n)}<br>= ${
          plural(counts[k].weights[j - 1], "weight", "weights")
        }`,
        { font: { color: "#555555" } },
      );
      text(mid, -0.72, `+ ${plural(n, "bias", "biases")}`, {
        font: { color: orange },
      });
    });
    const { weights, biases, total } = counts[k];
    const w = weights.reduce((s, v) => s + v, 0);
    const b = biases.reduce((s, v) => s + v, 0);
    text(
      (xs[0] + xs[xs.length - 1]) / 2,
      1.55,
      `<b>${sizes.map(fmt).join(" → ")}</b><br>${
        plural(w, "weight", "weights")
      } + ${plural(b, "bias", "biases")} = ${fmt(total)}`,
    );
    offset += sizes.length - 1 + 1.6;
  });
  const data: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      name: "a weight",
      x: edges.x,
      y: edges.y,
      line: { color: grey, width: 1 },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      name: "a bias",
      x: biasEdges.x,
      y: biasEdges.y,
      line: { color: orange, width: 1, dash: "dot" },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "markers",
      name: "a unit",
      x: units.x,
      y: units.y,
      marker: { color: blue, size: 12 },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "markers+text",
      name: "the input 1",
      x: ones.x,
      y: ones.y,
      text: ones.x.map(() => "1"),
      textposition: "middle left",
      marker: { color: orange, size: 12, symbol: "square" },
      hoverinfo: "skip",
    },
  ];
  const span = offset - 1.6;
  const hidden = { visible: false };
  const layout = {
    ...(options.title === undefined ? {} : { title: { text: options.title } }),
    xaxis: { ...hidden, range: [-0.5, span + 0.5] as [number, number] },
    yaxis: { ...hidden, range: [-0.85, 1.85] as [number, number] },
    annotations,
    showlegend: true,
    legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.02 },
    width: Math.min(1100, 160 * (span + 1) + 80),
    height: 480,
    margin: { l: 20, r: 20, t: options.title === undefined ? 20 : 60, b: 40 },
    plot_bgcolor: "#ffffff",
  };
  return { data, layout: layout as FigureLayout };
}
