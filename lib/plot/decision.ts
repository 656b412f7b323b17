/**
 * The decision line of a linear model with two inputs, with two independent
 * sliders: one turns the weights `w`, the other sets the bias `b`.
 *
 * The line `w₁·x₁ + w₂·x₂ + b = 0` is drawn as the boundary of a contour of
 * `z = w₁·x₁ + w₂·x₂` over a grid, at the level `z = -b`, with the side
 * `z > -b` (where the model says 1) shaded. The weights slider changes only
 * `z` (and the arrow of `w`), the bias slider only the contour's level: two
 * attributes that plotly.js combines, so every pair (weights, bias) shows its
 * own line, in an interactive front end with no kernel at work. Everything
 * used here (constraint contours, annotation arrows, slider steps that
 * restyle or update) is drawn alike by plotly.js 2.x and 4.x.
 *
 * @example Turn a line and shift it
 * ```ts
 * import { decisionContour } from "./decision.ts";
 *
 * const points = { x: [1, -1], y: [1, -1], label: [1, 0] };
 * const figure = decisionContour(points, {
 *   range: [-2, 2],
 *   weights: {
 *     prefix: "angle ",
 *     labels: ["0°", "45°"],
 *     states: [{ w1: 1, w2: 0 }, { w1: Math.SQRT1_2, w2: Math.SQRT1_2 }],
 *   },
 *   biases: { prefix: "b = ", values: [-0.5, 0, 0.5] },
 * });
 * ```
 *
 * @module
 */
import { ArgumentError } from "../errors.ts";
import type { ChartOptions, Figure, FigureLayout, Trace } from "./charts.ts";

/** The weights of a line `w₁·x₁ + w₂·x₂ + b = 0`. */
export interface LineWeights {
  /** The weight of the first input (the x axis). */
  readonly w1: number;
  /** The weight of the second input (the y axis). */
  readonly w2: number;
}

/** Options of {@linkcode decisionContour}. */
export interface DecisionContourOptions extends ChartOptions {
  /** The square both axes show. */
  readonly range: readonly [number, number];
  /** The names of the points labelled 1 and 0. Default "1", "0". */
  readonly classes?: readonly [string, string];
  /** The weights slider: one `w` per step, with its label. */
  readonly weights: {
    /** Shown before the step's label, such as "turn w by ". */
    readonly prefix: string;
    /** The weights of each step. */
    readonly states: readonly LineWeights[];
    /** The label of each step (default: its index). */
    readonly labels?: readonly string[];
    /** The step it starts on. Default 0. */
    readonly active?: number;
  };
  /** The bias slider: one `b` per step, labelled with its value. */
  readonly biases: {
    /** Shown before the value, such as "b = ". */
    readonly prefix: string;
    /** The bias of each step. */
    readonly values: readonly number[];
    /** The step it starts on. Default 0. */
    readonly active?: number;
  };
  /** Grid points per axis for the contour. Default 21 (z is linear, so the line is exact). */
  readonly grid?: number;
}

/** The smallest and largest `w·x` over the square's corners. */
function spanOver(
  { w1, w2 }: LineWeights,
  [lo, hi]: readonly [number, number],
): [number, number] {
  const v = [lo, hi].flatMap((x) => [lo, hi].map((y) => w1 * x + w2 * y));
  return [Math.min(...v), Math.max(...v)];
}

/**
 * Labelled points in the plane and the line `w₁·x₁ + w₂·x₂ + b = 0` between
 * them, the side the model calls 1 shaded, with an arrow along `w` from the
 * origin (or from the centre, when the origin is outside the square). Two
 * independent sliders: the first steps through the weights, the second
 * through the biases; the static image shows both sliders' starting steps.
 * The title is fixed: no label shows a value that the other slider changes.
 *
 * @throws {ArgumentError} if the points' arrays differ in length, a slider
 *   has no step, or some pair (weights, bias) puts the line outside the
 *   square (every pair must show its line; narrow the biases).
 *
 * @example The line through the origin, turned by 45°
 * ```ts
 * import { decisionContour } from "./decision.ts";
 *
 * const figure = decisionContour({ x: [1, -1], y: [1, -1], label: [1, 0] }, {
 *   range: [-2, 2],
 *   weights: { prefix: "w ", states: [{ w1: 1, w2: 0 }, { w1: 1, w2: 1 }] },
 *   biases: { prefix: "b = ", values: [0] },
 * });
 * ```
 */
