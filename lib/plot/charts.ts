/**
 * General chart builders, as plotly.js figures: plain `{ data, layout }`
 * objects that {@linkcode show} displays (interactive where the notebook
 * front end can, a PNG image everywhere else). Nothing here knows the lesson:
 * the lesson's own pictures (weights as 28×28 maps, a pixel's votes, the
 * curves of a `Learner.fit`) are built from these in `lesson_figures.ts`.
 *
 * {@linkcode plotFunction} draws `y = f(x)` over an interval (the lesson's
 * x², sigmoid and ReLU), {@linkcode linePlot} and {@linkcode scatterPlot}
 * draw named series, {@linkcode subplots} puts figures side by side, and
 * {@linkcode heatmap} shades a grid of numbers.
 *
 * Building a figure computes nothing else and needs no browser; the types
 * are plotly.js's own.
 *
 * @example The lesson's first function, with a point marked
 * ```ts
 * import { plotFunction } from "./charts.ts";
 * import { show } from "./show.ts";
 *
 * await show(plotFunction((x) => x ** 2, { min: -2, max: 2, title: "f(x) = x²", points: [-1.5] }));
 * ```
 *
 * @module
 */
// Types only: the full bundle ships them, the cartesian one (render.ts) not.
import type { Data, Layout } from "plotly.js-dist-min";
import { ArgumentError } from "../errors.ts";

/** One plotly.js trace: a line, a set of markers, a heat map... */
export type Trace = Data;

/** A plotly.js layout: titles, axes, size, annotations. */
export type FigureLayout = Partial<PlotlyLayout>;

/** Every field of a plotly.js layout. */
export type PlotlyLayout = Layout;

/**
 * A plotly.js figure, as plotly.js and the notebook front ends take it.
 *
 * @example A figure by hand
 * ```ts
 * import type { Figure } from "./charts.ts";
 *
 * const figure: Figure = {
 *   data: [{ type: "bar", x: ["3", "7"], y: [6131, 6265] }],
 *   layout: { title: { text: "training images" } },
 * };
 * ```
 */
export interface Figure {
  /** The traces, drawn in order. */
  readonly data: readonly Trace[];
  /** Everything that is not data. */
  readonly layout: FigureLayout;
}

/**
 * A named series of points: `y` against `x` (by default 0, 1, 2, ...).
 *
 * @example Speeds over time, from tensors
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { Series } from "./charts.ts";
 *
 * const time = tf.range(0, 20);
 * const speed: Series = { name: "speed", x: time.dataSync(), y: time.square().dataSync() };
 * ```
 */
export interface Series {
  /** The name in the legend and on hover. */
  readonly name?: string;
  /** The x coordinates. Default: the indices of `y`. */
  readonly x?: ArrayLike<number>;
  /** The y coordinates. */
  readonly y: ArrayLike<number>;
  /** Draw this series as lines or markers, whatever the chart's default. */
  readonly mode?: "lines" | "markers" | "lines+markers";
  /** The line's pattern, so that a line on top of another still shows. */
  readonly dash?: "solid" | "dash" | "dot" | "dashdot";
}

/**
 * Titles of a chart.
 *
 * @example
 * ```ts
 * import type { ChartOptions } from "./charts.ts";
 *
 * const options: ChartOptions = { title: "loss", xLabel: "epoch", yLabel: "mnistLoss" };
 * ```
 */
export interface ChartOptions {
  /** The title above the chart. */
  readonly title?: string;
  /** The title of the x axis. */
  readonly xLabel?: string;
  /** The title of the y axis. */
  readonly yLabel?: string;
  /** The x axis's range, fixed (default: fitted to the data). */
  readonly xRange?: readonly [number, number];
  /** The y axis's range, fixed: panels that share it compare at a glance. */
  readonly yRange?: readonly [number, number];
}

/** A chart's layout: its titles, and margins narrower than plotly's. */
function chartLayout(options: ChartOptions): FigureLayout {
  const axis = (label?: string, range?: readonly [number, number]) => ({
    ...(label === undefined ? {} : { title: { text: label } }),
    ...(range === undefined
      ? {}
      : { range: [range[0], range[1]] as [number, number] }),
  });
  return {
    ...(options.title === undefined ? {} : { title: { text: options.title } }),
    xaxis: axis(options.xLabel, options.xRange),
    yaxis: axis(options.yLabel, options.yRange),
    margin: { l: 60, r: 20, t: options.title === undefined ? 20 : 50, b: 50 },
  };
}

