/**
 * What running the notebooks needs besides Deno, found or installed:
 * Jupyter (Python's `nbclient`, and the classic `jupyter-notebook` server) and
 * Chromium (which draws the charts' PNG images), and a project-local
 * kernelspec for the Deno kernel.
 *
 * Missing programs are installed from Debian when the user may (root, with
 * `apt-get`), without a question. Otherwise the one line that installs them
 * is printed and the caller stops before touching any notebook.
 *
 * The kernelspec is written to `.jupyter/kernels/deno/kernel.json` in the
 * project (git-ignored), never to `~/.local`: Jupyter finds it first when
 * `JUPYTER_PATH` names that folder. It runs the pinned Deno
 * ({@linkcode PINNED_DENO}, installed with npm into `.jupyter/` unless it is
 * the Deno running this) by its absolute path, with `NO_COLOR=1`, so saved
 * values carry no colour codes.
 *
 * ```sh
 * deno run -P=setup tools/setup.ts   # what `deno task test` does first
 * ```
 *
 * @module
 */

/** The programs the notebooks need, as found on this machine. */
export interface Tools {
  /** A Python 3 that imports `nbclient` and `nbformat`. */
  readonly python?: string;
  /** The classic Notebook server (`jupyter-notebook`). */
  readonly notebookServer?: string;
  /** A Chromium or Chrome binary. */
  readonly chromium?: string;
  /** Whether `apt-get` is on the PATH. */
  readonly apt: boolean;
}

/** Debian's packages that provide each missing program. */
const PACKAGES = {
  python: ["python3-nbclient"],
  notebookServer: ["jupyter-notebook"],
  chromium: ["chromium"],
} as const;

const PROBE = `
import importlib.util, json, os, shutil
names = ["chromium", "chromium-browser", "google-chrome"]
print(json.dumps({
  "nbclient": all(importlib.util.find_spec(m) for m in ("nbclient", "nbformat")),
  "notebookServer": shutil.which("jupyter-notebook"),
  "chromium": next(filter(None, map(shutil.which,
    [os.environ.get("CHROMIUM_PATH") or names[0]] + names)), None),
  "apt": shutil.which("apt-get") is not None,
}))
`;

/** The project's root folder. */
export const root: URL = new URL("../", import.meta.url);

/** Finds the programs, asking each Python 3 in turn (Debian's first). */
export async function findTools(
  env?: Readonly<Record<string, string>>,
): Promise<Tools> {
  let found: Tools = { apt: false };
  for (const python of ["/usr/bin/python3", "python3"]) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(python, {
        args: ["-c", PROBE],
        env,
        stderr: "null",
      }).output();
    } catch {
      continue; // not installed, or not allowed: try the next one
    }
    if (!out.success) continue;
    const probe = JSON.parse(new TextDecoder().decode(out.stdout));
    found = {
      python: probe.nbclient ? python : undefined,
      notebookServer: probe.notebookServer ?? undefined,
      chromium: probe.chromium ?? undefined,
      apt: probe.apt,
    };
    if (found.python) break;
  }
  return found;
}

/** The Debian packages that would provide what `tools` lacks. */
export function missingPackages(tools: Tools): string[] {
  return (Object.keys(PACKAGES) as (keyof typeof PACKAGES)[])
    .filter((key) => tools[key] === undefined)
    .flatMap((key) => PACKAGES[key]);
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false; // no sys permission: assume not
  }
}

/** How {@linkcode ensureTools} looks and whether it installs. */
export interface EnsureOptions {
  /** Variables added to the environment of the search (tests set PATH). */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether to install what is missing; by default, when running as root. */
  readonly install?: boolean;
}

/**
 * Finds the programs and installs what is missing from Debian when running
 * as root. Returns them, or `undefined` after printing the line that
 * installs them (the caller then stops).
 */
export async function ensureTools(
  options: EnsureOptions = {},
): Promise<Required<Tools> | undefined> {
  const { env, install = isRoot() } = options;
  let tools = await findTools(env);
  let missing = missingPackages(tools);
  if (missing.length === 0) return tools as Required<Tools>;
  const line = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (install) {
    console.log(`Installing from Debian: ${missing.join(" ")}`);
    try {
      const apt = (args: string[]) =>
        new Deno.Command("apt-get", {
          args,
          env: { DEBIAN_FRONTEND: "noninteractive" },
        }).spawn().status;
      const success = (await apt(["update", "-qq"])).success &&
        (await apt(["install", "-y", "-qq", ...missing])).success;
      if (success) {
        tools = await findTools(env);
        missing = missingPackages(tools);
        if (missing.length === 0) return tools as Required<Tools>;
      }
    } catch (e) {
      console.error(`apt-get could not run: ${(e as Error).message}`);
    }
  }
  console.error(
    `The notebooks need ${missing.join(", ")} (Jupyter and Chromium). ` +
      "Install them, then run this again:\n" +
      (tools.apt || !isRoot()
        ? `  sudo sh -c '${line}'`
        : `  (Debian or Ubuntu) ${line}`),
  );
  return undefined;
}

