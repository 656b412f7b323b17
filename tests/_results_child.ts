/**
 * A child process for `results_test.ts`: saves `count` results named
 * `<tag> <i>` into `file`, as a notebook's kernel would, one after another.
 *
 * `deno run -P tests/_results_child.ts FILE TAG COUNT`
 *
 * @module
 */
import { saveResult } from "../lib/load/results.ts";

const [file, tag, count] = Deno.args;
for (let i = 0; i < Number(count); i++) {
  saveResult(
    { notebook: "09", model: `${tag} ${i}`, parameters: i, accuracy: 0.5 },
    new URL(`file://${file}`),
  );
}