function asList(series: Series | readonly Series[]): readonly Series[] {
  return "y" in series ? [series as Series] : series as readonly Series[];
}

function chart(
  series: Series | readonly Series[],
  mode: "lines" | "markers" | "lines+markers",
  options: ChartOptions,
): Figure {
  const data: Trace[] = asList(series).map((s) => ({
    type: "scatter",
    mode: s.mode ?? mode,
    name: s.name,
    x: s.x === undefined ? Array.from(s.y, (_, i) => i) : Array.from(s.x),
    y: Array.from(s.y),
    ...(s.dash === undefined ? {} : { line: { dash: s.dash } }),
  }));
  return { data, layout: chartLayout(options) };
}

/**
 * Options of {@linkcode plotFunction}: the interval, titles, and points to
 * mark on the curve.
 *
 * @example Sigmoid on [-4, 4]
 * ```ts
 * import type { PlotFunctionOptions } from "./charts.ts";
 *
 * const options: PlotFunctionOptions = { min: -4, max: 4, title: "sigmoid" };
 * ```
 */
export interface PlotFunctionOptions extends ChartOptions {
  /** The smallest x. */
  readonly min: number;
  /** The largest x. */
  readonly max: number;
  /** The x values of points to mark on the curve, in red. */
  readonly points?: readonly number[];
  /** Join the marked points in order, like the steps of gradient descent. */
  readonly connect?: boolean;
  /** How many segments the curve is drawn with. Default 200. */
  readonly steps?: number;
  /** The curve's name in the legend. Default: the title, else "f(x)". */
  readonly name?: string;
  /** The marked points' name in the legend. Default "points". */
  readonly pointsName?: string;
}

/**
 * The curve `y = f(x)` for x from `min` to `max`, with optional points
 * marked on it (red markers, joined by a line when `connect` is set).
 *
 * @throws {ArgumentError} when `min < max` fails or `steps` is not a whole
 * number ≥ 1.
 *
 * @example x² with the lesson's point at x = -1.5, and ReLU
 * ```ts
 * import { plotFunction } from "./charts.ts";
 *
 * const square = plotFunction((x) => x * x, { min: -2, max: 2, title: "x²", points: [-1.5] });
 * const relu = plotFunction((x) => Math.max(x, 0), { min: -2, max: 2, title: "ReLU" });
 * ```
 */
export function plotFunction(
  f: (x: number) => number,
  options: PlotFunctionOptions,
): Figure {
  const { min, max } = options;
  const steps = options.steps ?? 200;
  if (!(max > min) || !Number.isInteger(steps) || steps < 1) {
    throw new ArgumentError(
      `plotFunction needs min < max and a whole number of steps ≥ 1: got ` +
        `min ${min}, max ${max}, steps ${steps}.`,
    );
  }
  const x = Array.from(
    { length: steps + 1 },
    (_, i) => min + (max - min) * i / steps,
  );
  const data: Trace[] = [{
    type: "scatter",
    mode: "lines",
    name: options.name ?? options.title ?? "f(x)",
    x,
    y: x.map(f),
  }];
  if (options.points !== undefined && options.points.length > 0) {
    data.push({
      type: "scatter",
      mode: options.connect ? "lines+markers" : "markers",
      name: options.pointsName ?? "points",
      x: [...options.points],
      y: options.points.map(f),
      marker: { color: "#d62728", size: 9 },
      // Only where it is drawn: plotly.js flags an unused container.
      ...(options.connect ? { line: { color: "#d62728", dash: "dot" } } : {}),
    });
  }
  return {
    data,
    layout: {
      ...chartLayout({ xLabel: "x", yLabel: "y", ...options }),
      showlegend: data.length > 1,
    },
  };
}

/**
 * Series drawn as lines, one colour each, with a legend when there are
 * several.
 *
 * @example Train and validation losses over epochs
 * ```ts
 * import { linePlot } from "./charts.ts";
 *
 * const figure = linePlot([
 *   { name: "trainLoss", y: [0.3, 0.2, 0.15] },
 *   { name: "validLoss", y: [0.28, 0.21, 0.18] },
 * ], { title: "loss", xLabel: "epoch" });
 * ```
 */
export function linePlot(
  series: Series | readonly Series[],
  options: ChartOptions = {},
): Figure {
  return chart(series, "lines", options);
}

