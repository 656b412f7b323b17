/**
 * The rules a notebook of the series keeps, so that a learner walks the
 * lesson's code and not the project's plumbing (README, "How a notebook
 * reads"):
 *
 * - at most {@linkcode MAX_CELLS} cells;
 * - a code cell in the learner's path (every code cell before a final
 *   `## Checks` section, except the bookkeeping cells tagged `hide-input` and
 *   the cells of a detour: a section whose heading says a first read can
 *   skip it, up to the next heading of its level or above) has at most
 *   {@linkcode MAX_LINES} lines and reads values with `item` and `round`, not
 *   `dataSync()[0]` or `toFixed`;
 * - a cell that saves a result for the recap (`saveResult`) is tagged
 *   `hide-input` and `no-output`, and has no output;
 * - a `## Checks` section, where a notebook has one, is its last section;
 * - every notebook but the recap (the last one) has a `## Exercises` section.
 *
 * @example
 * ```ts
 * import { readNotebook } from "./outputs.ts";
 * import { ruleBreaks } from "./rules.ts";
 *
 * const nb = readNotebook("notebooks/01_pixels.ipynb");
 * console.log(ruleBreaks(nb, { isRecap: false })); // []
 * ```
 *
 * @module
 */
import type { Cell, Notebook } from "./outputs.ts";

/** The most cells a notebook may have. */
export const MAX_CELLS = 30;
/** The most lines a code cell in the learner's path may have. */
export const MAX_LINES = 15;

/** What is checked of a notebook beyond its cells. */
export interface RuleOptions {
  /** The recap answers the chapter's questionnaire: it needs no exercises. */
  readonly isRecap: boolean;
}

const sourceOf = (cell: Cell): string =>
  typeof cell.source === "string" ? cell.source : cell.source.join("");
const tagsOf = (cell: Cell): readonly string[] => cell.metadata?.tags ?? [];
const headingsOf = (cell: Cell): string[] =>
  cell.cell_type === "markdown"
    ? sourceOf(cell).split("\n").filter((line) => /^## /.test(line))
      .map((line) => line.slice(3).trim())
    : [];
const ENGINE_NOISE = [/dataSync\(\)\[0\]/, /\.toFixed\(/];

const SKIPPABLE = /first read can skip/i;

/** For each cell, whether it lies in a detour (see the module's doc). */
function detourCells(cells: readonly Cell[]): boolean[] {
  let level = 0; // the level of the detour's heading; 0: not in a detour
  return cells.map((cell) => {
    if (cell.cell_type === "markdown") {
      for (const line of sourceOf(cell).split("\n")) {
        const heading = /^(#{1,6}) (.*)/.exec(line);
        if (!heading) continue;
        const depth = heading[1].length;
        if (level > 0 && depth <= level) level = 0;
        if (level === 0 && SKIPPABLE.test(heading[2])) level = depth;
      }
    }
    return level > 0;
  });
}

/**
 * Every rule a notebook breaks, one sentence each that names the cell (its
 * 0-based index, as Jupyter's cell list counts) and what to do; empty when it
 * keeps them all.
 */
export function ruleBreaks(nb: Notebook, options: RuleOptions): string[] {
  const breaks: string[] = [];
  const cells = nb.cells;
  if (cells.length > MAX_CELLS) {
    breaks.push(
      `${cells.length} cells, more than ${MAX_CELLS}: split the notebook`,
    );
  }
  const sections = cells.flatMap((cell, index) =>
    headingsOf(cell).map((title) => ({ title, index }))
  );
  const checks = sections.find((s) => /^Checks\b/.test(s.title));
  if (checks && sections.at(-1) !== checks) {
    breaks.push(
      `cell ${checks.index}: "## ${checks.title}" must be the last section`,
    );
  }
  if (!options.isRecap && !sections.some((s) => /^Exercises\b/.test(s.title))) {
    breaks.push('no "## Exercises" section: end with questions to try');
  }
  const pathEnd = checks?.index ?? cells.length;
  const detour = detourCells(cells);
  cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const source = sourceOf(cell);
    const tags = tagsOf(cell);
    if (source.includes("saveResult(")) {
      if (!tags.includes("hide-input") || !tags.includes("no-output")) {
        breaks.push(
          `cell ${index} saves a result: tag it hide-input and no-output`,
        );
      }
      if ((cell.outputs ?? []).length > 0) {
        breaks.push(`cell ${index} saves a result and prints: it must not`);
      }
    }
    if (index > pathEnd || detour[index] || tags.includes("hide-input")) {
      return;
    }
    const lines = source.trimEnd().split("\n").length;
    if (lines > MAX_LINES) {
      breaks.push(
        `cell ${index} has ${lines} lines, more than ${MAX_LINES}: ` +
          "split it, or move what the lesson does not teach into lib/",
      );
    }
    for (const noise of ENGINE_NOISE) {
      if (noise.test(source)) {
        breaks.push(
          `cell ${index} uses ${noise.source.replaceAll("\\", "")}: ` +
            "read values with item() and round()",
        );
      }
    }
  });
  return breaks;
}
