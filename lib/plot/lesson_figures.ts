/**
 * The lesson's own figures, built from the general charts of `charts.ts`:
 * {@linkcode weightMap} shows a model's 784 weights as a 28×28 map,
 * {@linkcode weightMaps} the columns of a `[784, n]` layer side by side,
 * {@linkcode votesMap} how one neuron scores one image pixel by pixel, and
 * {@linkcode plotMetrics} the losses and metrics of a `Learner.fit`.
 *
 * Each takes tensors or plain arrays and returns a plotly.js figure for
 * {@linkcode show}; reading a tensor leaves no tensor behind.
 *
 * @example A model's weights, as the lesson looks at them
 * ```ts
 * import { weightMap } from "./lesson_figures.ts";
 * import { Linear } from "../model.ts";
 * import { show } from "./show.ts";
 *
 * await show(weightMap(new Linear(28 * 28, 1).params[0], { title: "weights" }));
 * ```
 *
 * @module
 */
import type { Tensor } from "../tensors.ts";
import { ArgumentError, ShapeError } from "../errors.ts";
import {
  type Figure,
  heatmap,
  linePlot,
  subplots,
  type Trace,
} from "./charts.ts";

/** Negative weights red, zero white, positive blue. */
const DIVERGING = [
  [0, "#b2182b"],
  [0.25, "#ef8a62"],
  [0.5, "#ffffff"],
  [0.75, "#67a9cf"],
  [1, "#2166ac"],
] as const;

/**
 * The 784 weights of a linear model on 28×28 images, as a 28×28 map: red
 * for negative weights, white for zero, blue for positive, on a scale
 * symmetric about 0 whose colour bar gives the values. Pixels where the map
 * is blue push the output up (towards "3" in the lesson), red ones push it
 * down. Accepts a tensor of 784 values (`[784, 1]`, `[28, 28]`, ...) or an
 * array; throws a `ShapeError` for any other size.
 *
 * The scale reaches the largest magnitude, unless `clip` (a fraction, such as
 * 0.99) ends it at that quantile of the magnitudes: the few larger weights
 * are then drawn in full colour, and the others stay visible. Least-squares
 * fits need it: pixels inked in a handful of images get huge weights.
 * `colorbarTitle` names the values when they are not weights (a difference
 * of two templates, say).
 *
 * @throws {ShapeError} when there are not 784 weights.
 * @throws {ArgumentError} when `clip` is not in (0, 1].
 *
 * @example The weights of the lesson's linear model
 * ```ts
 * import { weightMap } from "./lesson_figures.ts";
 * import { Linear } from "../model.ts";
 * import { show } from "./show.ts";
 *
 * const linear = new Linear(28 * 28, 1);
 * await show(weightMap(linear.params[0], { title: "weights, before training" }));
 * ```
 */
export function weightMap(
  weights: Tensor | ArrayLike<number>,
  options: {
    readonly title?: string;
    readonly clip?: number;
    /** The colour bar's title; default "weight". */
    readonly colorbarTitle?: string;
  } = {},
): Figure {
  const values = "dataSync" in weights ? weights.dataSync() : weights;
  const side = 28;
  if (values.length !== side * side) {
    const shape = "shape" in weights
      ? `a tensor of shape [${weights.shape.join(", ")}]`
      : `${values.length} values`;
    throw new ShapeError(
      `weightMap needs ${side * side} weights, one per pixel: got ${shape}. ` +
        "Pass the weights of one output (e.g. a column of a [784, n] tensor).",
    );
  }
  const rows = Array.from(
    { length: side },
    (_, r) => Array.from({ length: side }, (_, c) => values[r * side + c]),
  );
  const { clip = 1 } = options;
  if (!(clip > 0 && clip <= 1)) {
    throw new ArgumentError(
      `weightMap's clip is a fraction in (0, 1]; got ${clip}.`,
    );
  }
  const magnitudes = Array.from(values, Math.abs).sort((a, b) => a - b);
  const limit = magnitudes[Math.ceil(clip * magnitudes.length) - 1] || 1;
  return heatmap(rows, {
    title: options.title,
    colorscale: DIVERGING,
    zmin: -limit,
    zmax: limit,
    colorbarTitle: options.colorbarTitle ?? "weight",
  });
}

