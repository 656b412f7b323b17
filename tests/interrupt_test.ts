/**
 * SIGINT (Jupyter's Stop button, Ctrl-C) during the library's long calls
 * stops them between steps with an InterruptedError, instead of killing the
 * process and, in a notebook, the kernel with every variable. Outside those
 * calls SIGINT keeps its default. Checked on a child process, which receives
 * real signals.
 */
import assert from "node:assert/strict";
import {
  archiveNeeds,
  permission,
  scratchAccess,
  scratchRoot,
  testIf,
} from "./_support.ts";
import { browserNeeds } from "./_browser.ts";
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

/**
 * Runs a child (`deno run -P` with `args`), sends it SIGINT once it prints
 * `cue`, and gives its JSON report; `after` checks the rest of its life.
 */
async function interruptChild(
  args: readonly string[],
  cue: string,
  after: (
    next: (wanted: (line: string) => boolean) => Promise<string>,
    child: Deno.ChildProcess,
  ) => Promise<void> = async () => {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const child = new Deno.Command("deno", {
    args: ["run", "-P", ...args],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  const out = lines(child.stdout);
  const seen: string[] = [];
  const next = (wanted: (line: string) => boolean) => until(out, wanted, seen);
  try {
    await next((line) => line === cue);
    child.kill("SIGINT");
    const report = JSON.parse(await next((line) => line.startsWith("{")));
    await after(next, child);
    await child.status;
    await stderr.cancel();
    return report;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended already
    }
    await child.status;
    let text = "";
    for (;;) {
      const { value, done } = await stderr.read();
      if (done) break;
      text += value;
    }
    throw new Error(`${error}\nstderr:\n${text}`);
  }
}

testIf(
  "SIGINT during fit stops it at the next batch with an InterruptedError; the model trains on; later SIGINTs end the process",
  [permission({ name: "run", command: "deno" })],
  async () => {
    const report = await interruptChild(
      ["tests/_fit_child.ts"],
      "epoch 1",
      async (next, child) => {
        await next((line) => line === "waiting");
        child.kill("SIGINT"); // outside fit: the default, the process ends
        const status = await child.status;
        assert.equal(status.success, false);
        assert.equal(status.signal, "SIGINT", `exit code ${status.code}`);
      },
    );
    assert.equal(report.name, "InterruptedError", report.message);
    assert.match(
      report.message,
      /^Interrupted: fit stopped in epoch \d+ of 10000, before (training|validation) batch \d+ of 128\. The model keeps the weights of its last step, and learn\.recorder the \d+ epochs finished before; call fit again to train on from them\.$/,
    );
    assert.ok(report.records >= 2, `${report.records} epochs recorded`);
    assert.ok(report.finite, "the weights are readable and finite");
    assert.ok(report.trainedOn, "a second fit trained on");
  },
);

testIf(
  "SIGINT during untarData stops the extraction with an InterruptedError and leaves nothing behind",
  [
    permission({ name: "run", command: "deno" }),
    ...scratchAccess,
    ...archiveNeeds(),
  ],
  async () => {
    const dest = new URL("interrupt/", scratchRoot);
    Deno.mkdirSync(dest, { recursive: true });
    try {
      const report = await interruptChild(
        ["tests/_interrupt_child.ts", "untar", dest.pathname],
        "extracting",
      );
      assert.equal(report.name, "InterruptedError", report.message);
      assert.match(
        report.message,
        /^Interrupted: reading \S*mnist_sample\.tgz stopped at its entry \d+\. What was extracted so far is incomplete \(untarData removes it\): run the cell again to extract the archive\.$/,
      );
      assert.deepEqual(report.left, [], "no partial folder left");
    } finally {
      Deno.removeSync(dest, { recursive: true });
    }
  },
);

testIf(
  "SIGINT during a render that hangs ends it at once with an InterruptedError",
  [permission({ name: "run", command: "deno" }), ...browserNeeds],
  async () => {
    const report = await interruptChild(
      ["tests/_interrupt_child.ts", "render"],
      "drawing",
    );
    assert.equal(report.name, "InterruptedError", report.message);
    assert.equal(
      report.message,
      "Interrupted: Drawing HTML stopped while the browser was drawing; no " +
        "image was made. Run the cell again to draw it.",
    );
    assert.ok(report.seconds < 10, `it took ${report.seconds} s`);
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
