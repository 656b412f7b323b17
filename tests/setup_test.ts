/**
 * What the notebook tasks set up before running anything (`tools/setup.ts`)
 * and how the runner reads its command line (`tools/notebooks.ts`).
 */
import assert from "node:assert/strict";
import { permission, scratchAccess, scratchRoot, testIf } from "./_support.ts";
import {
  dependencies,
  order,
  parseArgs,
  readsDataSet,
  schedule,
} from "../tools/notebooks.ts";
import type { Notebook } from "../tools/outputs.ts";
import {
  ensureLogos,
  ensureTools,
  installUserKernelspec,
  KERNEL_DISPLAY_NAME,
  KERNEL_NAME,
  LOGOS,
  missingPackages,
  parseSetupArgs,
  PINNED_DENO,
  pinnedKernel,
  RUN_ENV,
  step,
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
        Deno.readTextFileSync(`${dir}/kernels/${KERNEL_NAME}/kernel.json`),
      );
      assert.deepEqual(spec.argv, [
        "/opt/deno",
        "jupyter",
        "--kernel",
        "--conn",
        "{connection_file}",
      ]);
      assert.deepEqual(spec.env, { NO_COLOR: "1" });
      assert.equal(spec.display_name, "Deno 2.8.1 (deno-mnist-basics)");
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

Deno.test("the series starts the longest middle notebooks first, the first and the recap in place", () => {
  const series = ["01.ipynb", "02.ipynb", "03.ipynb", "04.ipynb", "10.ipynb"];
  const seconds = {
    "01.ipynb": 9,
    "02.ipynb": 3,
    "03.ipynb": 8,
    "10.ipynb": 20,
  };
  // 04 has no figure: it may be long, so it goes first of the middle ones.
  assert.deepEqual(order(series, seconds), [
    "01.ipynb",
    "04.ipynb",
    "03.ipynb",
    "02.ipynb",
    "10.ipynb",
  ]);
  assert.deepEqual(order(["06.ipynb", "07.ipynb"], seconds), [
    "06.ipynb",
    "07.ipynb",
  ]);
});

Deno.test("a notebook waits for the first one only when it reads the data set; the recap waits for all", () => {
  const series = ["01.ipynb", "02.ipynb", "04.ipynb", "10.ipynb"];
  const waits = dependencies(series, (path) => path !== "04.ipynb");
  assert.deepEqual(Object.fromEntries(waits), {
    "01.ipynb": [],
    "02.ipynb": ["01.ipynb"],
    "04.ipynb": [],
    "10.ipynb": ["01.ipynb", "02.ipynb", "04.ipynb"],
  });
  assert.deepEqual(Object.fromEntries(dependencies(["06.ipynb"], () => true)), {
    "06.ipynb": [],
  });
});

Deno.test("a notebook reads the data set when its code calls untarData or loadMnistSample, not in a comment", () => {
  const notebook = (...sources: string[]): Notebook => ({
    cells: sources.map((source, i) => ({
      cell_type: i === 0 ? "markdown" : "code",
      source,
      metadata: {},
    })),
  } as unknown as Notebook);
  assert.equal(
    readsDataSet(
      notebook("no code", "const path = await untarData(URLs.MNIST_SAMPLE);"),
    ),
    true,
  );
  assert.equal(
    readsDataSet(notebook("", "await loadMnistSample (path)")),
    true,
  );
  assert.equal(
    readsDataSet(notebook(
      "markdown mentions untarData(URLs.MNIST)",
      "const d = await loadMnistNpm(); // or loadMnist(await untarData(URLs.MNIST))",
    )),
    false,
  );
  assert.equal(readsDataSet(notebook("", "const x = 1;")), false);
});

Deno.test("two lanes take the first ready notebook in order, and wait while none is ready", async () => {
  const queue = ["01", "09", "07", "06", "04", "10"];
  const waits = new Map<string, readonly string[]>([
    ["01", []],
    ["09", []],
    ["07", ["01"]],
    ["06", ["01"]],
    ["04", []],
    ["10", ["01", "09", "07", "06", "04"]],
  ]);
  const lasts: Record<string, number> = {
    "01": 30,
    "09": 10,
    "07": 40,
    "06": 5,
    "04": 5,
    "10": 1,
  };
  const started: string[] = [];
  const finished: string[] = [];
  await schedule(queue, waits, 2, async (path) => {
    started.push(path);
    await new Promise((resolve) => setTimeout(resolve, lasts[path]));
    finished.push(path);
  });
  // 09 beside 01; when 09 ends first, 07 and 06 still wait for 01, so 04.
  assert.deepEqual(started.slice(0, 3), ["01", "09", "04"]);
  assert.deepEqual(started.slice(3, 5).sort(), ["06", "07"]);
  assert.equal(started[5], "10");
  assert.equal(finished[5], "10");
  assert.equal(started.indexOf("07") > finished.indexOf("01"), true);
});

Deno.test("setup takes --user and nothing else", () => {
  assert.deepEqual(parseSetupArgs([]), { user: false });
  assert.deepEqual(parseSetupArgs(["--user"]), { user: true });
  assert.throws(() => parseSetupArgs(["--usr"]), /unknown argument --usr/);
});

