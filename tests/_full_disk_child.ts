/**
 * A child process for `tar_test.ts`: extracts an archive holding one file
 * named `full` into `/dev`, so that the file written is `/dev/full`, where
 * every write fails with "No space left on device" (ENOSPC), as on a full
 * disk. Prints the error as one JSON line.
 *
 * `deno run -A tests/_full_disk_child.ts` (Deno lets only `-A` write a device)
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { extractTgz } from "../lib/load/tar.ts";
import { entry, tar } from "./_tar.ts";
import { reportOutcome } from "./_child.ts";

const gzip = new Uint8Array(
  gzipSync(tar(entry({ name: "full" }, new Uint8Array(5000)))),
);
let error: unknown;
try {
  await extractTgz(gzip, "/dev", { name: "full.tgz" });
} catch (e) {
  error = e;
}
reportOutcome(error);
