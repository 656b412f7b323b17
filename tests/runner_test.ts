/**
 * The notebook executor (`tools/run_notebooks.py`) on a notebook it cannot
 * read: one line naming the notebook and what to do, not Python's traceback.
 */
import assert from "node:assert/strict";
import { scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { canRunPython, debianTools } from "./_jupyter.ts";

testIf(
  "a notebook that is not valid JSON fails in one line naming it and saying what to do",
  [canRunPython, ...scratchAccess, await debianTools()],
  async () => {
    const dir = new URL("runner/", scratchRoot);
    Deno.mkdirSync(new URL("out/", dir), { recursive: true });
    try {
      const bad = new URL("bad.ipynb", dir).pathname;
      Deno.writeTextFileSync(bad, '{"cells": [\n<<<<<<< HEAD\n');
      const output = await new Deno.Command("/usr/bin/python3", {
        args: [
          "tools/run_notebooks.py",
          "--out-dir",
          new URL("out/", dir).pathname,
          bad,
        ],
        cwd: new URL("../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(output.stdout);
      const err = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 1);
      assert.doesNotMatch(out + err, /Traceback/);
      assert.match(
        out,
        new RegExp(
          `^FAILED ${bad}: it is not a readable notebook \\(NotJSONError: .*\\)\\. ` +
            "Fix its JSON \\(look for merge conflict markers\\), or restore " +
            `it with \`git checkout -- ${bad}\`\\.\\n$`,
        ),
      );
      assert.deepEqual([...Deno.readDirSync(new URL("out/", dir))], []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);