/** The environment of every kernel the tools start. */
export const KERNEL_ENV: Readonly<Record<string, string>> = {
  NO_COLOR: "1",
};

/**
 * The environment of every kernel the runners start: also
 * `MNIST_REQUIRE_PNG=1`, so that `show()` throws instead of saving a chart
 * without its PNG image.
 */
export const RUN_ENV: Readonly<Record<string, string>> = {
  ...KERNEL_ENV,
  MNIST_REQUIRE_PNG: "1",
};

/**
 * Writes a kernelspec named "deno" under `dir` (`dir/kernels/deno/`) that
 * runs `deno` with {@linkcode KERNEL_ENV}, and returns `dir`'s path, for
 * `JUPYTER_PATH`.
 */
export function writeKernelspec(dir: URL, deno: string): string {
  const spec = new URL("kernels/deno/", dir);
  Deno.mkdirSync(spec, { recursive: true });
  Deno.writeTextFileSync(
    new URL("kernel.json", spec),
    JSON.stringify(
      {
        argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
        display_name: "Deno",
        language: "typescript",
        env: KERNEL_ENV,
      },
      null,
      2,
    ) + "\n",
  );
  return dir.pathname;
}

/**
 * The Deno version of the notebooks' kernel (README, "Lost outputs in a live
 * client"): its kernel lost no output in the live-client measurement, where
 * 2.9.6's lost about three cells' values per run of the notebooks. The tasks
 * themselves run on any Deno 2.
 */
export const PINNED_DENO = "2.8.1";

/** Where {@linkcode ensureKernel} installs the pinned Deno, with npm. */
export const kernelDir: URL = new URL(`.jupyter/deno-${PINNED_DENO}/`, root);

/**
 * The pinned Deno's binary: the running one if it is that version, else the
 * one installed in {@linkcode kernelDir}, else `undefined`.
 */
export function pinnedKernel(): string | undefined {
  if (Deno.version.deno === PINNED_DENO) return Deno.execPath();
  const modules = new URL("node_modules/", kernelDir);
  const candidates = [new URL("deno/deno", modules)];
  try {
    for (const entry of Deno.readDirSync(new URL("@deno/", modules))) {
      candidates.unshift(new URL(`@deno/${entry.name}/deno`, modules));
    }
  } catch {
    // not installed
  }
  return candidates.find((file) => {
    try {
      return Deno.statSync(file).isFile;
    } catch {
      return false;
    }
  })?.pathname;
}

/**
 * The pinned Deno's binary, installed with npm into {@linkcode kernelDir}
 * when missing; `undefined` after printing the line that installs it.
 */
export async function ensureKernel(): Promise<string | undefined> {
  const found = pinnedKernel();
  if (found !== undefined) return found;
  const args = ["install", "--prefix", kernelDir.pathname, "--no-audit"];
  const line = `npm ${args.join(" ")} deno@${PINNED_DENO}`;
  console.log(`Installing Deno ${PINNED_DENO} for the notebooks' kernel`);
  try {
    await new Deno.Command("npm", {
      args: [...args, "--no-fund", `deno@${PINNED_DENO}`],
    }).spawn().status;
  } catch (e) {
    console.error(`npm could not run: ${(e as Error).message}`);
  }
  const installed = pinnedKernel();
  if (installed !== undefined) return installed;
  console.error(
    `The notebooks' kernel is Deno ${PINNED_DENO}. Install it, then run ` +
      `this again:\n  ${line}`,
  );
  return undefined;
}

/** The project-local kernelspec's folder, for `JUPYTER_PATH`. */
export const projectJupyter: URL = new URL(".jupyter/", root);

if (import.meta.main) {
  if (await ensureTools() === undefined) Deno.exit(1);
  const kernel = await ensureKernel();
  if (kernel === undefined) Deno.exit(1);
  const path = writeKernelspec(projectJupyter, kernel);
  console.log(
    `Deno kernel (${kernel}) registered in ${path}kernels/deno; ` +
      `open the notebooks with: JUPYTER_PATH=${path} jupyter-notebook`,
  );
}