/**
 * Series drawn as markers, one colour each, with a legend when there are
 * several.
 *
 * @example The roller coaster's data and a model's predictions
 * ```ts
 * import { scatterPlot } from "./charts.ts";
 *
 * const time = [0, 1, 2, 3];
 * const figure = scatterPlot([
 *   { name: "speed", x: time, y: [68, 53, 40, 30] },
 *   { name: "predictions", x: time, y: [60, 50, 42, 35] },
 * ], { title: "speed", xLabel: "time" });
 * ```
 */
export function scatterPlot(
  series: Series | readonly Series[],
  options: ChartOptions = {},
): Figure {
  return chart(series, "markers", options);
}

function titleText(layout: FigureLayout): string | undefined {
  const title = layout.title as string | { text?: string } | undefined;
  return typeof title === "string" ? title : title?.text;
}

/** plotly.js's own colours, in its order. */
const COLOURS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

function colourOf(index: number): string {
  return COLOURS[index % COLOURS.length];
}

/**
 * Options of {@linkcode subplots}.
 *
 * @example Four panels in a row
 * ```ts
 * import type { SubplotOptions } from "./charts.ts";
 *
 * const options: SubplotOptions = { columns: 4, title: "predictions over steps" };
 * ```
 */
export interface SubplotOptions {
  /** Panels per row. Default: all in one row. */
  readonly columns?: number;
  /** The title above all the panels. */
  readonly title?: string;
}

/** The share of a subplot's cell that a heat map may take (the rest: its colour bar). */
const PANEL = 0.78;

/**
 * Figures as the panels of one figure, row by row: each keeps its traces,
 * axis titles and title (shown above its panel); a legend entry appears once
 * per name.
 *
 * @throws {ArgumentError} when there is no figure.
 *
 * @example The roller coaster at four steps
 * ```ts
 * import { scatterPlot, subplots } from "./charts.ts";
 *
 * const panels = [0, 10, 20, 30].map((step) =>
 *   scatterPlot({ name: "speed", y: [3, 1, 0, 1, 3] }, { title: `step ${step}` })
 * );
 * const figure = subplots(panels, { columns: 4 });
 * ```
 */
export function subplots(
  figures: readonly Figure[],
  options: SubplotOptions = {},
): Figure {
  if (figures.length === 0) {
    throw new ArgumentError("subplots needs at least one figure.");
  }
  const columns = Math.min(
    Math.max(1, Math.floor(options.columns ?? figures.length)),
    figures.length,
  );
  const rows = Math.ceil(figures.length / columns);
  const data: Trace[] = [];
  const layout: Record<string, unknown> = {
    grid: { rows, columns, pattern: "independent" },
    width: Math.min(1000, 300 * columns),
    height: (options.title === undefined ? 40 : 80) + 260 * rows,
    margin: { l: 60, r: 20, t: options.title === undefined ? 40 : 80, b: 50 },
    ...(options.title === undefined ? {} : { title: { text: options.title } }),
  };
  const annotations: unknown[] = [];
  const names: string[] = []; // in order of appearance; a name keeps a colour
  figures.forEach((figure, i) => {
    const n = i === 0 ? "" : String(i + 1); // plotly's axis suffix
    for (const trace of figure.data) {
      const name = trace.name;
      const first = name !== undefined && !names.includes(name);
      if (first) names.push(name);
      // A name keeps its colour in every panel, on the parts its trace
      // draws (plotly.js flags a `line` or `marker` its mode leaves unused).
      let colour = {};
      if (name !== undefined && trace.type === "scatter") {
        const color = colourOf(names.indexOf(name));
        const mode = trace.mode ?? "lines+markers";
        colour = {
          ...(mode.includes("lines") ? { line: { color, ...trace.line } } : {}),
          ...(mode.includes("markers")
            ? { marker: { color, ...trace.marker } }
            : {}),
        };
      }
      // A heat map's colour bar goes just right of its own panel (if shown).
      const bar = trace.type !== "heatmap" || trace.showscale === false ? {} : {
        colorbar: {
          ...trace.colorbar,
          x: ((i % columns) + PANEL) / columns + 0.005,
          xanchor: "left",
          y: 1 - (Math.floor(i / columns) + 0.5) / rows,
          len: 0.75 / rows,
          thickness: 10,
        },
      };
      data.push({
        ...trace,
        ...colour,
        ...bar,
        xaxis: `x${n}`,
        yaxis: `y${n}`,
        legendgroup: name,
        showlegend: first,
      } as Trace);
    }
    const { xaxis, yaxis } = figure.layout;
    // Heat maps: each panel keeps the right part of its cell for its colour
    // bar, and the image hugs that side.
    const cell = !figure.data.some((t) => t.type === "heatmap") ? {} : {
      x: {
        domain: [(i % columns) / columns, ((i % columns) + PANEL) / columns],
        constraintoward: "right",
      },
      y: {
        domain: [
          1 - (Math.floor(i / columns) + 0.9) / rows,
          1 - (Math.floor(i / columns) + 0.1) / rows,
        ],
      },
    };
    layout[`xaxis${n}`] = { ...xaxis, ...cell.x };
    layout[`yaxis${n}`] = {
      ...yaxis,
      ...cell.y,
      ...(yaxis?.scaleanchor ? { scaleanchor: `x${n}` } : {}),
    };
    const title = titleText(figure.layout);
    if (title !== undefined) {
      annotations.push({
        text: title,
        showarrow: false,
        xref: `x${n} domain`,
        yref: `y${n} domain`,
        x: 0.5,
        y: 1,
        xanchor: "center",
        yanchor: "bottom",
        yshift: 4,
      });
    }
  });
  layout.annotations = annotations;
  return { data, layout: layout as FigureLayout };
}

