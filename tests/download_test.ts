import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import {
  type Progress,
  textProgress,
  untarData,
  URLs,
} from "../lib/load/download.ts";
import { DataError, DownloadError } from "../lib/errors.ts";
import { decodePng } from "../lib/load/png.ts";
import {
  archiveNeeds,
  archiveUrl,
  type Need,
  permission,
  scratchAccess,
  scratchRoot,
  testIf,
} from "./_support.ts";
import { entry, tar } from "./_tar.ts";
import { lessonBlock } from "./_assert.ts";

const scratch = new URL("download/", scratchRoot);

const net = permission({ name: "net", host: "127.0.0.1" });
const local: Need[] = [...archiveNeeds(), ...scratchAccess];
const served: Need[] = [...local, net];
const servedMadeUp: Need[] = [...scratchAccess, net]; // archives built here

/** A fresh, empty scratch folder for one test. */
async function freshDest(name: string): Promise<string> {
  const dest = fileURLToPath(new URL(`${name}/`, scratch));
  await Deno.remove(dest, { recursive: true }).catch(() => {});
  await Deno.mkdir(dest, { recursive: true });
  return dest;
}

async function listing(folder: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(folder))).map((e) => e.name);
}

/** Serves `routes` (path → body) on a loopback port while `fn` runs; counts the hits. */
async function withServer(
  routes: Record<string, BodyInit>,
  fn: (base: string, hits: Map<string, number>) => Promise<void>,
): Promise<void> {
  const hits = new Map<string, number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const path = new URL(request.url).pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const body = routes[path];
      return body === undefined
        ? new Response("no such file", { status: 404 })
        : new Response(body);
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, hits);
  } finally {
    await server.shutdown();
  }
}

