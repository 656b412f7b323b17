/**
 * SIGINT (Jupyter's Stop button, Ctrl-C) during the library's long calls
 * stops them between steps with an InterruptedError, instead of killing the
 * process and, in a notebook, the kernel with every variable. Outside those
 * calls SIGINT keeps its default. Checked on a child process, which receives
 * real signals.
 */
import assert from "node:assert/strict";
import { permission, testIf } from "./_support.ts";
import { interruptible, throwIfInterrupted } from "../lib/interrupt.ts";

/** The lines a child prints, one at a time. */
async function* lines(stream: ReadableStream<Uint8Array>) {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
  if (pending) yield pending;
}

/** Reads lines until one satisfies `wanted`; fails with what was read. */
async function until(
  reader: AsyncGenerator<string>,
  wanted: (line: string) => boolean,
  seen: string[],
): Promise<string> {
  // Not for-await: leaving such a loop would close the reader.
  for (let next = await reader.next(); !next.done; next = await reader.next()) {
    seen.push(next.value);
    if (wanted(next.value)) return next.value;
  }
  throw new Error(
    `the child ended without it; it printed:\n${seen.join("\n")}`,
  );
}

testIf(
  "SIGINT during fit stops it at the next batch with an InterruptedError; the model trains on; later SIGINTs end the process",
  [permission({ name: "run", command: "deno" })],
  async () => {
    const child = new Deno.Command("deno", {
      args: ["run", "-P", "tests/_fit_child.ts"],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    const out = lines(child.stdout);
    const seen: string[] = [];
    try {
      await until(out, (line) => line === "epoch 1", seen);
      child.kill("SIGINT");
      const report = JSON.parse(
        await until(out, (line) => line.startsWith("{"), seen),
      );
      assert.equal(report.name, "InterruptedError", report.message);
      assert.match(
        report.message,
        /^Interrupted: fit stopped in epoch \d+ of 10000, before (training|validation) batch \d+ of 128\. The model keeps the weights of its last step, and learn\.recorder the \d+ epochs finished before; call fit again to train on from them\.$/,
      );
      assert.ok(report.records >= 2, `${report.records} epochs recorded`);
      assert.ok(report.finite, "the weights are readable and finite");
      assert.ok(report.trainedOn, "a second fit trained on");
      await until(out, (line) => line === "waiting", seen);
      child.kill("SIGINT"); // outside fit: the default, the process ends
      const status = await child.status;
      assert.equal(status.success, false);
      assert.equal(status.signal, "SIGINT", `exit code ${status.code}`);
      assert.ok(!seen.includes("still alive after 30 s"));
    } catch (error) {
      child.kill("SIGKILL");
      await child.status;
      let text = "";
      for (;;) {
        const { value, done } = await stderr.read();
        if (done) break;
        text += value;
      }
      throw new Error(`${error}\nstderr:\n${text}`);
    }
    await stderr.cancel();
  },
);

Deno.test("interruptible returns what its function returns, sync or async, and passes errors through", async () => {
  assert.equal(interruptible("adding", () => 1 + 1), 2);
  assert.equal(await interruptible("waiting", () => Promise.resolve(3)), 3);
  assert.throws(
    () =>
      interruptible("failing", () => {
        throw new RangeError("inner");
      }),
    RangeError,
  );
  await assert.rejects(
    interruptible("failing", () => Promise.reject(new RangeError("inner"))),
    RangeError,
  );
  throwIfInterrupted(() => "never: no SIGINT came");
});
