/**
 * What running the notebooks needs besides Deno, found or installed:
 * Jupyter (Python's `nbclient`, and the classic `jupyter-notebook` server) and
 * Chromium (which draws the charts' PNG images), and a project-local
 * kernelspec for the Deno kernel.
 *
 * Missing programs are installed from Debian when the user may (root, with
 * `apt-get`), without a question, one line per step, the tools' own output
 * going to {@linkcode setupLog}. Otherwise the one line that installs them is
 * printed and the caller stops before touching any notebook.
 *
 * The kernelspec {@linkcode KERNEL_NAME} ("Deno 2.8.1 (deno-mnist-basics)")
 * is written to `.jupyter/kernels/deno-mnist-basics/` in the project
 * (git-ignored), with the logos that `deno jupyter --install` writes: Jupyter
 * finds it there when `JUPYTER_PATH` names `.jupyter/`, as the tasks do. It
 * runs the pinned Deno ({@linkcode PINNED_DENO}, installed with npm into
 * `.jupyter/` unless it is the Deno running this) by its absolute path, with
 * `NO_COLOR=1`, so saved values carry no colour codes. With `--user`, the
 * same kernelspec is also installed where Jupyter, JupyterLab and VS Code
 * look without being told (`jupyter kernelspec install --user`: the user's
 * Jupyter data folder, `~/.local/share/jupyter/kernels/` on Linux, or
 * `JUPYTER_DATA_DIR`), so that the notebooks, whose metadata names it, start
 * it by themselves.
 *
 * ```sh
 * deno run -P=setup tools/setup.ts          # what `deno task test` does first
 * deno run -P=setup tools/setup.ts --user   # and for the editors: deno task setup --user
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

/** Where the installers' own output goes: one line per step is printed. */
export const setupLog: URL = new URL(".jupyter/setup.log", root);

/**
 * Runs one step of the setup: prints `what` on one line, sends the
 * program's output to {@linkcode setupLog}, and returns whether it
 * succeeded; on failure, says so with the log's path and its last lines.
 */
