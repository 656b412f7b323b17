/**
 * `deno task notebooks`: executes every notebook in `notebooks/` on the Deno
 * Jupyter kernel and saves its outputs in place (`--check`: compares them
 * with the saved ones instead). The work is done by `run_notebooks.py`, with
 * the first Python that has Jupyter's `nbclient` (Debian: python3-nbclient).
 *
 * ```sh
 * deno task notebooks                      # every notebook
 * deno task notebooks notebooks/01_pixels.ipynb
 * deno task notebooks --check              # compare, write nothing
 * ```
 *
 * @module
 */

const root = new URL("../", import.meta.url);
const runner = new URL("./run_notebooks.py", import.meta.url).pathname;

async function pythonWithNbclient(): Promise<string> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const probe = await new Deno.Command(python, {
        args: ["-c", "import nbclient, nbformat"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (probe.success) return python;
    } catch {
      // not installed: try the next one
    }
  }
  console.error(
    "Running the notebooks needs Jupyter's nbclient for Python 3. On Debian " +
      "or Ubuntu: sudo apt-get install -y jupyter-nbconvert python3-nbclient " +
      "jupyter-notebook",
  );
  Deno.exit(1);
}

const flags = Deno.args.filter((arg) => arg.startsWith("--"));
let notebooks = Deno.args.filter((arg) => !arg.startsWith("--"));
if (notebooks.length === 0) {
  notebooks = [...Deno.readDirSync(new URL("notebooks/", root))]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ipynb"))
    .sort()
    .map((name) => `notebooks/${name}`);
}
if (notebooks.length === 0) {
  console.log("notebooks: no notebook in notebooks/ yet");
  Deno.exit(0);
}

const { code } = await new Deno.Command(await pythonWithNbclient(), {
  args: [runner, "--deno", Deno.execPath(), ...flags, ...notebooks],
  cwd: root,
  env: { NO_COLOR: "1" },
}).spawn().status;
Deno.exit(code);