async function archive(): Promise<Uint8Array<ArrayBuffer>> {
  return await Deno.readFile(archiveUrl);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Checks the extracted data set against the lesson's numbers. */
async function assertMnistSample(folder: string): Promise<void> {
  assert.ok(folder.endsWith("mnist_sample"));
  const counts: Record<string, number> = {};
  for (const split of ["train/3", "train/7", "valid/3", "valid/7"]) {
    counts[split] = (await listing(`${folder}/${split}`)).length;
  }
  assert.deepEqual(counts, {
    "train/3": 6131,
    "train/7": 6265,
    "valid/3": 1010,
    "valid/7": 1028,
  });
  const threes = (await listing(`${folder}/train/3`)).sort();
  assert.deepEqual(threes.slice(0, 2), ["10.png", "10000.png"]);
  const name = `${folder}/train/3/10000.png`;
  const { pixels } = decodePng(await Deno.readFile(name), name);
  const block = [4, 5, 6, 7, 8, 9].map((
    r,
  ) => [...pixels.subarray(r * 28 + 4, r * 28 + 10)]);
  assert.deepEqual(block, lessonBlock);
}

testIf(
  "untarData downloads, checks and extracts the archive, then reuses the folder",
  served,
  async () => {
    const bytes = await archive();
    const dest = await freshDest("served");
    await withServer({
      "/mnist_sample.tgz": bytes,
      "/mnist_sample.tgz.sha256": `${sha256(bytes)}  mnist_sample.tgz\n`,
    }, async (base, hits) => {
      const events: Progress[] = [];
      const options = {
        dest,
        source: `${base}/mnist_sample.tgz`,
        onProgress: (p: Progress) => events.push(p),
      };
      const folder = await untarData(URLs.MNIST_SAMPLE, options);
      assert.equal(folder, `${dest}mnist_sample`);
      await assertMnistSample(folder);
      assert.deepEqual((await listing(dest)).sort(), [
        ".mnist_sample.manifest.json",
        "mnist_sample",
      ]); // no temporary left
      assert.equal(hits.get("/mnist_sample.tgz.sha256"), 1);

      for (const task of ["download", "extract"] as const) {
        const done = events.filter((p) => p.task === task).map((p) => p.done);
        const total = task === "download" ? bytes.length : 14435; // + labels.csv
        assert.ok(done.length >= 10, `${task}: only ${done.length} reports`);
        assert.ok(
          done.every((d, i) => i === 0 || d > done[i - 1]),
          `${task}: ${done}`,
        );
        assert.equal(done.at(-1), total);
        assert.ok(events.every((p) => p.task !== task || p.total === total));
      }

      const again = await untarData(URLs.MNIST_SAMPLE, options);
      assert.equal(again, folder);
      assert.equal(hits.get("/mnist_sample.tgz"), 1); // no second download
    });
    await Deno.remove(dest, { recursive: true }); // 14,435 files
  },
);

testIf(
  "MNIST_SAMPLE_URL replaces the official URL by a local path (relative to the working directory), checked by its .sha256",
  [...scratchAccess, permission({ name: "env", variable: "MNIST_SAMPLE_URL" })],
  async () => {
    const dest = await freshDest("env");
    const copy = fileURLToPath(new URL("env-archive/sample.tgz", scratch));
    await Deno.mkdir(new URL("env-archive/", scratch), { recursive: true });
    const tgz = gzipSync(tar(
      entry({ name: "mnist_sample/", type: "5" }),
      entry({ name: "mnist_sample/train/3/10.png" }, "not really a PNG"),
    ));
    await Deno.writeFile(copy, tgz);
    await Deno.writeTextFile(`${copy}.sha256`, `${sha256(tgz)}  sample.tgz\n`);
    const before = Deno.env.get("MNIST_SAMPLE_URL");
    Deno.env.set("MNIST_SAMPLE_URL", relative(Deno.cwd(), copy));
    try {
      const run = () =>
        untarData(URLs.MNIST_SAMPLE, { dest, onProgress: () => {} });
      const folder = await run();
      assert.equal(folder, `${dest}mnist_sample`);
      const file = `${folder}/train/3/10.png`;
      assert.equal(await Deno.readTextFile(file), "not really a PNG");

      await Deno.remove(folder, { recursive: true });
      const wrong = "f".repeat(64);
      await Deno.writeTextFile(`${copy}.sha256`, `${wrong}  sample.tgz\n`);
      await assertFailsCleanly(
        dest,
        run,
        DownloadError,
        wrong,
        "MNIST_SAMPLE_URL",
      );
    } finally {
      if (before === undefined) Deno.env.delete("MNIST_SAMPLE_URL");
      else Deno.env.set("MNIST_SAMPLE_URL", before);
    }
  },
);

async function assertFailsCleanly(
  dest: string,
  run: () => Promise<unknown>,
  errorClass: typeof DataError | typeof DownloadError,
  ...words: string[]
): Promise<void> {
  await assert.rejects(run, (e) => {
    assert.ok(
      e instanceof errorClass,
      `expected a ${errorClass.name}, got ${e}`,
    );
    for (const word of words) {
      assert.ok(e.message.includes(word), `"${e.message}" lacks "${word}"`);
    }
    return true;
  });
  assert.deepEqual(await listing(dest), [], "something was left in dest");
}

testIf(
  "a checksum mismatch names both values and the source, and leaves nothing behind",
  served,
  async () => {
    const bytes = await archive();
    const wrong = "0".repeat(64);
    const dest = await freshDest("mismatch");
    await withServer({
      "/mnist_sample.tgz": bytes,
      "/mnist_sample.tgz.sha256": `${wrong}  mnist_sample.tgz\n`,
    }, async (base) => {
      const url = `${base}/mnist_sample.tgz`;
      await assertFailsCleanly(
        dest,
        () => untarData(url, { dest, onProgress: () => {} }),
        DownloadError,
        wrong,
        sha256(bytes),
        url,
      );
    });
  },
);

testIf(
  "a truncated archive is a DataError naming it, and leaves nothing behind",
  served,
  async () => {
    const bytes = await archive();
    const dest = await freshDest("truncated");
    await withServer(
      { "/mnist_sample.tgz": bytes.subarray(0, bytes.length >> 1) },
      async (base) => {
        const url = `${base}/mnist_sample.tgz`;
        await assertFailsCleanly(
          dest,
          () => untarData(url, { dest, onProgress: () => {} }),
          DataError,
          url,
          "truncated",
        );
      },
    );
  },
);

testIf("an HTTP error names the URL and the status", servedMadeUp, async () => {
  const dest = await freshDest("404");
  await withServer({}, async (base) => {
    const url = `${base}/missing/mnist_sample.tgz`;
    await assertFailsCleanly(
      dest,
      () => untarData(url, { dest }),
      DownloadError,
      url,
      "404",
    );
  });
});

testIf(
  "a file that is not gzip is a DataError naming it",
  servedMadeUp,
  async () => {
    const dest = await freshDest("notgzip");
    await withServer(
      { "/mnist_sample.tgz": "<html>Moved</html>" },
      async (base) => {
        const url = `${base}/mnist_sample.tgz`;
        await assertFailsCleanly(
          dest,
          () => untarData(url, { dest }),
          DataError,
          url,
          "gzip",
        );
      },
    );
  },
);

testIf(
  "an archive with a `..` path is refused, and nothing is written anywhere",
  servedMadeUp,
  async () => {
    const dest = await freshDest("evil/inside");
    const evil = new Uint8Array(gzipSync(tar(
      entry({ name: "evil/", type: "5" }),
      entry({ name: "evil/ok.txt" }, "fine"),
      entry({ name: "evil/../../escaped.txt" }, "escaped"),
    )));
    await withServer({ "/evil.tgz": evil }, async (base) => {
      const url = `${base}/evil.tgz`;
      await assertFailsCleanly(
        dest,
        () => untarData(url, { dest }),
        DataError,
        url,
        "..",
      );
    });
    assert.deepEqual(await listing(fileURLToPath(new URL("evil/", scratch))), [
      "inside",
    ]);
  },
);

testIf(
  "a failure while writing the files removes the partial folder",
  servedMadeUp,
  async () => {
    const dest = await freshDest("clash");
    const clash = new Uint8Array(gzipSync(tar(
      entry({ name: "clash/a/b.txt" }, "b"), // makes the folder clash/a
      entry({ name: "clash/a" }, "a file where the folder is"),
    )));
    await withServer({ "/clash.tgz": clash }, async (base) => {
      await assert.rejects(() => untarData(`${base}/clash.tgz`, { dest }));
    });
    assert.deepEqual(await listing(dest), []);
  },
);

testIf(
  "a missing local archive is a DataError naming it",
  scratchAccess,
  async () => {
    const dest = await freshDest("missing");
    const source = fileURLToPath(new URL("no-such-archive.tgz", scratch));
    await assertFailsCleanly(
      dest,
      () => untarData(URLs.MNIST_SAMPLE, { dest, source }),
      DataError,
      source,
    );
  },
);

Deno.test("textProgress draws a bar that ends its line when the task is done", () => {
  const written: string[] = [];
  const out = {
    writeSync: (bytes: Uint8Array) => {
      written.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
  const show = textProgress(out);
  show({ task: "extract", done: 7217, total: 14434, unit: "files" });
  show({ task: "extract", done: 14434, total: 14434, unit: "files" });
  show({ task: "download", done: 1_500_000, total: undefined, unit: "bytes" });
  assert.match(
    written[0],
    /^\rextract +\[#{15}\.{15}\] +50% +7217 \/ 14434 files$/,
  );
  assert.match(written[1], /\[#{30}\] 100% +14434 \/ 14434 files\n$/);
  assert.match(written[2], /^\rdownload +1\.5 MB$/);
});
