/**
 * Every notebook, executed from a clean state by the one notebook runner
 * (`tools/notebooks.ts --check`), prints what it has saved: no error, no cell
 * missing its output, no colour codes, no chart without its PNG, and the same
 * values (durations and download reports masked, see `tools/outputs.ts`).
 * So a committed output is always what the committed code prints.
 *
 * The runner works on a scratch copy of `lib/` and `notebooks/` in
 * `tests/.scratch/`, with its own empty `data/`: what the project's `data/`
 * holds changes nothing, and nothing in the project is written.
 */
import assert from "node:assert/strict";
import { permission, scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { canRunPython, debianTools } from "./_jupyter.ts";
import { main } from "../tools/notebooks.ts";
import { root } from "../tools/setup.ts";

const canRead = permission({ name: "read", path: root });

testIf(
  "every notebook runs from a scratch copy and prints what it has saved",
  [canRunPython, canRead, ...scratchAccess, await debianTools()],
  async () => {
    Deno.mkdirSync(scratchRoot, { recursive: true });
    const names = () => [...Deno.readDirSync(scratchRoot)].map((e) => e.name);
    const before = new Set(names());
    assert.equal(await main(["--check"]), 0, "a notebook failed: see above");
    // The run may sweep copies that killed runs left; it adds none.
    const added = names().filter((name) => !before.has(name));
    assert.deepEqual(added, [], "the runner left its scratch copy behind");
  },
);
