/**
 * The notebook runner's scratch copies (`tests/.scratch/check-*`, `run-*`)
 * left by a run that was killed are removed by the next run; those of a run
 * still under way are kept.
 */
import assert from "node:assert/strict";
import { scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { sweepScratch } from "../tools/notebooks.ts";

testIf(
  "the runner sweeps the scratch copies of killed runs and keeps live ones",
  scratchAccess,
  () => {
    const scratch = new URL("sweep/", scratchRoot);
    Deno.mkdirSync(scratch, { recursive: true });
    try {
      const make = (name: string) => {
        const dir = new URL(`${name}/`, scratch);
        Deno.mkdirSync(new URL("lib/", dir), { recursive: true });
        return dir;
      };
      const killed = make("check-killed");
      Deno.writeTextFileSync(new URL("owner.lock", killed), "");
      const live = make("run-live");
      using lock = Deno.openSync(new URL("owner.lock", live), {
        write: true,
        create: true,
      });
      lock.lockSync(true);
      make("check-starting"); // no lock yet, and new: being made
      make("other"); // not the runner's
      sweepScratch(scratch);
      assert.deepEqual(
        [...Deno.readDirSync(scratch)].map((e) => e.name).sort(),
        ["check-starting", "other", "run-live"],
      );
    } finally {
      Deno.removeSync(scratch, { recursive: true });
    }
  },
);
