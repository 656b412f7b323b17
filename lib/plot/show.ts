/**
 * Showing figures and pictures in a notebook: {@linkcode show} sends each
 * front end what it can display, {@linkcode bundle} builds what is sent.
 *
 * A chart (a plotly.js {@linkcode Figure}) goes out as one MIME bundle: the
 * plotly JSON (interactive in VS Code, and in JupyterLab with its plotly
 * extension), a PNG image drawn by plotly.js in a headless browser (what
 * GitHub and other viewers show), and a one-line `text/plain` (its title and
 * series). A {@linkcode Picture} (a PNG drawn without a browser, like a
 * digit) goes out as the PNG and its line of text. Without a browser, charts
 * go out without their PNG, and a line says once how to get one; with the
 * environment variable `MNIST_REQUIRE_PNG=1` (set by the notebook runner,
 * which must not save a notebook without its charts), a missing browser is
 * an error instead.
 *
 * Outside a notebook (`deno run`, `deno test`), `show` prints the text line;
 * tests pass a {@linkcode Display} function to capture the bundles instead.
 * In a notebook, loading this module starts the browser in the background
 * (`warmUp` of `render.ts`), so that the first chart need not wait for it.
 *
 * @example Show a chart, then keep its bundle
 * ```ts
 * import { plotFunction } from "./charts.ts";
 * import { bundle, show } from "./show.ts";
 *
 * const sigmoid = plotFunction((x) => 1 / (1 + Math.exp(-x)), { min: -4, max: 4, title: "sigmoid" });
 * await show(sigmoid);
 * const mime = await bundle(sigmoid);
 * console.log(mime["text/plain"]); // Figure "sigmoid": sigmoid
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Figure } from "./charts.ts";
import { ArgumentError, BrowserError } from "../errors.ts";
import { envVar } from "../env.ts";
import { type RenderOptions, renderPng, warmUp } from "./render.ts";

/**
 * A PNG image with a line of text that says what it shows.
 *
 * @example A 1×1 white picture
 * ```ts
 * import { encodePng } from "../load/png.ts";
 * import type { Picture } from "./show.ts";
 *
 * const dot: Picture = { png: encodePng(new Uint8Array([255]), 1, 1), width: 1, height: 1, text: "a white dot" };
 * ```
 */
export interface Picture {
  /** The PNG file's bytes. */
  readonly png: Uint8Array;
  /** Its width in pixels. */
  readonly width: number;
  /** Its height in pixels. */
  readonly height: number;
  /** One line saying what it shows: the `text/plain` of its bundle. */
  readonly text: string;
}

/**
 * What {@linkcode show} displays: a chart or a picture.
 *
 * @example
 * ```ts
 * import { linePlot } from "./charts.ts";
 * import type { Showable } from "./show.ts";
 *
 * const item: Showable = linePlot({ y: [1, 2, 3] });
 * ```
 */
export type Showable = Figure | Picture;

/**
 * A Jupyter MIME bundle: the same output in several formats, of which each
 * front end shows the richest it can. Images are base64 text.
 *
 * @example A bundle of text and HTML
 * ```ts
 * import type { MimeBundle } from "./show.ts";
 *
 * const table: MimeBundle = { "text/plain": "a  b", "text/html": "<table>...</table>" };
 * ```
 */
export interface MimeBundle {
  /** One line (a table: a few), for front ends that show only text. */
  readonly "text/plain": string;
  /** HTML, for tables. */
  readonly "text/html"?: string;
  /** A PNG image in base64. */
  readonly "image/png"?: string;
  /** A plotly.js figure, for the front ends that draw it. */
  readonly "application/vnd.plotly.v1+json"?: Figure;
}

/**
 * A table as a bundle: HTML (GitHub shows tables, without styles) and the same
 * rows as aligned text. The first column is left-aligned; other columns are
 * right-aligned when all their cells are numbers (units such as "0.05 s"
 * allowed).
 *
 * @throws {ArgumentError} when a row has not one cell per column.
 *
 * @example
 * ```ts
 * import { tableBundle } from "./show.ts";
 *
 * const table = tableBundle(["model", "accuracy"], [["linear", "0.9818"]]);
 * console.log(table["text/plain"]); // "model   accuracy\nlinear    0.9818"
 * ```
 */
