import assert from "node:assert/strict";
import {
  loadResults,
  type ModelResult,
  saveResult,
} from "../lib/load/results.ts";
import { resultsTable } from "../lib/plot/results_table.ts";
import { DataError } from "../lib/errors.ts";
import { permission, scratchAccess, scratchRoot, testIf } from "./_support.ts";

const file = new URL("results/results.json", scratchRoot);

function fresh(): void {
  Deno.mkdirSync(new URL("results/", scratchRoot), { recursive: true });
  try {
    Deno.removeSync(file);
  } catch {
    // already absent
  }
}

const linear: ModelResult = {
  notebook: "06",
  model: "linear",
  parameters: 785,
  accuracy: 0.9823,
};
const baseline: ModelResult = {
  notebook: "02",
  model: "pixel similarity",
  parameters: 0,
  accuracy: 0.9511,
};

testIf("no results file means no results", scratchAccess, () => {
  fresh();
  assert.deepEqual(loadResults(file), []);
});

testIf(
  "saving returns nothing, so a notebook cell ending with it prints nothing",
  scratchAccess,
  () => {
    fresh();
    // A cell shows its last expression's value unless it is undefined.
    const value: unknown = saveResult(linear, file);
    assert.equal(value, undefined);
    assert.deepEqual(loadResults(file), [linear]);
  },
);

testIf(
  "saved results come back sorted by notebook, a re-run replacing its own",
  scratchAccess,
  () => {
    fresh();
    saveResult(linear, file);
    saveResult(baseline, file);
    saveResult({ ...linear, accuracy: 0.9799 }, file);
    assert.deepEqual(loadResults(file), [baseline, {
      ...linear,
      accuracy: 0.9799,
    }]);
    assert.equal(
      Deno.readDirSync(new URL("results/", scratchRoot)).toArray().length,
      1,
      "no temporary file left",
    );
  },
);

testIf(
  "notebooks saving at the same moment keep every result",
  [...scratchAccess, permission({ name: "run", command: "deno" })],
  async () => {
    fresh();
    const save = (tag: string) =>
      new Deno.Command("deno", {
        args: [
          "run",
          "-P",
          "tests/_results_child.ts",
          file.pathname,
          tag,
          "40",
        ],
        cwd: new URL("../", import.meta.url),
      }).output();
    const outputs = await Promise.all([save("a"), save("b"), save("c")]);
    for (const output of outputs) {
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
    }
    assert.equal(loadResults(file).length, 120);
    assert.deepEqual(
      Deno.readDirSync(new URL("results/", scratchRoot)).toArray()
        .map((entry) => entry.name),
      ["results.json"],
      "no lock or temporary file left",
    );
  },
);

testIf(
  "a lock file left by a kernel that died does not hold up the next save",
  scratchAccess,
  () => {
    fresh();
    // The system released the dead kernel's lock; only its file remains.
    Deno.writeTextFileSync(new URL("results.json.lock", file), "");
    saveResult(linear, file);
    assert.deepEqual(loadResults(file), [linear]);
    assert.deepEqual(
      Deno.readDirSync(new URL("results/", scratchRoot)).toArray()
        .map((entry) => entry.name),
      ["results.json"],
    );
  },
);

Deno.test("the results table shows every model as HTML and as text", () => {
  const table = resultsTable([baseline, linear]);
  const bundle = table[Symbol.for("Jupyter.display")]();
  assert.match(bundle["text/html"], /<td>pixel similarity<\/td>/);
  assert.match(bundle["text/html"], /<td align="right">0\.9823<\/td>/);
  assert.equal(bundle["text/plain"].split("\n").length, 3);
  assert.match(
    bundle["text/plain"].split("\n")[2],
    /^06 +linear +785 +0\.9823$/,
  );
});

Deno.test("a results table with no results is a DataError that says which notebooks to run", () => {
  assert.throws(() => resultsTable([]), (e: Error) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    assert.match(e.message, /no results to show/);
    assert.match(e.message, /data\/results\.json is missing or empty/);
    assert.match(e.message, /Run notebooks 02 to 09 first/);
    return true;
  });
});

Deno.test("the results table escapes HTML in model names", () => {
  const table = resultsTable([{ ...linear, model: "a<b & c" }]);
  const html = table[Symbol.for("Jupyter.display")]()["text/html"];
  assert.match(html, /a&lt;b &amp; c/);
});

testIf(
  "a damaged results file is a DataError that says to delete it",
  scratchAccess,
  () => {
    fresh();
    for (const text of ["{not json", '{"a": 1}', '[{"notebook": 6}]']) {
      Deno.writeTextFileSync(file, text);
      assert.throws(() => loadResults(file), (e: Error) => {
        assert.ok(e instanceof DataError);
        assert.match(
          e.message,
          /results\.json is not a list of results: delete it/,
        );
        return true;
      });
      assert.throws(() => saveResult(linear, file), DataError);
    }
    Deno.removeSync(new URL("results/", scratchRoot), { recursive: true });
  },
);

testIf(
  "a results file that cannot be written is a DataError, and leaves nothing behind",
  scratchAccess,
  () => {
    fresh();
    Deno.mkdirSync(file); // a folder where the file should be
    try {
      assert.throws(() => saveResult(linear, file), (e: Error) => {
        assert.ok(e instanceof DataError);
        assert.match(e.message, /Could not (read|save) the results/);
        return true;
      });
      assert.deepEqual(
        Deno.readDirSync(new URL("results/", scratchRoot)).toArray().map((e) =>
          e.name
        ),
        ["results.json"],
      );
    } finally {
      Deno.removeSync(new URL("results/", scratchRoot), { recursive: true });
    }
  },
);
