/**
 * A child process for `permissions_test.ts`, run with the `default`
 * permission set: it tries to leave the set by starting another program
 * (Deno itself, Python, a shell) that would write outside `data/`, and
 * prints, as one JSON line, what each attempt gave.
 *
 * `deno run -P tests/_escape_child.ts`
 *
 * @module
 */
const target = Deno.args[0] ?? "/tmp/escaped";
const attempts: Record<string, string> = {};
const programs: Record<string, string[]> = {
  deno: ["eval", `Deno.writeTextFileSync(${JSON.stringify(target)}, "x")`],
  [Deno.execPath()]: ["eval", "1"],
  "/usr/bin/python3": ["-c", "print(1)"],
  python3: ["-c", "print(1)"],
  sh: ["-c", "true"],
};
for (const [program, args] of Object.entries(programs)) {
  try {
    await new Deno.Command(program, { args, stdout: "null", stderr: "null" })
      .output();
    attempts[program] = "ran";
  } catch (e) {
    attempts[program] = (e as Error).name;
  }
}
console.log(JSON.stringify(attempts));
