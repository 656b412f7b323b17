/**
 * What the tests that draw charts in a headless browser need: Chromium,
 * allowed to run, and the permissions the renderer uses (its profile folder
 * in `data/`, the page on the loopback interface, plotly.js in
 * `node_modules/`).
 *
 * @module
 */
import { type Need, permission } from "./_support.ts";

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
  permission({ name: "read", path: project }),
  permission({ name: "write", path: new URL("data/", project) }),
  permission({ name: "net", host: "127.0.0.1" }),
];

/** The browsers' profile folders left in `data/`. */
export function profiles(): string[] {
  return [...Deno.readDirSync(new URL("data/", project))]
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(".browser-"));
}
