/**
 * A child process for `download_test.ts`: downloads URL (an endless body)
 * with a 64 MB cap, and prints, as one JSON line, the error and the largest
 * resident memory seen while the bytes came in.
 *
 * `deno run -P tests/_endless_child.ts DEST URL`
 *
 * @module
 */
import { untarData } from "../lib/load/download.ts";
import { reportOutcome } from "./_child.ts";

const [dest, url] = Deno.args;
let peak = 0;
let error: unknown;
try {
  await untarData(url, {
    dest,
    maxDownloadBytes: 64e6,
    onProgress: () => {
      peak = Math.max(peak, Deno.memoryUsage().rss);
    },
  });
} catch (e) {
  error = e;
}
reportOutcome(error, { peakMB: Math.round(peak / 1e6) });