/**
 * What {@linkcode plotMetrics} charts of an epoch: `Learner.fit`'s records
 * have these fields (and more).
 *
 * @example
 * ```ts
 * import type { EpochPoint } from "./lesson_figures.ts";
 *
 * const point: EpochPoint = { epoch: 0, trainLoss: 0.3, validLoss: 0.25, metrics: { accuracy: 0.8 } };
 * ```
 */
export interface EpochPoint {
  /** The epoch's number. */
  readonly epoch: number;
  /** The mean training loss. */
  readonly trainLoss: number;
  /** The mean validation loss. */
  readonly validLoss: number;
  /** Each metric, by name. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The losses and metrics of each epoch of a `Learner.fit`: losses on the
 * left, metrics on the right. Metrics that stay within [0, 1] (accuracies)
 * are drawn from 0.5, chance for two classes, up to 1 (from 0 if one is
 * below 0.5): on a range zoomed to the values, the noise of a few images
 * between epochs would look like a trend.
 *
 * @example After training
 * ```ts
 * import { type EpochPoint, plotMetrics } from "./lesson_figures.ts";
 *
 * const records: EpochPoint[] = [
 *   { epoch: 0, trainLoss: 0.3, validLoss: 0.25, metrics: { accuracy: 0.8 } },
 *   { epoch: 1, trainLoss: 0.2, validLoss: 0.18, metrics: { accuracy: 0.9 } },
 * ];
 * const figure = plotMetrics(records);
 * ```
 */
export function plotMetrics(
  records: readonly EpochPoint[],
  options: { readonly title?: string } = {},
): Figure {
  const epochs = records.map((r) => r.epoch);
  const names = Object.keys(records[0]?.metrics ?? {});
  const mode = "lines+markers";
  const losses = linePlot(
    [
      {
        name: "trainLoss",
        mode,
        x: epochs,
        y: records.map((r) => r.trainLoss),
      },
      {
        name: "validLoss",
        mode,
        x: epochs,
        y: records.map((r) => r.validLoss),
      },
    ],
    { title: "loss", xLabel: "epoch" },
  );
  if (names.length === 0) return subplots([losses], options);
  const metrics = linePlot(
    names.map((name) => ({
      name,
      mode,
      x: epochs,
      y: records.map((r) => r.metrics[name]),
    })),
    { title: names.join(", "), xLabel: "epoch" },
  );
  const values = records.flatMap((r) => names.map((n) => r.metrics[n]));
  if (values.every((v) => v >= 0 && v <= 1)) {
    const low = values.some((v) => v < 0.5) ? 0 : 0.5;
    metrics.layout.yaxis = { ...metrics.layout.yaxis, range: [low, 1] };
  }
  return subplots([losses, metrics], { columns: 2, ...options });
}

/** The values of a tensor or an array, as a plain array of numbers. */
function numbersOf(values: Tensor | ArrayLike<number>): number[] {
  return Array.from("dataSync" in values ? values.dataSync() : values);
}

/** 784 values as 28 rows of 28; throws a `ShapeError` for any other size. */
function grid28(values: readonly number[], what: string): number[][] {
  if (values.length !== 784) {
    throw new ShapeError(
      `${what} needs 784 values, one per pixel of a 28×28 image: got ` +
        `${values.length}. Pass one image or one column of weights.`,
    );
  }
  return Array.from(
    { length: 28 },
    (_, r) => values.slice(r * 28, r * 28 + 28),
  );
}

/**
 * How one linear neuron scores one image, pixel by pixel: the image, the
 * weights, and their product `x ⊙ w`, the "votes" of the pixels (blue for a
 * 3, red for a 7, white where the pixel has no ink or its weight is zero).
 * The title adds the votes up: their sum, the bias and the score
 * `Σ xᵢ·wᵢ + b`, and says which side of 0 it falls on. The score shown is
 * the sum of the two rounded terms, so that the title adds up; the side is
 * decided by the exact score. `votesRange` fixes the votes' colour scale to
 * `±votesRange`, so that the maps of two images compare.
 *
 * @throws {ShapeError} if `image` or `weights` does not hold 784 values.
 *
 * @example The votes of a blank image are all zero: its score is the bias
 * ```ts
 * import { votesMap } from "./lesson_figures.ts";
 *
 * const weights = Array.from({ length: 784 }, (_, i) => (i % 28) / 28 - 0.5);
 * const figure = votesMap(new Array(784).fill(0), weights, 0.25, { votesRange: 1 });
 * ```
 */
export function votesMap(
  image: Tensor | ArrayLike<number>,
  weights: Tensor | ArrayLike<number>,
  bias: number,
  options: { readonly title?: string; readonly votesRange?: number } = {},
): Figure {
  const x = numbersOf(image);
  const w = numbersOf(weights);
  const votes = x.map((v, i) => v * w[i]);
  const total = votes.reduce((a, b) => a + b, 0);
  const score = total + bias;
  const side = score > 0 ? "> 0: a 3" : "≤ 0: a 7";
  const [shownTotal, shownBias] = [total, bias].map((v) => +v.toFixed(2));
  const sum = `Σ x·w = ${shownTotal.toFixed(2)}, bias ${
    shownBias.toFixed(2)
  }, score ${(shownTotal + shownBias).toFixed(2)} ${side}`;
  const diverging = (z: number[][], title: string, range?: number) =>
    heatmap(z, {
      title,
      colorscale: DIVERGING,
      symmetric: true,
      ...(range === undefined ? {} : { zmin: -range, zmax: range }),
    });
  return subplots([
    heatmap(grid28(x, "votesMap's image"), { title: "pixels x" }),
    diverging(grid28(w, "votesMap's weights"), "weights w"),
    diverging(grid28(votes, "votesMap"), "votes x ⊙ w", options.votesRange),
  ], {
    columns: 3,
    title: options.title === undefined ? sum : `${options.title}: ${sum}`,
  });
}

/**
 * Several sets of 784 weights (the columns of a `[784, n]` tensor, such as
 * the first layer of `simpleNet`) as 28×28 maps in a grid, all on one colour
 * scale symmetric about 0 (red negative, blue positive), with one colour bar.
 *
 * @throws {ShapeError} if `weights` is not `[784, n]`.
 *
 * @example The 30 hidden neurons of a 784-30-1 net
 * ```ts
 * import { weightMaps } from "./lesson_figures.ts";
 * import { Linear } from "../model.ts";
 *
 * const hidden = new Linear(784, 30);
 * const figure = weightMaps(hidden.weight, { columns: 6, title: "30 neurons" });
 * ```
 */
export function weightMaps(
  weights: Tensor,
  options: {
    readonly columns?: number;
    readonly title?: string;
    /** Each panel's title, in order; by default 1, 2, 3, ... */
    readonly titles?: readonly string[];
  } = {},
): Figure {
  if (weights.rank !== 2 || weights.shape[0] !== 784) {
    throw new ShapeError(
      `weightMaps needs weights of shape [784, n], one column per neuron; ` +
        `got [${weights.shape.join(", ")}].`,
    );
  }
  const n: number = weights.shape[1] as number;
  const values: number[] = Array.from(weights.dataSync());
  const limit = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  const panels: Figure[] = Array.from({ length: n }, (_, j) => {
    const column = Array.from({ length: 784 }, (_, i) => values[i * n + j]);
    const figure = heatmap(grid28(column, "weightMaps"), {
      title: options.titles?.[j] ?? `${j + 1}`,
      colorscale: DIVERGING,
      zmin: -limit,
      zmax: limit,
    });
    // One colour bar, the last panel's: the others carry none.
    const { colorbar: _bar, ...rest } = figure.data[0] as Trace & {
      colorbar?: unknown;
    };
    const trace = (j === n - 1 ? { ...figure.data[0], showscale: true } : {
      ...rest,
      showscale: false,
    }) as Trace;
    return { data: [trace], layout: figure.layout };
  });
  const columns = options.columns ?? Math.min(n, 6);
  const grid = subplots(panels, { columns, title: options.title });
  const rows = Math.ceil(n / columns);
  // Small panels: no tick labels, which would crowd the panels' titles.
  const axes = Object.fromEntries(
    Object.entries(grid.layout)
      .filter(([key]) => /^[xy]axis\d*$/.test(key))
      .map(([key, axis]) => [key, { ...axis, showticklabels: false }]),
  );
  return {
    data: grid.data,
    layout: {
      ...grid.layout,
      ...axes,
      width: Math.min(1000, 160 * columns + 80),
      height: (options.title === undefined ? 40 : 80) + 160 * rows,
      margin: { l: 20, r: 20, t: options.title === undefined ? 40 : 80, b: 20 },
    },
  };
}