export function decisionContour(
  points: {
    readonly x: ArrayLike<number>;
    readonly y: ArrayLike<number>;
    readonly label: ArrayLike<number>;
  },
  options: DecisionContourOptions,
): Figure {
  const n = points.x.length;
  if (points.y.length !== n || points.label.length !== n) {
    throw new ArgumentError(
      `decisionContour needs as many y and labels as x: got ${n} x, ` +
        `${points.y.length} y and ${points.label.length} labels.`,
    );
  }
  const { weights, biases, range } = options;
  if (weights.states.length === 0 || biases.values.length === 0) {
    throw new ArgumentError(
      "decisionContour needs at least one step on each slider.",
    );
  }
  for (const w of weights.states) {
    const [low, high] = spanOver(w, range);
    for (const b of biases.values) {
      // The line is inside the square when -b lies strictly between the
      // smallest and largest w·x over its corners.
      if (!(low < -b && -b < high)) {
        throw new ArgumentError(
          `With w = (${w.w1}, ${w.w2}) and b = ${b}, the line misses the ` +
            `square [${range[0]}, ${range[1]}]²: keep b between ${-high} ` +
            `and ${-low} for these weights.`,
        );
      }
    }
  }
  const [lo, hi] = range;
  const span = hi - lo;
  const count = options.grid ?? 21;
  const axis = Array.from(
    { length: count },
    (_, i) => lo + (span * i) / (count - 1),
  );
  const zOf = ({ w1, w2 }: LineWeights) =>
    axis.map((y) => axis.map((x) => w1 * x + w2 * y));
  const origin = lo <= 0 && 0 <= hi ? 0 : (lo + hi) / 2;
  const arrowOf = ({ w1, w2 }: LineWeights) => {
    const norm = Math.hypot(w1, w2);
    const length = norm === 0 ? 0 : (0.15 * span) / norm;
    return { x: origin + w1 * length, y: origin + w2 * length };
  };
  const arrowLayout = (w: LineWeights) => {
    const head = arrowOf(w);
    return {
      "annotations[0].x": head.x,
      "annotations[0].y": head.y,
      "annotations[1].x": head.x,
      "annotations[1].y": head.y,
    };
  };
  const [one, zero] = options.classes ?? ["1", "0"];
  const pick = (wanted: number) =>
    Array.from({ length: n }, (_, i) => i).filter((i) =>
      (points.label[i] > 0.5 ? 1 : 0) === wanted
    );
  const [ones, zeros] = [pick(1), pick(0)];
  const wStart = weights.states[weights.active ?? 0];
  const bStart = biases.values[biases.active ?? 0];
  const head = arrowOf(wStart);
  const ink = "#333333", green = "#2ca02c";
  const data: Trace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: one,
      x: ones.map((i) => points.x[i]),
      y: ones.map((i) => points.y[i]),
      marker: { color: "#2166ac" },
    },
    {
      type: "scatter",
      mode: "markers",
      name: zero,
      x: zeros.map((i) => points.x[i]),
      y: zeros.map((i) => points.y[i]),
      marker: { color: "#b2182b", symbol: "x" },
    },
    {
      type: "contour",
      name: `called ${one}`,
      x: axis,
      y: axis,
      z: zOf(wStart),
      // plotly.js shades where the constraint fails: "<" shades z > -b.
      contours: { type: "constraint", operation: "<", value: -bStart },
      fillcolor: "rgba(33, 102, 172, 0.12)",
      line: { color: ink, width: 2 },
      showlegend: false,
      hoverinfo: "skip",
    } as Trace,
    // Legend entries only: the line is the contour's edge, w an annotation.
    {
      type: "scatter",
      mode: "lines",
      name: `w₁·x₁ + w₂·x₂ + b = 0 (shaded: called ${one})`,
      x: [null],
      y: [null],
      line: { color: ink, width: 2 },
    },
    {
      type: "scatter",
      mode: "lines",
      name: `w, pointing to the ${one} side`,
      x: [null],
      y: [null],
      line: { color: green, width: 3 },
    },
  ];
  const layout = {
    ...(options.title === undefined ? {} : { title: { text: options.title } }),
    // "domain": the square keeps its range, the plot area narrows instead.
    xaxis: {
      range: [lo, hi],
      constrain: "domain",
      ...(options.xLabel === undefined
        ? {}
        : { title: { text: options.xLabel } }),
    },
    yaxis: {
      range: [lo, hi],
      scaleanchor: "x",
      constrain: "domain",
      ...(options.yLabel === undefined
        ? {}
        : { title: { text: options.yLabel } }),
    },
    annotations: [
      {
        x: head.x,
        y: head.y,
        ax: origin,
        ay: origin,
        xref: "x",
        yref: "y",
        axref: "x",
        ayref: "y",
        text: "",
        showarrow: true,
        arrowhead: 2,
        arrowsize: 1,
        arrowwidth: 3,
        arrowcolor: green,
      },
      {
        x: head.x,
        y: head.y,
        xref: "x",
        yref: "y",
        text: "<b>w</b>",
        showarrow: false,
        bgcolor: "rgba(255, 255, 255, 0.8)",
        xshift: 10,
        yshift: 10,
        font: { color: green, size: 16 },
      },
    ],
    width: 620,
    // The plot area stays 420 px high; each slider gets 100 px below it.
    height: 760,
    margin: { l: 60, r: 20, t: options.title === undefined ? 30 : 80, b: 260 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    sliders: [
      {
        active: weights.active ?? 0,
        currentvalue: { prefix: weights.prefix },
        y: -50 / 420,
        len: 0.9,
        x: 0.05,
        pad: { t: 30 },
        steps: weights.states.map((w, i) => ({
          label: weights.labels?.[i] ?? String(i),
          method: "update",
          args: [{ z: [zOf(w)] }, arrowLayout(w), [2]],
        })),
      },
      {
        active: biases.active ?? 0,
        currentvalue: { prefix: biases.prefix },
        y: -150 / 420,
        len: 0.9,
        x: 0.05,
        pad: { t: 30 },
        steps: biases.values.map((b) => ({
          label: String(b),
          method: "restyle",
          args: [{ "contours.value": -b }, [2]],
        })),
      },
    ],
  };
  return { data, layout: layout as FigureLayout };
}