Deno.test("every notebook names the project's kernelspec, so that Jupyter and editors start it", () => {
  const folder = new URL("../notebooks/", import.meta.url);
  const names = [...Deno.readDirSync(folder)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ipynb"))
    .sort();
  assert.ok(names.length > 0);
  for (const name of names) {
    const notebook = JSON.parse(
      Deno.readTextFileSync(new URL(name, folder)),
    );
    assert.deepEqual(
      notebook.metadata.kernelspec,
      {
        display_name: KERNEL_DISPLAY_NAME,
        language: "typescript",
        name: KERNEL_NAME,
      },
      `${name}'s metadata must name the project's kernelspec (tools/setup.ts, KERNEL_NAME), so that clients start Deno 2.8.1: set metadata.kernelspec to the one the other notebooks have`,
    );
  }
});

/** The width and height in a PNG file's header. */
function pngSize(bytes: Uint8Array): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  return [view.getUint32(16), view.getUint32(20)];
}

/** The kernelspecs a Python Jupyter finds, by name, with `env` added. */
async function specsFound(
  env: Record<string, string>,
): Promise<
  Record<string, { resource_dir: string; spec: { display_name: string } }>
> {
  const { success, stdout, stderr } = await new Deno.Command(
    "/usr/bin/python3",
    {
      args: [
        "-c",
        "import json; from jupyter_client.kernelspec import KernelSpecManager; " +
        "print(json.dumps(KernelSpecManager().get_all_specs()))",
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

testIf(
  "setup --user installs the kernelspec and its logos where Jupyter looks by default, or in JUPYTER_DATA_DIR",
  [
    ...scratchAccess,
    permission({ name: "run", command: "/usr/bin/python3" }),
    permission({ name: "run", command: "deno" }),
  ],
  async () => {
    Deno.mkdirSync(scratchRoot, { recursive: true });
    const dir = Deno.makeTempDirSync({ dir: scratchRoot.pathname });
    const log = console.log;
    console.log = () => {}; // the step's one line
    try {
      const logos = new URL(`file://${dir}/logos/`);
      assert.ok(
        await ensureLogos(logos),
        "deno jupyter --install wrote no logos",
      );
      const project = new URL(`file://${dir}/project/`);
      writeKernelspec(project, "/opt/deno", { logos });
      const spec = new URL(`kernels/${KERNEL_NAME}/`, project);
      const home = `${dir}/home`;
      // A scratch HOME, and no JUPYTER_DATA_DIR (empty counts as unset).
      const env = { HOME: home, JUPYTER_DATA_DIR: "", JUPYTER_PATH: "" };
      const installed = await installUserKernelspec(
        "/usr/bin/python3",
        spec,
        env,
      );
      const expected = `${home}/.local/share/jupyter/kernels/${KERNEL_NAME}`;
      assert.equal(installed, expected);
      assert.deepEqual(
        [...Deno.readDirSync(expected)].map((e) => e.name).sort(),
        ["kernel.json", ...LOGOS].sort(),
      );
      assert.deepEqual(
        JSON.parse(Deno.readTextFileSync(`${expected}/kernel.json`)),
        JSON.parse(Deno.readTextFileSync(new URL("kernel.json", spec))),
      );
      assert.deepEqual(
        pngSize(Deno.readFileSync(`${expected}/logo-32x32.png`)),
        [32, 32],
      );
      assert.deepEqual(
        pngSize(Deno.readFileSync(`${expected}/logo-64x64.png`)),
        [64, 64],
      );
      assert.match(Deno.readTextFileSync(`${expected}/logo-svg.svg`), /<svg/);
      // Jupyter itself finds it there, under its display name.
      const found = (await specsFound(env))[KERNEL_NAME];
      assert.equal(found?.resource_dir, expected);
      assert.equal(found.spec.display_name, KERNEL_DISPLAY_NAME);
      // JUPYTER_DATA_DIR, when set, is where it goes instead; a second
      // install replaces the first.
      const data = `${dir}/data`;
      const envData = { ...env, JUPYTER_DATA_DIR: data };
      for (let i = 0; i < 2; i++) {
        assert.equal(
          await installUserKernelspec("/usr/bin/python3", spec, envData),
          `${data}/kernels/${KERNEL_NAME}`,
        );
      }
      assert.equal(
        (await specsFound(envData))[KERNEL_NAME]?.resource_dir,
        `${data}/kernels/${KERNEL_NAME}`,
      );
    } finally {
      console.log = log;
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

testIf(
  "a step prints one line, and on failure the exit code, the log's path and the last lines",
  [permission({ name: "run", command: "deno" })],
  async () => {
    const printed: string[] = [];
    const [log, error] = [console.log, console.error];
    console.log = (line: string) => printed.push(line);
    console.error = (line: string) => printed.push(line);
    try {
      const script = "console.log('fine'); console.error('no space left'); " +
        "Deno.exit(3)";
      const ok = await step("Doing a thing", "deno", [
        "eval",
        "--no-config",
        script,
      ]);
      assert.equal(ok, false);
    } finally {
      [console.log, console.error] = [log, error];
    }
    assert.equal(printed[0], "Doing a thing");
    assert.equal(printed.length, 2);
    assert.match(printed[1], /deno failed \(exit code 3\)/);
    assert.match(printed[1], /\.jupyter\/setup\.log/);
    assert.match(printed[1], /\| no space left/);
  },
);
