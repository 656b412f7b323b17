/**
 * Executes every notebook from a clean state and checks it against its saved
 * outputs: no error, no cell missing its output, no ANSI codes, and the same
 * printed numbers (durations masked). So a committed output is always what
 * the committed code prints.
 */
import assert from "node:assert/strict";
import { type Need, permission, testIf } from "./_support.ts";

const root = new URL("../", import.meta.url);
const canRead = permission({ name: "read", path: root });
const notebooks = canRead.met
  ? [...Deno.readDirSync(new URL("notebooks/", root))]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ipynb"))
    .sort()
  : [];

function jupyter(): Need {
  const run = permission({ name: "run", command: "/usr/bin/python3" });
  let found = false;
  if (run.met) {
    try {
      found = new Deno.Command("/usr/bin/python3", {
        args: ["-c", "import nbclient, nbformat"],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      found = false;
    }
  }
  return {
    met: !run.met || found,
    why: "Jupyter's nbclient for /usr/bin/python3",
    fix: "sudo apt-get install -y jupyter-nbconvert python3-nbclient",
  };
}

const needs = [
  permission({ name: "run", command: "/usr/bin/python3" }),
  canRead,
  jupyter(),
];

testIf(
  "every notebook runs and prints what it has saved",
  needs,
  async () => {
    assert.ok(notebooks.length > 0, "no notebook found in notebooks/");
    // A clean state: results are rebuilt by the notebooks themselves.
    await Deno.remove(new URL("data/results.json", root)).catch(() => {});
    const { code, stdout, stderr } = await new Deno.Command(
      "/usr/bin/python3",
      {
        args: [
          "tools/run_notebooks.py",
          "--deno",
          Deno.execPath(),
          "--check",
          ...notebooks.map((name) => `notebooks/${name}`),
        ],
        cwd: root,
        env: { NO_COLOR: "1" },
      },
    ).output();
    const out = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    console.log(
      out.split("\n").filter((l) => !l.startsWith("Warning")).join("\n"),
    );
    assert.equal(code, 0, "a notebook failed: see its lines above");
  },
);
