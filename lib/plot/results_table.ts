/**
 * The recap's table of results: every model the notebooks saved (see
 * `load/results.ts`), as HTML for a notebook (GitHub shows it too) and text
 * for a terminal.
 *
 * @example Show everything recorded
 * ```ts
 * import { resultsTable } from "./results_table.ts";
 * import { loadResults } from "../load/results.ts";
 *
 * resultsTable(loadResults()); // a table, in a notebook
 * ```
 *
 * @module
 */
import { DataError } from "../errors.ts";
import type { ModelResult } from "../load/results.ts";
import { tableBundle } from "./show.ts";

/**
 * Something the Deno Jupyter kernel displays as a rich output: its method
 * under `Symbol.for("Jupyter.display")` returns a MIME bundle.
 *
 * @example
 * ```ts
 * import type { Displayable } from "./results_table.ts";
 *
 * const hello: Displayable = {
 *   [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "hello" }),
 * };
 * ```
 */
export interface Displayable {
  /** The MIME bundle to display, under `Symbol.for("Jupyter.display")`. */
  readonly [display: symbol]: () => Record<string, string>;
}

/**
 * A table of results for a notebook (HTML, which GitHub shows too) or a
 * terminal (text): notebook, model, parameters, accuracy.
 *
 * @throws {DataError} when `results` is empty: an empty table would be
 * saved as if it were the answer (run the notebooks that record results
 * first).
 *
 * @example
 * ```ts
 * import { resultsTable } from "./results_table.ts";
 *
 * resultsTable([{ notebook: "02", model: "pixel similarity", parameters: 0, accuracy: 0.9511 }]);
 * ```
 */
export function resultsTable(results: readonly ModelResult[]): Displayable {
  if (results.length === 0) {
    throw new DataError(
      "There are no results to show: none were recorded yet (data/results.json " +
        "is missing or empty). Run notebooks 02 to 09 first (each saves its " +
        "models' accuracy there; `deno task notebooks` runs them in order), " +
        "then this cell again.",
    );
  }
  const table = tableBundle(
    ["notebook", "model", "parameters", "accuracy"],
    results.map((r) => [
      r.notebook,
      r.model,
      r.parameters.toLocaleString("en-US"),
      r.accuracy.toFixed(4),
    ]),
  );
  return {
    [Symbol.for("Jupyter.display")]: () => ({
      "text/html": table["text/html"]!,
      "text/plain": table["text/plain"],
    }),
  };
}
