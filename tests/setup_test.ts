/**
 * What the notebook tasks set up before running anything (`tools/setup.ts`)
 * and how the runner reads its command line (`tools/notebooks.ts`).
 */
import assert from "node:assert/strict";
import { permission, scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { parseArgs, phases } from "../tools/notebooks.ts";
import {
  ensureTools,
  missingPackages,
  PINNED_DENO,
  pinnedKernel,
  RUN_ENV,
  writeKernelspec,
} from "../tools/setup.ts";

Deno.test("each missing program is named by the Debian package that installs it", () => {
  const all = { python: "p", notebookServer: "n", chromium: "c", apt: true };
  assert.deepEqual(missingPackages(all), []);
  assert.deepEqual(missingPackages({ apt: true }), [
    "python3-nbclient",
    "jupyter-notebook",
    "chromium",
  ]);
  assert.deepEqual(missingPackages({ ...all, chromium: undefined }), [
    "chromium",
  ]);
});

Deno.test("the kernel is the pinned Deno: this one if it is that version", () => {
  const kernel = pinnedKernel();
  if (Deno.version.deno === PINNED_DENO) assert.equal(kernel, Deno.execPath());
  else if (kernel !== undefined) {
    assert.match(kernel, /\.jupyter\/deno-2\.8\.1\//);
  }
});

Deno.test("kernels that save notebooks must draw every chart", () => {
  assert.equal(RUN_ENV.MNIST_REQUIRE_PNG, "1");
  assert.equal(RUN_ENV.NO_COLOR, "1");
});

testIf(
  "without the right to install, the line that installs them is printed",
  [permission({ name: "run", command: "/usr/bin/python3" })],
  async () => {
    const printed: string[] = [];
    const error = console.error;
    console.error = (line: string) => printed.push(line);
    try {
      // An empty PATH: no jupyter-notebook, no Chromium on it.
      const env = { PATH: "/nonexistent", CHROMIUM_PATH: "" };
      assert.equal(await ensureTools({ env, install: false }), undefined);
    } finally {
      console.error = error;
    }
    assert.equal(printed.length, 1);
    assert.match(
      printed[0],
      /\n {2}sudo sh -c 'apt-get update && apt-get install -y jupyter-notebook chromium'$/,
    );
  },
);

testIf(
  "the kernelspec runs this deno by its absolute path, without colours",
  scratchAccess,
  () => {
    Deno.mkdirSync(scratchRoot, { recursive: true });
    const dir = Deno.makeTempDirSync({ dir: scratchRoot.pathname });
    try {
      const path = writeKernelspec(new URL(`file://${dir}/`), "/opt/deno");
      assert.equal(path, `${dir}/`);
      const spec = JSON.parse(
        Deno.readTextFileSync(`${dir}/kernels/deno/kernel.json`),
      );
      assert.deepEqual(spec.argv, [
        "/opt/deno",
        "jupyter",
        "--kernel",
        "--conn",
        "{connection_file}",
      ]);
      assert.deepEqual(spec.env, { NO_COLOR: "1" });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

Deno.test("the runner refuses flags it does not know and bad run counts", () => {
  assert.deepEqual(
    parseArgs(["--live", "--runs", "2", "--jobs", "3", "notebooks/a.ipynb"]),
    {
      check: true,
      live: true,
      runs: 2,
      jobs: 3,
      deno: undefined,
      notebooks: ["notebooks/a.ipynb"],
    },
  );
  assert.throws(() => parseArgs(["--chek"]), /unknown flag --chek/);
  assert.throws(() => parseArgs(["--runs", "0"]), /--runs/);
  assert.throws(() => parseArgs(["--jobs", "0"]), /--jobs/);
  assert.throws(() => parseArgs(["--jobs", "two"]), /--jobs/);
});

Deno.test("the series runs the first notebook alone, the middle ones side by side, the recap last", () => {
  const series = ["01.ipynb", "02.ipynb", "03.ipynb", "04.ipynb", "08.ipynb"];
  assert.deepEqual(phases(series), [
    ["01.ipynb"],
    ["02.ipynb", "03.ipynb", "04.ipynb"],
    ["08.ipynb"],
  ]);
  assert.deepEqual(phases(["06.ipynb", "07.ipynb"]), [
    ["06.ipynb"],
    ["07.ipynb"],
  ]);
  assert.deepEqual(phases(["06.ipynb"]), [["06.ipynb"]]);
});