/**
 * Options of {@linkcode heatmap}.
 *
 * @example Greys, 0 white to 255 black
 * ```ts
 * import type { HeatmapOptions } from "./charts.ts";
 *
 * const options: HeatmapOptions = { zmin: 0, zmax: 255, title: "pixels" };
 * ```
 */
export interface HeatmapOptions extends ChartOptions {
  /**
   * Colours from the lowest value (0) to the highest (1), as
   * `[position, CSS colour]` pairs. Default: white to black.
   */
  readonly colorscale?: readonly (readonly [number, string])[];
  /** The value of the first colour. Default: the smallest value. */
  readonly zmin?: number;
  /** The value of the last colour. Default: the largest value. */
  readonly zmax?: number;
  /** Centre the colours on 0: `zmin = -zmax`, from the largest magnitude. */
  readonly symmetric?: boolean;
  /** The title of the colour bar. */
  readonly colorbarTitle?: string;
}

/** White (lowest) to black (highest), as the lesson shades pixels. */
const GREYS = [[0, "#ffffff"], [1, "#000000"]] as const;

/**
 * A grid of numbers as coloured cells, row 0 at the top, square cells, with
 * a colour bar.
 *
 * @example The mean 3 as a heat map
 * ```ts
 * import { heatmap } from "./charts.ts";
 *
 * const rows = [[0, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 0]];
 * const figure = heatmap(rows, { title: "a blob", zmin: 0, zmax: 1 });
 * ```
 */
export function heatmap(
  z: readonly (readonly number[])[],
  options: HeatmapOptions = {},
): Figure {
  const values = z.flat();
  let { zmin, zmax } = options;
  if (options.symmetric) {
    const largest = Math.max(...values.map(Math.abs)) || 1;
    zmin ??= -largest;
    zmax ??= largest;
  }
  const colorscale = (options.colorscale ?? GREYS).map(([at, colour]) => [
    at,
    colour,
  ]) as [number, string][];
  const base = chartLayout(options);
  // A small matrix (a confusion matrix of ten digits) labels every row and
  // column; plotly's default would label every other one.
  const ticks = z.length <= 12 && z.every((row) => row.length <= 12)
    ? { dtick: 1 }
    : {};
  return {
    data: [{
      type: "heatmap",
      z: z.map((row) => [...row]),
      zmin,
      zmax,
      colorscale,
      ...(options.colorbarTitle === undefined
        ? {}
        : { colorbar: { title: { text: options.colorbarTitle } } }),
      hovertemplate: "row %{y}, column %{x}: %{z}<extra></extra>",
    }],
    layout: {
      ...base,
      xaxis: { ...base.xaxis, ...ticks, constrain: "domain" },
      yaxis: {
        ...base.yaxis,
        ...ticks,
        autorange: "reversed",
        scaleanchor: "x",
        constrain: "domain",
      },
      width: 460,
      height: 400,
    },
  };
}
