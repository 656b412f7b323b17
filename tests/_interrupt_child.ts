/**
 * A child process for `interrupt_test.ts`, which sends it SIGINT while one
 * of the library's long async calls runs:
 *
 * - `untar DEST`: extracts the data set archive (`MNIST_SAMPLE_URL`) into
 *   DEST, printing `extracting` when the extraction begins;
 * - `render`: draws an HTML snippet whose script keeps the page busy for
 *   20 s, printing `drawing` once the call has begun.
 *
 * It prints the error the call ended with, and what DEST holds, as one JSON
 * line, then `done`.
 *
 * `deno run -P tests/_interrupt_child.ts MODE [DEST]`
 *
 * @module
 */
import { untarData, URLs } from "../lib/load/download.ts";
import { closeBrowser, renderHtml } from "../lib/plot/render.ts";
import { reportOutcome } from "./_child.ts";

const [mode, dest] = Deno.args;
let error: unknown;
const started = performance.now();
try {
  if (mode === "untar") {
    let said = false;
    await untarData(URLs.MNIST_SAMPLE, {
      dest,
      onProgress: (p) => {
        if (p.task === "extract" && !said) {
          said = true;
          console.log("extracting");
        }
      },
    });
  } else {
    setTimeout(() => console.log("drawing"), 1000);
    await renderHtml(
      "<p>busy</p><script>const t = Date.now() + 20000; " +
        "while (Date.now() < t) {}</script>",
      { width: 200 },
    );
  }
} catch (e) {
  error = e;
}
reportOutcome(error, {
  seconds: (performance.now() - started) / 1000,
  left: dest === undefined
    ? []
    : [...Deno.readDirSync(dest)].map((entry) => entry.name),
});
if (mode === "render") await closeBrowser();
console.log("done");
