/**
 * The rules every notebook keeps (`tools/rules.ts`): short notebooks, short
 * lesson cells, no plumbing printed, checks last, exercises at the end. The
 * rules are specified on small made-up notebooks, then applied to every
 * notebook of the series.
 */
import assert from "node:assert/strict";
import type { Cell, Notebook } from "../tools/outputs.ts";
import { readNotebook } from "../tools/outputs.ts";
import { MAX_CELLS, MAX_LINES, ruleBreaks } from "../tools/rules.ts";
import { permission, testIf } from "./_support.ts";

const md = (source: string): Cell => ({
  cell_type: "markdown",
  source,
  metadata: {},
});
const code = (source: string, tags: string[] = [], printed = false): Cell => ({
  cell_type: "code",
  source,
  metadata: { tags },
  outputs: printed
    ? [{ output_type: "execute_result", data: { "text/plain": "1" } }]
    : [],
});
const lines = (n: number) =>
  Array.from({ length: n }, (_, i) => `const a${i} = ${i};`).join("\n");
const exercises = md("## Exercises\n\n1. Why?");
const lesson = (...cells: Cell[]): Notebook => ({
  cells: [md("# A notebook"), ...cells, exercises],
});
const lesson0 = { isRecap: false };

Deno.test("a short notebook with exercises keeps the rules", () => {
  assert.deepEqual(ruleBreaks(lesson(code(lines(MAX_LINES))), lesson0), []);
});

Deno.test("a notebook of more than 30 cells is to be split", () => {
  const many = Array.from({ length: MAX_CELLS }, () => code("1;"));
  const [why] = ruleBreaks(lesson(...many), lesson0);
  assert.match(why, /32 cells, more than 30: split the notebook/);
});

Deno.test("a lesson cell of more than 15 lines is named, checks are not", () => {
  const long = lines(MAX_LINES + 1);
  assert.deepEqual(ruleBreaks(lesson(md("text"), code(long)), lesson0), [
    "cell 2 has 16 lines, more than 15: split it, or move what the lesson " +
    "does not teach into lib/",
  ]);
  const inChecks: Notebook = {
    cells: [md("# A"), exercises, md("## Checks"), code(long)],
  };
  assert.deepEqual(ruleBreaks(inChecks, lesson0), []);
  assert.deepEqual(ruleBreaks(lesson(code(long, ["hide-input"])), lesson0), []);
});

Deno.test("a detour a first read can skip may hold longer cells", () => {
  const long = code(lines(MAX_LINES + 1));
  const detour: Notebook = {
    cells: [
      md("# A"),
      md("### Why (deeper; a first read can skip this)"),
      long,
      md("## Back on the path"),
      long,
      exercises,
    ],
  };
  assert.deepEqual(ruleBreaks(detour, lesson0), [
    "cell 4 has 16 lines, more than 15: split it, or move what the lesson " +
    "does not teach into lib/",
  ]);
});

Deno.test("dataSync()[0] and toFixed in a lesson cell are engine noise", () => {
  const noisy = code("loss.dataSync()[0].toFixed(4);");
  assert.deepEqual(ruleBreaks(lesson(noisy), lesson0), [
    "cell 1 uses dataSync()[0]: read values with item() and round()",
    "cell 1 uses .toFixed(: read values with item() and round()",
  ]);
});

Deno.test("saving a result is tagged and prints nothing", () => {
  const save = "saveResult({ model: 'x' });";
  const hidden = ["hide-input", "no-output"];
  assert.deepEqual(ruleBreaks(lesson(code(save, hidden)), lesson0), []);
  assert.deepEqual(ruleBreaks(lesson(code(save, hidden, true)), lesson0), [
    "cell 1 saves a result and prints: it must not",
  ]);
  assert.deepEqual(ruleBreaks(lesson(code(save)), lesson0), [
    "cell 1 saves a result: tag it hide-input and no-output",
  ]);
});

Deno.test("checks come last; exercises are there except in the recap", () => {
  const checksFirst: Notebook = {
    cells: [md("## Checks"), code("1;"), exercises],
  };
  assert.deepEqual(ruleBreaks(checksFirst, lesson0), [
    'cell 0: "## Checks" must be the last section',
  ]);
  const noExercises: Notebook = { cells: [md("# Recap"), code("1;")] };
  assert.deepEqual(ruleBreaks(noExercises, lesson0), [
    'no "## Exercises" section: end with questions to try',
  ]);
  assert.deepEqual(ruleBreaks(noExercises, { isRecap: true }), []);
});

const folder = new URL("../notebooks/", import.meta.url);
testIf(
  "every notebook of the series keeps the rules",
  [permission({ name: "read", path: folder })],
  () => {
    const names = [...Deno.readDirSync(folder)]
      .map((entry) => entry.name)
      .filter((name) => name.endsWith(".ipynb"))
      .sort();
    assert.ok(names.length >= 8, `only ${names.length} notebooks found`);
    const breaks = names.flatMap((name, i) =>
      ruleBreaks(readNotebook(new URL(name, folder)), {
        isRecap: i === names.length - 1,
      }).map((why) => `${name}: ${why}`)
    );
    assert.deepEqual(breaks, []);
  },
);
