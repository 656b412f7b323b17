/**
 * What tests share: a way to skip a test whose permissions, data or tools are
 * missing on a contributor's machine (with a line saying how to get them),
 * while failing it in CI, where nothing may be skipped.
 *
 * @module
 */
import { envVar } from "../lib/env.ts";

/** A precondition of a test: whether it holds, and what to do when it does not. */
export interface Need {
  readonly met: boolean;
  /** What the test needs, as in "it needs …". */
  readonly why: string;
  /** How to meet the need, when several needs share one remedy. */
  readonly fix?: string;
}

const permissionFix = "run `deno task test` (or `deno test -P=test`), " +
  "which grants the `test` permissions listed in deno.json";

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
    why: `${describe(desc)} permission`,
    fix: permissionFix,
  };
}

/** The shared copy of the data set that tests serve and extract. */
export const archiveUrl = new URL(
  "../../shared/data/mnist_sample.tgz",
  import.meta.url,
);

/** The folder for a test's scratch files, inside the project. */
export const scratchRoot = new URL("./.scratch/", import.meta.url);

/** Reading and writing scratch files. */
export const scratchAccess: readonly Need[] = [
  permission({ name: "read", path: scratchRoot }),
  permission({ name: "write", path: scratchRoot }),
];

/** Reading the data set archive, which must exist. */
export function archiveNeeds(): Need[] {
  const canRead = permission({ name: "read", path: archiveUrl });
  let exists = false;
  try {
    exists = canRead.met && Deno.statSync(archiveUrl).isFile;
  } catch {
    exists = false;
  }
  return [canRead, {
    // Without read permission, the need above explains the skip.
    met: !canRead.met || exists,
    why: `the data set archive at ${archiveUrl.pathname}`,
    fix: "put a copy of mnist_sample.tgz there (see its README.md)",
  }];
}

/** Whether this run is CI's (`CI` set), where every test must run. */
export function inCI(): boolean {
  return envVar("CI") !== undefined;
}

/**
 * Registers a test that runs when all its needs are met. Otherwise it is
 * skipped with a printed reason, except in CI, where it fails with that reason.
 */
export function testIf(
  name: string,
  needs: readonly Need[],
  fn: () => void | Promise<void>,
): void {
  const unmet = needs.filter((need) => !need.met);
  const fixes = [...new Set(unmet.flatMap((need) => need.fix ?? []))];
  const reason = `it needs ${unmet.map((need) => need.why).join(", ")}: ` +
    fixes.join("; ");
  if (unmet.length === 0) {
    Deno.test({ name, fn });
  } else if (inCI()) {
    Deno.test(name, () => {
      throw new Error(`CI may skip no test, and ${reason}`);
    });
  } else {
    console.log(`skip "${name}": ${reason}`);
    Deno.test({ name, ignore: true, fn });
  }
}
