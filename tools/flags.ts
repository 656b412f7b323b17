/**
 * The command lines of the project's tools (`deno task notebooks`,
 * `deno task lab`, `deno task bench`), parsed with `node:util`'s built-in
 * `parseArgs`: strict (a value missing, or a value given to a switch, is an
 * error naming the flag), with positionals, and an unknown flag reported as
 * `unknown flag --name`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 *
 * const { values, positionals } = parseFlags(["--runs", "2", "a.ipynb"], {
 *   runs: { type: "string", default: "1" },
 *   check: { type: "boolean", default: false },
 * });
 * console.log(values.runs, values.check, positionals); // "2" false ["a.ipynb"]
 * ```
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/**
 * Parses `args` against `options` (the flags `node:util`'s `parseArgs`
 * takes); every other argument is a positional.
 *
 * @throws {Error} `unknown flag --name` for a flag not in `options`, and
 * `parseArgs`'s own error (naming the flag) for a missing or unexpected value.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 *
 * parseFlags(["--live"], { live: { type: "boolean" } }).values.live; // true
 * ```
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
) {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === "option" && !Object.hasOwn(options, token.name)) {
      throw new Error(`unknown flag ${token.rawName}`);
    }
  }
  const { values, positionals } = parseArgs({
    args: [...args],
    options,
    strict: true,
    allowPositionals: true,
  });
  return { values: { ...values }, positionals }; // a plain object, not null-prototype
}
