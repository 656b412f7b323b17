/**
 * The JupyterLab run (`deno task lab`, `tools/lab.ts`) installs the same
 * packages everywhere: every line of its requirements pins one version, and
 * the clients it is for are there (JupyterLab 4, Notebook 7, and plotly,
 * whose package carries JupyterLab's renderer for plotly outputs).
 */
import assert from "node:assert/strict";
import { parseLabArgs, requirements } from "../tools/lab.ts";
import { permission, testIf } from "./_support.ts";

testIf(
  "the JupyterLab environment is pinned, package by package",
  [permission({ name: "read", path: requirements })],
  () => {
    const lines = Deno.readTextFileSync(requirements).split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    const unpinned = lines.filter((line) =>
      !/^[A-Za-z0-9._-]+==[0-9][A-Za-z0-9.+!-]*$/.test(line)
    );
    assert.deepEqual(unpinned, []);
    const versions = new Map(lines.map((line) => {
      const [name, version] = line.split("==");
      return [name.toLowerCase(), version] as const;
    }));
    assert.match(versions.get("jupyterlab") ?? "", /^4\./);
    assert.match(versions.get("notebook") ?? "", /^7\./);
    assert.ok(versions.has("plotly"), "plotly (the renderer) is missing");
  },
);

Deno.test("the lab run takes --runs, --notebook7, --screenshots and notebooks", () => {
  assert.deepEqual(parseLabArgs([]), {
    runs: 1,
    client: "lab",
    screenshots: false,
    notebooks: [],
  });
  assert.deepEqual(
    parseLabArgs([
      "--runs",
      "3",
      "--notebook7",
      "notebooks/01_pixels.ipynb",
      "--screenshots",
    ]),
    {
      runs: 3,
      client: "notebook",
      screenshots: true,
      notebooks: ["notebooks/01_pixels.ipynb"],
    },
  );
});

Deno.test("the lab run refuses flags it does not know and bad run counts", () => {
  assert.throws(() => parseLabArgs(["--notebook"]), /unknown flag --notebook/);
  assert.throws(() => parseLabArgs(["--runs", "0"]), /--runs/);
  assert.throws(() => parseLabArgs(["--runs", "two"]), /--runs/);
  assert.throws(() => parseLabArgs(["--runs"]), /--runs/);
});
