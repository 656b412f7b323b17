/**
 * What the tests that draw in a headless browser need: Chromium, allowed to
 * run and to be read (puppeteer checks that the binary exists), and the
 * permissions the renderer uses (its profile folder in `data/`, plotly.js in
 * `node_modules/`); and, for the tests that watch a browser from outside, a
 * way to run Deno in a subprocess and to look at every process's command line;
 * and, for the tests of what happens without a browser, a way to hide it.
 *
 * @module
 */
import { closeBrowser } from "../lib/plot/render.ts";
import { type Need, permission } from "./_support.ts";

/** A `CHROMIUM_PATH` where no browser is: the renderer finds none. */
export const NO_BROWSER = "tests/.scratch/no-such-chromium";

/**
 * Runs `fn` with the environment variables `vars` set (`undefined`: unset),
 * then restores them; the browser is closed before and after, so that the
 * renderer looks for one again under each setting.
 */
export async function withEnv(
  vars: Readonly<Record<string, string | undefined>>,
  fn: () => void | Promise<void>,
): Promise<void> {
  const saved = Object.keys(vars).map((k) => [k, Deno.env.get(k)] as const);
  const set = (k: string, v: string | undefined) =>
    v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  for (const [k, v] of Object.entries(vars)) set(k, v);
  await closeBrowser();
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) set(k, v);
    await closeBrowser();
  }
}

const project = new URL("../", import.meta.url);

/** The needs of a test that renders figures in the browser. */
export const browserNeeds: readonly Need[] = [
  {
    // Deno grants `--allow-run=chromium` only when it finds the binary.
    met: Deno.permissions.querySync({ name: "run", command: "chromium" })
      .state === "granted",
    why: "Chromium (`chromium` on PATH, allowed to run)",
    fix: "install it (Debian and Ubuntu: `sudo apt-get install chromium`) " +
      "and run `deno task test`, which allows running it",
  },
  permission({ name: "read", path: "/usr/bin/chromium" }),
  permission({ name: "read", path: project }),
  permission({ name: "write", path: new URL("data/", project) }),
];

/** The needs of a test that runs Deno in a subprocess (which renders). */
export const subprocessNeeds: readonly Need[] = [
  ...browserNeeds,
  permission({ name: "run", command: "deno" }),
];

/** The browsers' profile folders left in `data/`. */
export function profiles(): string[] {
  return [...Deno.readDirSync(new URL("data/", project))]
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(".browser-"));
}

/**
 * The command lines of the live processes whose command line contains
 * `text` (zombies left out), read from `/proc` by a Deno subprocess that may
 * read it.
 */
export async function processesWith(text: string): Promise<string[]> {
  const script = `
    const found = [];
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\\d+$/.test(entry.name) || entry.name === String(Deno.pid)) continue;
      try {
        const stat = Deno.readTextFileSync("/proc/" + entry.name + "/stat");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
        const line = Deno.readTextFileSync("/proc/" + entry.name + "/cmdline")
          .split("\\0").join(" ");
        if (line.includes(Deno.args[0])) found.push(line);
      } catch { /* it exited meanwhile */ }
    }
    console.log(JSON.stringify(found));`;
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: [
      "eval",
      "--quiet",
      "--no-config",
      "--allow-read=/proc",
      script,
      text,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text_ = new TextDecoder();
  if (code !== 0) throw new Error(text_.decode(stderr));
  return JSON.parse(text_.decode(stdout));
}

/** The user id this test runs as, read by a Deno subprocess that may. */
export async function userId(): Promise<number> {
  const { stdout } = await new Deno.Command("deno", {
    args: [
      "eval",
      "--quiet",
      "--no-config",
      "--allow-sys=uid",
      "console.log(Deno.uid())",
    ],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(stdout));
}
