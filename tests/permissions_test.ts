/**
 * The `default` permission set (`deno run -P`, `deno test -P`) cannot be
 * left by starting another program: it may run Chromium only, which draws
 * charts in a locked page. Starting Deno or Python would give the code every
 * right (`deno eval` writes anywhere); the `test` set of `deno task test`
 * has them, for the tests that start child processes and the notebook test.
 */
import assert from "node:assert/strict";
import { permission, testIf } from "./_support.ts";

testIf(
  "code run with the default permission set cannot start Deno, Python or a shell",
  [permission({ name: "run", command: "deno" })],
  async () => {
    const output = await new Deno.Command("deno", {
      args: ["run", "-P", "--quiet", "tests/_escape_child.ts"],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const attempts: Record<string, string> = JSON.parse(text);
    for (const [program, result] of Object.entries(attempts)) {
      assert.equal(result, "NotCapable", `${program}: ${result}`);
    }
    assert.equal(Object.keys(attempts).length, 5);
  },
);
