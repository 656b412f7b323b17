/**
 * What a notebook's outputs must be, shared by the two runners
 * (`tools/notebooks.ts`, with nbclient, and `tools/live.ts`, in a browser):
 * the checks before a notebook is saved, and the comparison of a fresh run
 * with the saved outputs.
 *
 * The comparison masks what legitimately differs between machines and runs,
 * by these rules and no others:
 * - durations ("12 ms", "1.5 s") become `<t>`, and runs of spaces one space
 *   (a text table pads its columns to its longest duration);
 * - an output that reports a download or an extraction ("downloaded 3.1 MB,
 *   extracted 14,435 files"), which appears only when the data set was not
 *   there yet, is left out on both sides;
 * - numbers in a chart's data are compared to 12 significant digits (Deno
 *   2.8.1 and 2.9.6 differ in the last bit of `Math.exp`);
 * - images (`image/png`) are compared by presence, not by their bytes;
 * - a cell tagged `varies` is compared by its output types only.
 *
 * @example
 * ```ts
 * import { differences, problemsIn, readNotebook } from "./outputs.ts";
 *
 * const saved = readNotebook("notebooks/01_pixels.ipynb");
 * console.log(problemsIn(saved), differences(saved, saved).length); // [] 0
 * ```
 *
 * @module
 */

/** One output of a code cell, as nbformat 4 stores it. */
export interface Output {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string | readonly string[];
  readonly data?: Readonly<Record<string, unknown>>;
  readonly ename?: string;
}

/** A cell, as nbformat 4 stores it (only what is checked here). */
export interface Cell {
  readonly cell_type: string;
  readonly source: string | readonly string[];
  readonly metadata?: { readonly tags?: readonly string[] };
  readonly outputs?: readonly Output[];
}

/** A notebook, as nbformat 4 stores it (only what is checked here). */
export interface Notebook {
  readonly cells: readonly Cell[];
}

/** One difference between the saved outputs and a fresh run. */
export interface Difference {
  /** The cell's index among all cells of the notebook. */
  readonly cell: number;
  /** How many saved outputs the fresh run lacks (0: it printed something else). */
  readonly lost: number;
  /** What differs, for a person. */
  readonly message: string;
}

const PLOTLY = "application/vnd.plotly.v1+json";
const COMPARED_MIME = [
  "text/plain",
  "text/html",
  "text/markdown",
  PLOTLY,
] as const;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[/;
const DURATION = /\b\d+(?:\.\d+)?\s?(?:ms|s)\b/g;
const DATA_REPORT =
  /^\s*(?:downloaded|extracted) [\d.,]+\s?(?:[kMG]?B|files)\b/;

/** Reads a notebook file. */
export function readNotebook(path: string | URL): Notebook {
  return JSON.parse(Deno.readTextFileSync(path));
}

function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

function joined(source: string | readonly string[]): string {
  return typeof source === "string" ? source : source.join("");
}

/** The text of an output as a person reads it: its stream text or text/plain. */
export function plainText(output: Output): string {
  if (output.output_type === "stream") return text(output.text);
  return text(output.data?.["text/plain"]);
}

/** Whether an output only reports a download or an extraction (masked). */
export function isDataReport(output: Output): boolean {
  return output.output_type !== "error" && DATA_REPORT.test(plainText(output));
}

/** Code cells that ran something, with their index among all cells. */
export function codeCells(nb: Notebook): [number, Cell][] {
  return nb.cells
    .map((cell, i): [number, Cell] => [i, cell])
    .filter(([, cell]) =>
      cell.cell_type === "code" && joined(cell.source).trim() !== ""
    );
}

/**
 * What must hold before a notebook is saved: every code cell has an output
 * (unless tagged `no-output`), no output is an error or a warning on stderr,
 * none carries ANSI colour codes, and every chart has its PNG image.
 */
export function problemsIn(nb: Notebook): string[] {
  const found: string[] = [];
  for (const [i, cell] of codeCells(nb)) {
    const outputs = cell.outputs ?? [];
    if (outputs.length === 0 && !cell.metadata?.tags?.includes("no-output")) {
      found.push(`cell ${i} has no output (tag it no-output if that is meant)`);
    }
    if (outputs.some(hasAnsi)) {
      found.push(`cell ${i} has ANSI colour codes in its output`);
    }
    for (const output of outputs) {
      if (output.output_type === "error") {
        found.push(`cell ${i} raised ${output.ename ?? "an error"}`);
      } else if (output.output_type === "stream" && output.name === "stderr") {
        found.push(
          `cell ${i} wrote to stderr: ${
            text(output.text).trim().slice(0, 200)
          }`,
        );
      } else if (output.data?.[PLOTLY] && !output.data["image/png"]) {
        found.push(
          `cell ${i} has a chart without its PNG image (is Chromium installed?)`,
        );
      }
    }
  }
  return found;
}

// Every string inside a value (JSON.stringify would escape the ESC byte).
function hasAnsi(value: unknown): boolean {
  if (typeof value === "string") return ANSI.test(value);
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(hasAnsi);
  }
  return false;
}

