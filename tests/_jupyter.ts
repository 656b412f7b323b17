/**
 * What the tests that run notebooks need: Debian's Python with nbclient (and
 * the rest of Jupyter and Chromium), found the way the tools find them.
 *
 * @module
 */
import { type Need, permission } from "./_support.ts";
import { findTools, missingPackages } from "../tools/setup.ts";

/** Running Debian's Python, which runs nbclient. */
export const canRunPython: Need = permission({
  name: "run",
  command: "/usr/bin/python3",
});

/** Jupyter and Chromium from Debian, as `tools/setup.ts` looks for them. */
export async function debianTools(): Promise<Need> {
  const missing = canRunPython.met ? missingPackages(await findTools()) : [];
  return {
    met: missing.length === 0,
    why: `Debian's ${missing.join(", ")}`,
    fix: "run `deno task test`, which installs them (as root) or says how",
  };
}