export async function step(
  what: string,
  command: string,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
): Promise<boolean> {
  console.log(what);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args: [...args],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    console.error(`  ${command} could not run: ${(e as Error).message}`);
    return false;
  }
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  const log = `$ ${command} ${args.join(" ")}\n${text}\n`;
  try {
    Deno.mkdirSync(new URL("./", setupLog), { recursive: true });
    Deno.writeTextFileSync(setupLog, log, { append: true });
  } catch {
    // no log: the failure below still shows the last lines
  }
  if (!output.success) {
    const last = text.trimEnd().split("\n").slice(-5).map((l) => `  | ${l}`);
    console.error(
      `  ${command} failed (exit code ${output.code}); its output is in ` +
        `${setupLog.pathname}. Last lines:\n${last.join("\n")}`,
    );
  }
  return output.success;
}

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
    const apt = { DEBIAN_FRONTEND: "noninteractive" };
    const success = await step(
      "Updating Debian's package lists (apt-get update)",
      "apt-get",
      [
        "update",
      ],
      apt,
    ) &&
      await step(
        `Installing from Debian: ${missing.join(", ")} (apt-get install)`,
        "apt-get",
        ["install", "-y", ...missing],
        apt,
      );
    if (success) {
      tools = await findTools(env);
      missing = missingPackages(tools);
      if (missing.length === 0) return tools as Required<Tools>;
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
 * The name of the project's kernelspec, which the notebooks' metadata names:
 * distinct from the `deno` that `deno jupyter --install` writes, whose Deno
 * may be any version.
 */
export const KERNEL_NAME = "deno-mnist-basics";

/** The logo files of a kernelspec, as `deno jupyter --install` writes them. */
export const LOGOS: readonly string[] = [
  "logo-32x32.png",
  "logo-64x64.png",
  "logo-svg.svg",
];

/**
 * Writes the kernelspec {@linkcode KERNEL_NAME} under `dir`
 * (`dir/kernels/deno-mnist-basics/`) that runs `deno` with
 * {@linkcode KERNEL_ENV}, copies the logo files found in `logos` beside it,
 * and returns `dir`'s path, for `JUPYTER_PATH`.
 */
export function writeKernelspec(
  dir: URL,
  deno: string,
  options: { readonly logos?: URL; readonly displayName?: string } = {},
): string {
  const spec = new URL(`kernels/${KERNEL_NAME}/`, dir);
  Deno.mkdirSync(spec, { recursive: true });
  Deno.writeTextFileSync(
    new URL("kernel.json", spec),
    JSON.stringify(
      {
        argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
        display_name: options.displayName ?? KERNEL_DISPLAY_NAME,
        language: "typescript",
        env: KERNEL_ENV,
      },
      null,
      2,
    ) + "\n",
  );
  for (const logo of options.logos === undefined ? [] : LOGOS) {
    try {
      Deno.copyFileSync(new URL(logo, options.logos), new URL(logo, spec));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return dir.pathname;
}

/**
 * The Deno version of the notebooks' kernel (README, "Lost outputs in a live
 * client"): its kernel lost no output in the live-client measurement, where
 * 2.9.6's lost about three cells' values per run of the notebooks. The tasks
 * themselves run on any Deno 2.
 */
export const PINNED_DENO = "2.8.1";

/** What Jupyter, JupyterLab and VS Code list the project's kernel as. */
export const KERNEL_DISPLAY_NAME = `Deno ${PINNED_DENO} (deno-mnist-basics)`;

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
  await step(
    `Installing Deno ${PINNED_DENO} for the notebooks' kernel (npm install)`,
    "npm",
    [...args, "--no-fund", `deno@${PINNED_DENO}`],
  );
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

/** Where {@linkcode ensureLogos} keeps the kernel's logo files. */
export const logosDir: URL = new URL(".jupyter/logos/", root);

/**
 * The logo files of Deno's kernelspec in `dir`, made when missing by
 * `deno jupyter --install` run with a scratch `HOME` inside `dir` (it
 * writes them beside its own kernel.json, which is then removed). Returns
 * whether all of them are there; without them, Jupyter shows a placeholder.
 */
export async function ensureLogos(dir: URL = logosDir): Promise<boolean> {
  const present = () =>
    LOGOS.every((logo) => {
      try {
        return Deno.statSync(new URL(logo, dir)).isFile;
      } catch {
        return false;
      }
    });
  if (present()) return true;
  const home = new URL("home/", dir);
  Deno.mkdirSync(home, { recursive: true });
  try {
    // Every variable Deno may take the user's data folder from points into
    // the scratch folder, so that nothing is written outside it.
    const made = await step(
      "Making the kernel's logos (deno jupyter --install, in a scratch HOME)",
      "deno",
      ["jupyter", "--install", "--name", "logos", "--force"],
      {
        HOME: home.pathname,
        XDG_DATA_HOME: new URL("share/", home).pathname,
        APPDATA: home.pathname,
        NO_COLOR: "1",
      },
    );
    const written = made ? findFolder(home, "logos") : undefined;
    for (const logo of written === undefined ? [] : LOGOS) {
      try {
        Deno.copyFileSync(new URL(logo, written), new URL(logo, dir));
      } catch {
        // this Deno wrote no such logo: reported below
      }
    }
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
  if (!present()) {
    console.error(
      "  The kernel has no logo (Jupyter shows a placeholder): " +
        "`deno jupyter --install` wrote none.",
    );
  }
  return present();
}

/** The first folder named `name` under `dir`, depth first. */
function findFolder(dir: URL, name: string): URL | undefined {
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isDirectory) continue;
    const sub = new URL(`${entry.name}/`, dir);
    if (entry.name === name) return sub;
    const found = findFolder(sub, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

const INSTALL_USER = `
import sys
from jupyter_client.kernelspec import KernelSpecManager
print(KernelSpecManager().install_kernel_spec(sys.argv[1], sys.argv[2], user=True))
`;

/**
 * Installs the kernelspec in `spec` (a folder holding kernel.json and its
 * logos) as {@linkcode KERNEL_NAME} for the user, as
 * `jupyter kernelspec install --user` does: into the user's Jupyter data
 * folder (`JUPYTER_DATA_DIR`, else `~/.local/share/jupyter` on Linux), where
 * Jupyter, JupyterLab and VS Code look by default. Replaces an earlier one.
 * Returns the folder it was installed in, or `undefined` after saying why.
 */
export async function installUserKernelspec(
  python: string,
  spec: URL,
  env?: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, {
      args: ["-c", INSTALL_USER, spec.pathname, KERNEL_NAME],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    console.error(`${python} could not run: ${(e as Error).message}`);
    return undefined;
  }
  if (!output.success) {
    console.error(
      `Installing the kernelspec for the user failed:\n` +
        new TextDecoder().decode(output.stderr).trimEnd(),
    );
    return undefined;
  }
  return new TextDecoder().decode(output.stdout).trim();
}

/** Parses setup's command line: `--user` or nothing. */
export function parseSetupArgs(args: readonly string[]): { user: boolean } {
  const unknown = args.filter((arg) => arg !== "--user");
  if (unknown.length > 0) {
    throw new Error(
      `setup: unknown argument ${unknown[0]}; the only one is --user ` +
        "(also install the kernelspec where Jupyter and editors look).",
    );
  }
  return { user: args.includes("--user") };
}

if (import.meta.main) {
  let user: boolean;
  try {
    ({ user } = parseSetupArgs(Deno.args));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const tools = await ensureTools();
  if (tools === undefined) Deno.exit(1);
  const kernel = await ensureKernel();
  if (kernel === undefined) Deno.exit(1);
  const logos = await ensureLogos() ? logosDir : undefined;
  const path = writeKernelspec(projectJupyter, kernel, { logos });
  // The kernelspec of earlier versions of this setup, named "deno".
  try {
    Deno.removeSync(new URL("kernels/deno/", projectJupyter), {
      recursive: true,
    });
  } catch {
    // not there
  }
  const spec = new URL(`kernels/${KERNEL_NAME}/`, projectJupyter);
  if (!user) {
    console.log(
      `${KERNEL_DISPLAY_NAME} registered in ${spec.pathname} for the tasks. ` +
        "For Jupyter, JupyterLab and VS Code: deno task setup --user " +
        `(or start them with JUPYTER_PATH=${path}).`,
    );
  } else {
    const installed = await installUserKernelspec(tools.python, spec);
    if (installed === undefined) Deno.exit(1);
    console.log(
      `${KERNEL_DISPLAY_NAME} registered in ${spec.pathname} for the tasks, ` +
        `and in ${installed} for Jupyter, JupyterLab and VS Code.`,
    );
  }
}
