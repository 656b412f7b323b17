/**
 * What the notebook runners check before saving, and what they compare with
 * the saved outputs (`tools/outputs.ts`): the masks are exactly the stated
 * ones, and a missing output counts as lost.
 */
import assert from "node:assert/strict";
import {
  type Cell,
  comparable,
  differences,
  type Notebook,
  type Output,
  problemsIn,
} from "../tools/outputs.ts";

const value = (text: string): Output => ({
  output_type: "execute_result",
  data: { "text/plain": text },
});
const display = (text: string, extra = {}): Output => ({
  output_type: "display_data",
  data: { "text/plain": text, ...extra },
});
const code = (outputs: Output[], tags: string[] = []): Cell => ({
  cell_type: "code",
  source: "x;",
  metadata: { tags },
  outputs,
});
const notebook = (...cells: Cell[]): Notebook => ({ cells });
const chart = { "application/vnd.plotly.v1+json": { data: [] } };

Deno.test("a download report is masked whether it was printed or not", () => {
  const downloaded = notebook(code([
    display("downloaded 3.1 MB, extracted 14,435 files"),
    value('"data/mnist_sample"'),
  ]));
  const alreadyThere = notebook(code([value('"data/mnist_sample"')]));
  assert.deepEqual(differences(downloaded, alreadyThere), []);
  assert.deepEqual(differences(alreadyThere, downloaded), []);
});

Deno.test("durations are masked, other numbers are compared", () => {
  const a = notebook(code([value("epoch 1: 0.9818 in 12 ms")]));
  const b = notebook(code([value("epoch 1: 0.9818 in 1.5 s")]));
  const c = notebook(code([value("epoch 1: 0.9817 in 12 ms")]));
  assert.deepEqual(differences(a, b), []);
  assert.equal(differences(a, c).length, 1);
  assert.equal(differences(a, c)[0].lost, 0);
});

Deno.test("an output missing from a fresh run counts as lost", () => {
  const saved = notebook(code([display("chart", chart), value("1")]));
  const fresh = notebook(code([display("chart", chart)]));
  const [found] = differences(saved, fresh);
  assert.equal(found.cell, 0);
  assert.equal(found.lost, 1);
  assert.match(found.message, /lost 1 of its 2 outputs/);
});

Deno.test("an output moved to another cell is a difference in both", () => {
  const saved = notebook(code([value("1")]), code([value("2")]));
  const fresh = notebook(code([]), code([value("1"), value("2")]));
  const found = differences(saved, fresh);
  assert.deepEqual(found.map((d) => [d.cell, d.lost]), [[0, 1], [1, 0]]);
});

Deno.test("chart numbers are compared to 12 significant digits", () => {
  const plot = (y: number) =>
    notebook(code([display("sigmoid", {
      "application/vnd.plotly.v1+json": { data: [{ y: [y] }] },
    })]));
  const a = plot(0.021041347020468282);
  assert.deepEqual(differences(a, plot(0.02104134702046828)), []);
  assert.equal(differences(a, plot(0.02104134702)).length, 1);
});

Deno.test("images are compared by presence, not by their bytes", () => {
  const a = display("digit", { "image/png": "AAAA" });
  const b = display("digit", { "image/png": "BBBB" });
  const none = display("digit");
  assert.deepEqual(comparable(code([a])), comparable(code([b])));
  assert.notDeepEqual(comparable(code([a])), comparable(code([none])));
});

Deno.test("a table padded to a longer duration is the same table", () => {
  const a = notebook(code([value("acc    time\n0.9818  2.1 s")]));
  const b = notebook(code([value("acc     time\n0.9818  12.1 s")]));
  assert.deepEqual(differences(a, b), []);
});

Deno.test("a cell tagged varies is compared by output types only", () => {
  const a = notebook(code([value("0.1")], ["varies"]));
  const b = notebook(code([value("0.2")], ["varies"]));
  assert.deepEqual(differences(a, b), []);
});

Deno.test("the saved cell's varies tag holds for a live run whose cells carry no tags", () => {
  const saved = notebook(code([value("0.1")], ["varies"]));
  const live = notebook(code([value("0.2")]));
  assert.deepEqual(differences(saved, live), []);
  const changedType = notebook(code([display("0.2")]));
  assert.equal(differences(saved, changedType).length, 1);
});

Deno.test("a notebook is not saved with a chart that lacks its PNG", () => {
  const found = problemsIn(notebook(code([display("loss", chart)])));
  assert.equal(found.length, 1);
  assert.match(found[0], /chart without its PNG/);
  const withPng = display("loss", { ...chart, "image/png": "AAAA" });
  assert.deepEqual(problemsIn(notebook(code([withPng]))), []);
});

Deno.test("errors, stderr, colour codes and missing outputs are refused", () => {
  const found = problemsIn(notebook(
    code([{ output_type: "error", ename: "TypeError" }]),
    code([{ output_type: "stream", name: "stderr", text: "No browser" }]),
    code([value("\x1b[33m1\x1b[39m")]),
    code([]),
    code([], ["no-output"]),
  ));
  assert.deepEqual(found.map((line) => line.split(" ").slice(0, 3).join(" ")), [
    "cell 0 raised",
    "cell 1 wrote",
    "cell 2 has",
    "cell 3 has",
  ]);
});