function canonical(value: unknown): unknown {
  if (typeof value === "number" && !Number.isInteger(value)) {
    return Number(value.toPrecision(12));
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((
        key,
      ) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function masked(value: unknown): string {
  const raw = typeof value === "string" || Array.isArray(value)
    ? text(value)
    : JSON.stringify(canonical(value));
  return raw.replace(DURATION, "<t>").replace(/ {2,}/g, " ");
}

/**
 * A cell's outputs, reduced to what must not change between runs; only their
 * types where `varies` (by default: where the cell is tagged `varies`).
 */
export function comparable(
  cell: Cell,
  varies = cell.metadata?.tags?.includes("varies") ?? false,
): string[] {
  const outputs = (cell.outputs ?? []).filter((out) => !isDataReport(out));
  if (varies) {
    return outputs.map((out) => out.output_type);
  }
  return outputs.map((out) => {
    if (out.output_type === "stream") {
      return JSON.stringify(["stream", out.name, masked(out.text)]);
    }
    if (out.output_type === "error") {
      return JSON.stringify(["error", out.ename]);
    }
    const data = out.data ?? {};
    return JSON.stringify([
      out.output_type === "execute_result" ? "value" : "display",
      Object.keys(data).sort(),
      COMPARED_MIME.filter((mime) => mime in data).map((mime) =>
        masked(data[mime])
      ),
    ]);
  });
}

// Where two lists of comparable outputs first differ, with some context.
function firstDifference(want: string[], got: string[]): string {
  const a = want.join(" "), b = got.join(" ");
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  const from = Math.max(0, at - 150);
  return `  saved: …${a.slice(from, at + 150)}…\n` +
    `  now:   …${b.slice(from, at + 150)}…`;
}

/**
 * The code cells whose fresh outputs differ from the saved ones. A fresh
 * cell whose outputs are the saved ones with some missing counts those as
 * lost.
 */
export function differences(saved: Notebook, fresh: Notebook): Difference[] {
  const a = codeCells(saved);
  const b = codeCells(fresh);
  if (a.length !== b.length) {
    return [{
      cell: -1,
      lost: 0,
      message: `${b.length} code cells ran, ${a.length} are saved`,
    }];
  }
  const found: Difference[] = [];
  for (const [k, [i, cell]] of a.entries()) {
    // The saved cell's tags decide: a live client's cells may carry none.
    const want = comparable(cell);
    const got = comparable(b[k][1], cell.metadata?.tags?.includes("varies"));
    if (JSON.stringify(want) === JSON.stringify(got)) continue;
    let lost = 0;
    let next = 0;
    for (const output of want) {
      if (got[next] === output) next++;
      else lost++;
    }
    const subset = next === got.length && lost > 0;
    found.push({
      cell: i,
      lost: subset ? lost : 0,
      message: subset
        ? `cell ${i} lost ${lost} of its ${want.length} outputs: ` +
          want.filter((o) => !got.includes(o)).join(" ").slice(0, 300)
        : `cell ${i} printed something else than its saved output:\n` +
          firstDifference(want, got),
    });
  }
  return found;
}
