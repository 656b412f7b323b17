/**
 * The tools' command lines (`tools/flags.ts`): flags by name, everything
 * else a positional, and every mistake an error that names the flag.
 */
import assert from "node:assert/strict";
import { parseFlags } from "../tools/flags.ts";

const options = {
  runs: { type: "string", default: "1" },
  check: { type: "boolean", default: false },
} as const;

Deno.test("flags come back by name, the other arguments as positionals", () => {
  assert.deepEqual(
    parseFlags(["a.ipynb", "--runs", "3", "--check", "b.ipynb"], options),
    { values: { runs: "3", check: true }, positionals: ["a.ipynb", "b.ipynb"] },
  );
  assert.deepEqual(parseFlags(["--runs=2"], options).values, {
    runs: "2",
    check: false,
  });
  assert.deepEqual(parseFlags([], options).values, {
    runs: "1",
    check: false,
  });
});

Deno.test("an unknown flag is an error naming it", () => {
  assert.throws(
    () => parseFlags(["--chek"], options),
    /^Error: unknown flag --chek$/,
  );
  assert.throws(() => parseFlags(["-x"], options), /unknown flag -x/);
  assert.throws(
    () => parseFlags(["--runs=2", "--jobs=3"], options),
    /unknown flag --jobs/,
  );
});

Deno.test("a flag missing its value, or given one it does not take, is an error naming it", () => {
  assert.throws(() => parseFlags(["--runs"], options), /--runs/);
  assert.throws(() => parseFlags(["--runs", "--check"], options), /--runs/);
  assert.throws(() => parseFlags(["--check=yes"], options), /--check/);
});
