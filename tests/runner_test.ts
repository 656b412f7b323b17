/**
 * The notebook executor (`tools/run_notebooks.py`) on a notebook it cannot
 * read: one line naming the notebook and what to do, not Python's traceback.
 */
import assert from "node:assert/strict";
import {
  type Need,
  permission,
  scratchAccess,
  scratchRoot,
  testIf,
} from "./_support.ts";
import { findTools, missingPackages } from "../tools/setup.ts";

const canRun = permission({ name: "run", command: "/usr/bin/python3" });

async function nbclient(): Promise<Need> {
  const missing = canRun.met ? missingPackages(await findTools()) : [];
  return {
    met: missing.length === 0,
    why: `Debian's ${missing.join(", ")}`,
    fix: "run `deno task test`, which installs them (as root) or says how",
  };
}

testIf(
  "a notebook that is not valid JSON fails in one line naming it and saying what to do",
  [canRun, ...scratchAccess, await nbclient()],
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
