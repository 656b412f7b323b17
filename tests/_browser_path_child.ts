/**
 * A child process for `render_test.ts`: draws a chart with whatever
 * `CHROMIUM_PATH` it was given, prints how that ended as one JSON line, then
 * `alive` a second later (a crash in between would leave it out), and exits.
 *
 * `CHROMIUM_PATH=… deno run -P --allow-run=… tests/_browser_path_child.ts`
 *
 * @module
 */
import { linePlot } from "../lib/plot/charts.ts";
import { renderPng } from "../lib/plot/render.ts";
import { reportOutcome } from "./_child.ts";

const started = performance.now();
let error: unknown;
try {
  await renderPng(linePlot({ y: [1, 2] }), { width: 100, height: 100 });
} catch (e) {
  error = e;
}
reportOutcome(error, { seconds: (performance.now() - started) / 1000 });
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log("alive");
Deno.exit(0); // a browser start given up on may still be pending