export function tableBundle(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): MimeBundle {
  const ragged = rows.findIndex((row) => row.length !== header.length);
  if (ragged >= 0) {
    throw new ArgumentError(
      `Row ${ragged} of the table has ${rows[ragged].length} cells for ` +
        `${header.length} columns (${header.join(", ")}): give one per column.`,
    );
  }
  const numeric = header.map((_, i) =>
    i > 0 && rows.every((row) => /^-?[\d.,]+(e-?\d+)?( \w+)?$/.test(row[i]))
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i].length))
  );
  const line = (cells: readonly string[]) =>
    cells.map((c, i) =>
      numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])
    )
      .join("  ").trimEnd();
  const html = (tag: string, cells: readonly string[]) =>
    "<tr>" + cells.map((c, i) =>
      `<${tag}${numeric[i] ? ' align="right"' : ""}>${escapeHtml(c)}</${tag}>`
    ).join("") + "</tr>";
  return {
    "text/plain": [header, ...rows].map(line).join("\n"),
    "text/html": `<table><thead>${html("th", header)}</thead><tbody>` +
      rows.map((row) => html("td", row)).join("") + "</tbody></table>",
  };
}

/**
 * Text made safe to place in HTML.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./show.ts";
 *
 * console.log(escapeHtml("a < b & c")); // "a &lt; b &amp; c"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/**
 * How a display is sent: `id` names an output that later displays with
 * `update: true` replace in place.
 *
 * @example A progress line: first shown, then updated
 * ```ts
 * import type { DisplayOptions } from "./show.ts";
 *
 * const first: DisplayOptions = { id: "progress-1" };
 * const later: DisplayOptions = { id: "progress-1", update: true };
 * ```
 */
export interface DisplayOptions {
  /** The output's display id, to update it later. */
  readonly id?: string;
  /** Replace the output shown with the same `id` instead of adding one. */
  readonly update?: boolean;
}

/**
 * A function that shows a bundle: the kernel's, or a test's stand-in.
 *
 * @example Collect what would be shown
 * ```ts
 * import type { Display, MimeBundle } from "./show.ts";
 *
 * const shown: MimeBundle[] = [];
 * const display: Display = (bundle) => void shown.push(bundle);
 * ```
 */
export type Display = (
  bundle: MimeBundle,
  options: DisplayOptions,
) => void | Promise<void>;

/**
 * The Deno Jupyter kernel's display function, or `undefined` outside a
 * notebook. It sends bundles as they are (`raw: true`).
 *
 * @example Display HTML when in a notebook, else print
 * ```ts
 * import { notebookDisplay } from "./show.ts";
 *
 * const display = notebookDisplay();
 * if (display === undefined) console.log("3 vs 7");
 * else await display({ "text/plain": "3 vs 7", "text/html": "<b>3</b> vs <b>7</b>" }, {});
 * ```
 */
export function notebookDisplay(): Display | undefined {
  let jupyter: typeof Deno.jupyter;
  try {
    jupyter = Deno.jupyter; // throws outside `deno jupyter`
  } catch {
    return undefined;
  }
  return (bundle, { id, update }) =>
    jupyter.display(bundle, {
      raw: true,
      ...(id === undefined ? {} : { display_id: id }),
      ...(update ? { update: true } : {}),
    });
}

function isFigure(item: Showable): item is Figure {
  return "data" in item && "layout" in item;
}

/** The HTML tags and line breaks of a title, as plain text on one line. */
function plainLine(text: string): string {
  return text.replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "")
    .replace(/\s+/g, " ").trim();
}

/**
 * One line saying what a figure shows: `Figure "title": series, ...`, the
 * panel titles standing in for the title of subplots.
 */
function figureText(figure: Figure): string {
  const title = figure.layout.title as string | { text?: string } | undefined;
  const panels = (figure.layout.annotations ?? []).map((a) => a.text ?? "");
  const heading = typeof title === "string" ? title : title?.text ??
    (panels.length > 0 ? panels.join(" | ") : undefined);
  const names = [
    ...new Set(figure.data.map((trace) => trace.name ?? trace.type ?? "")),
  ];
  const series = names.filter((name) => name !== "").join(", ");
  const line = `Figure${heading === undefined ? "" : ` "${heading}"`}` +
    (series === "" ? "" : `: ${series}`);
  return plainLine(line);
}

/**
 * Options of {@linkcode bundle}: the image size, and whether to draw it.
 *
 * @example A quick bundle, for an output about to be replaced
 * ```ts
 * import type { BundleOptions } from "./show.ts";
 *
 * const options: BundleOptions = { png: false };
 * ```
 */
export interface BundleOptions extends RenderOptions {
  /** Draw a chart's PNG image. Default true; pictures always have theirs. */
  readonly png?: boolean;
}

/** The errors already explained to the reader, so that each is said once. */
const explained = new WeakSet<Error>();

/**
 * Whether a chart must have its PNG image: the environment variable
 * `MNIST_REQUIRE_PNG` is `1` (or any value but `0`). The notebook runner
 * sets it, so that a notebook is never saved without its charts' images.
 *
 * @example
 * ```ts
 * import { pngRequired } from "./show.ts";
 *
 * console.log(pngRequired()); // false, unless MNIST_REQUIRE_PNG=1
 * ```
 */
