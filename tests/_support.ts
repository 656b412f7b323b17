/**
 * What tests share: a way to skip a test whose permissions, data or tools are
 * missing on a contributor's machine (with a line saying how to get them),
 * while failing it in CI, where nothing may be skipped.
 *
 * @module
 */

/** A precondition of a test: whether it holds, and what to do when it does not. */
export interface Need {
  readonly met: boolean;
  readonly why: string;
}

function describe(desc: Deno.PermissionDescriptor): string {
  const detail = "path" in desc
    ? desc.path
    : "host" in desc
    ? desc.host
    : "variable" in desc
    ? desc.variable
    : "command" in desc
    ? desc.command
    : undefined;
  return detail === undefined ? desc.name : `${desc.name} ${detail}`;
}

/** A permission the test needs; met when it is granted. */
export function permission(desc: Deno.PermissionDescriptor): Need {
  return {
    met: Deno.permissions.querySync(desc).state === "granted",
    why: `needs ${describe(desc)} permission: run \`deno task test\` ` +
      "(or `deno test -P`), which grants the permissions in deno.json",
  };
}

/** Whether this run is CI's (`CI` set), where every test must run. */
export function inCI(): boolean {
  const env = { name: "env", variable: "CI" } as const;
  return Deno.permissions.querySync(env).state === "granted" &&
    (Deno.env.get("CI") ?? "") !== "";
}

/** The folder for a test's scratch files, inside the project. */
export const scratchRoot = new URL("./.scratch/", import.meta.url);

/**
 * Registers a test that runs when all its needs are met. Otherwise it is
 * skipped with a printed reason, except in CI, where it fails with that reason.
 */
export function testIf(
  name: string,
  needs: readonly Need[],
  fn: () => void | Promise<void>,
): void {
  const unmet = needs.filter((need) => !need.met).map((need) => need.why);
  if (unmet.length === 0) {
    Deno.test({ name, fn });
  } else if (inCI()) {
    Deno.test(name, () => {
      throw new Error(`CI may skip no test, and this one ${unmet.join("; ")}`);
    });
  } else {
    console.log(`skip "${name}": it ${unmet.join("; ")}`);
    Deno.test({ name, ignore: true, fn });
  }
}