export function pngRequired(): boolean {
  const value = envVar("MNIST_REQUIRE_PNG");
  return value !== undefined && value !== "0";
}

/**
 * Deals with a failure to draw an image: a {@linkcode BrowserError} is
 * explained once (a line on stderr) and the caller goes on without the
 * image, unless {@linkcode pngRequired}, when it is thrown again, saying
 * why. Any other error is thrown as it is.
 *
 * @throws {BrowserError} when images are required and no browser can draw.
 *
 * @example Go on without an image
 * ```ts
 * import { linePlot } from "./charts.ts";
 * import { renderPng } from "./render.ts";
 * import { withoutImage } from "./show.ts";
 *
 * let png: Uint8Array | undefined;
 * try {
 *   png = await renderPng(linePlot({ y: [1, 2] }));
 * } catch (e) {
 *   withoutImage(e); // warns once, or throws under MNIST_REQUIRE_PNG=1
 * }
 * ```
 */
export function withoutImage(e: unknown): void {
  if (!(e instanceof BrowserError)) throw e;
  if (pngRequired()) {
    throw new BrowserError(
      `${e.message} MNIST_REQUIRE_PNG=1 requires every chart's PNG image ` +
        "(a notebook saved without them shows no chart on GitHub).",
      { cause: e },
    );
  }
  if (!explained.has(e)) {
    explained.add(e);
    console.warn(e.message);
  }
}

/**
 * The MIME bundle of a chart or a picture. A `width` or `height` in
 * `options` sizes both the interactive chart and its PNG. A chart's includes a PNG when a
 * browser can draw it (unless `png` is false); when none can, the bundle has
 * no PNG and a line (printed once per failed browser start) says how to get
 * one, or, when {@linkcode pngRequired}, it throws.
 *
 * @throws {BrowserError} when a PNG is required and no browser can draw it.
 *
 * @example What a chart sends
 * ```ts
 * import { linePlot } from "./charts.ts";
 * import { bundle } from "./show.ts";
 *
 * const mime = await bundle(linePlot({ name: "loss", y: [3, 2, 1] }, { title: "training" }));
 * console.log(Object.keys(mime)); // ["application/vnd.plotly.v1+json", "image/png", "text/plain"]
 * console.log(mime["text/plain"]); // Figure "training": loss
 * ```
 */
export async function bundle(
  item: Showable,
  options: BundleOptions = {},
): Promise<MimeBundle> {
  if (!isFigure(item)) {
    return {
      "image/png": Buffer.from(item.png).toString("base64"),
      "text/plain": plainLine(item.text),
    };
  }
  // A size given here is the chart's size in every front end: the
  // interactive figure's layout gets it too, not only the PNG.
  const figure = {
    data: item.data,
    layout: {
      ...item.layout,
      ...(options.width === undefined ? {} : { width: options.width }),
      ...(options.height === undefined ? {} : { height: options.height }),
    },
  };
  let png: string | undefined;
  try {
    if (options.png !== false) {
      png = Buffer.from(await renderPng(figure, options)).toString("base64");
    }
  } catch (e) {
    withoutImage(e);
  }
  return {
    "application/vnd.plotly.v1+json": figure,
    ...(png === undefined ? {} : { "image/png": png }),
    "text/plain": figureText(item),
  };
}

/**
 * Options of {@linkcode show}: the image size, and where to display.
 *
 * @example A wide chart
 * ```ts
 * import type { ShowOptions } from "./show.ts";
 *
 * const options: ShowOptions = { width: 900, height: 300 };
 * ```
 */
export interface ShowOptions extends RenderOptions {
  /** Where to display. Default: the notebook; outside one, print the text. */
  readonly display?: Display;
}

/**
 * Shows a chart or a picture in the notebook, each front end getting what it
 * can display (see {@linkcode bundle}). Outside a notebook, prints its line
 * of text.
 *
 * @throws {BrowserError} when a PNG is required and no browser can draw it.
 *
 * @example ReLU on [-2, 2]
 * ```ts
 * import { plotFunction } from "./charts.ts";
 * import { show } from "./show.ts";
 *
 * await show(plotFunction((x) => Math.max(x, 0), { min: -2, max: 2, title: "ReLU" }));
 * ```
 */
export async function show(
  item: Showable,
  options: ShowOptions = {},
): Promise<void> {
  const display = options.display ?? notebookDisplay();
  if (display === undefined) {
    console.log(isFigure(item) ? figureText(item) : plainLine(item.text));
    return;
  }
  await display(await bundle(item, options), {});
}

// In a notebook, the browser starts as the library loads, while the first
// cells run: the first chart then does not wait for it.
if (notebookDisplay() !== undefined) warmUp();
