import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type Progress, untarData, URLs } from "../lib/load/download.ts";
import { ArgumentError, DataError, DownloadError } from "../lib/errors.ts";
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

// This file's scratch folders go when its tests end, whatever they left.
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(scratch, { recursive: true });
  } catch {
    // never made, or no write permission: nothing to remove
  }
});

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

      const ends = events.filter((p) => p.finished).map((p) =>
        `${p.step}/${p.steps} ${p.text}`
      );
      assert.deepEqual(ends, [
        `1/2 downloaded ${(bytes.length / 1e6).toFixed(1)} MB`,
        "2/2 extracted 14,435 files",
      ]);
      assert.match(
        events.find((p) => p.task === "extract" && !p.finished)!.text!,
        /^extracting \d[\d,]* \/ 14,435 files$/,
      );

      const again = await untarData(URLs.MNIST_SAMPLE, options);
      assert.equal(again, folder);
      assert.equal(hits.get("/mnist_sample.tgz"), 1); // no second download

      // A folder that lost a file is not taken as the data set.
      await Deno.remove(`${folder}/train/3/10000.png`);
      const incomplete = [
        folder,
        "train/3 holds 6,130 files where the archive has 6,131",
        "Delete the folder",
      ];
      await assert.rejects(
        () => untarData(URLs.MNIST_SAMPLE, options),
        (e) => hasWords(e, DataError, incomplete),
      );
      // Without the manifest (a folder extracted by hand), the known counts
      // of the official archive tell the same.
      await Deno.remove(`${dest}.mnist_sample.manifest.json`);
      await assert.rejects(
        () => untarData(URLs.MNIST_SAMPLE, options),
        (e) => hasWords(e, DataError, incomplete),
      );
      assert.equal(hits.get("/mnist_sample.tgz"), 1);
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

/** Whether `e` is an `errorClass` whose message holds every word (asserts it). */
function hasWords(
  e: unknown,
  errorClass: abstract new (...args: never[]) => Error,
  words: readonly string[],
): true {
  assert.ok(e instanceof errorClass, `expected a ${errorClass.name}, got ${e}`);
  for (const word of words) {
    assert.ok(e.message.includes(word), `"${e.message}" lacks "${word}"`);
  }
  return true;
}

async function assertFailsCleanly(
  dest: string,
  run: () => Promise<unknown>,
  errorClass: typeof DataError | typeof DownloadError | typeof ArgumentError,
  ...words: string[]
): Promise<void> {
  await assert.rejects(run, (e) => hasWords(e, errorClass, words));
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
  "a file that is also a folder (`a` and `a/b`) is a DataError naming both, and nothing is written",
  servedMadeUp,
  async () => {
    const dest = await freshDest("clash");
    const clash = new Uint8Array(gzipSync(tar(
      entry({ name: "clash/a/b.txt" }, "b"), // makes the folder clash/a
      entry({ name: "clash/a" }, "a file where the folder is"),
    )));
    await withServer({ "/clash.tgz": clash }, async (base) => {
      await assertFailsCleanly(
        dest,
        () => untarData(`${base}/clash.tgz`, { dest }),
        DataError,
        `${base}/clash.tgz`,
        'a file "clash/a"',
        '"clash/a/b.txt"',
      );
    });
  },
);

testIf(
  "a failure while writing the files (here, the progress callback throws) removes the partial folder",
  scratchAccess,
  async () => {
    const dest = await freshDest("midway");
    const source = await madeUpArchive("midway", 300);
    const onProgress = (p: Progress) => {
      if (p.task === "extract" && p.done > 100) throw new Error("boom");
    };
    await assert.rejects(
      () =>
        untarData("https://example.com/digits.tgz", {
          dest,
          source,
          onProgress,
        }),
      /boom/,
    );
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

/** A made-up archive `digits/<i>.txt` of `count` files in the scratch folder; its path. */
async function madeUpArchive(name: string, count: number): Promise<string> {
  const folder = fileURLToPath(new URL(`archives/${name}/`, scratch));
  await Deno.mkdir(folder, { recursive: true });
  const files = Array.from(
    { length: count },
    (_, i) => entry({ name: `digits/${i % 3}/${i}.txt` }, `${i}`),
  );
  const path = `${folder}digits.tgz`;
  await Deno.writeFile(path, gzipSync(tar(...files)));
  return path;
}

/** Serves one route with `handle` on a loopback port while `fn` runs; ends what is left hanging. */
async function withHandler(
  handle: (
    request: Request,
    released: Promise<void>,
  ) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handle(request, released),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    release();
    await server.shutdown();
  }
}

const quick = { headersTimeoutMs: 200, stallTimeoutMs: 200 } as const;

testIf(
  "a server that never answers is given up on after headersTimeoutMs, with a DownloadError saying what to do",
  servedMadeUp,
  async () => {
    const dest = await freshDest("silent");
    for (const checksum of ["silent", "missing"]) {
      // The checksum is asked for first: silent, or missing and then the
      // archive silent.
      await withHandler(async (request, released) => {
        if (checksum === "missing" && request.url.endsWith(".sha256")) {
          return new Response("", { status: 404 });
        }
        await released;
        return new Response("too late");
      }, async (base) => {
        const url = `${base}/silent.tgz`;
        const named = checksum === "silent" ? `${url}.sha256` : url;
        const started = performance.now();
        await assertFailsCleanly(
          dest,
          () => untarData(url, { dest, ...quick }),
          DownloadError,
          `${named} sent no answer within 200 ms`,
          "Try again later",
        );
        assert.ok(performance.now() - started < 5000);
      });
    }
  },
);

testIf(
  "a download that stalls midway is given up on after stallTimeoutMs, and nothing is kept",
  servedMadeUp,
  async () => {
    const dest = await freshDest("stall");
    await withHandler((request, released) => {
      if (request.url.endsWith(".sha256")) {
        return new Response("", { status: 404 });
      }
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new Uint8Array(100_000).fill(0x1f));
          await released;
          controller.close();
        },
      });
      return new Response(body);
    }, async (base) => {
      const url = `${base}/stall.tgz`;
      await assertFailsCleanly(
        dest,
        () => untarData(url, { dest, ...quick, onProgress: () => {} }),
        DownloadError,
        `${url} stalled: nothing came for 200 ms after 0.1 MB`,
        "try again",
      );
    });
  },
);

testIf(
  "an endless body is stopped at maxDownloadBytes, with a DownloadError naming the cap",
  servedMadeUp,
  async () => {
    const dest = await freshDest("endless");
    let sent = 0;
    await withHandler((request) => {
      if (request.url.endsWith(".sha256")) {
        return new Response("", { status: 404 });
      }
      const chunk = new Uint8Array(64 * 1024);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      return new Response(body);
    }, async (base) => {
      const url = `${base}/endless.tgz`;
      await assertFailsCleanly(
        dest,
        () => untarData(url, { dest, maxDownloadBytes: 1e6 }),
        DownloadError,
        url,
        "sent an archive bigger than 1.0 MB, the cap on a download",
        "maxDownloadBytes",
      );
    });
    assert.ok(sent < 50e6, `the server sent ${sent} bytes`);
  },
);

testIf(
  "a download announced bigger than maxDownloadBytes is refused before it is read",
  servedMadeUp,
  async () => {
    const dest = await freshDest("announced");
    await withServer({ "/big.tgz": new Uint8Array(2e6) }, async (base) => {
      await assertFailsCleanly(
        dest,
        () => untarData(`${base}/big.tgz`, { dest, maxDownloadBytes: 1e6 }),
        DownloadError,
        `${base}/big.tgz is 2.0 MB, more than 1.0 MB`,
      );
    });
  },
);

testIf(
  "an archive inflating past maxExtractBytes is a DataError naming the cap, and nothing is written",
  servedMadeUp,
  async () => {
    const dest = await freshDest("inflated");
    const bomb = new Uint8Array(
      gzipSync(tar(entry({ name: "b/zeros" }, new Uint8Array(4e6)))),
    );
    await withServer({ "/b.tgz": bomb }, async (base) => {
      await assertFailsCleanly(
        dest,
        () => untarData(`${base}/b.tgz`, { dest, maxExtractBytes: 1e6 }),
        DataError,
        "inflates to more than 1 MB",
        "maxExtractBytes",
      );
    });
  },
);

Deno.test("a timeout or cap that is not a positive number is an ArgumentError naming it", async () => {
  for (const bad of [0, -1, NaN, Infinity]) {
    await assert.rejects(
      () => untarData("https://example.com/x.tgz", { stallTimeoutMs: bad }),
      (e) => hasWords(e, ArgumentError, ["stallTimeoutMs", String(bad)]),
    );
  }
});

testIf(
  "the checksum of a URL with a query is fetched from its path plus .sha256, the query kept, and named in a mismatch",
  servedMadeUp,
  async () => {
    const dest = await freshDest("query");
    const tgz = await Deno.readFile(await madeUpArchive("query", 5));
    const asked: string[] = [];
    let sha = sha256(tgz);
    await withHandler((request) => {
      const url = new URL(request.url);
      asked.push(url.pathname + url.search);
      if (url.pathname === "/digits.tgz.sha256") {
        return new Response(`${sha}  digits.tgz`);
      }
      if (url.pathname === "/digits.tgz") return new Response(tgz);
      return new Response("", { status: 404 });
    }, async (base) => {
      const url = `${base}/digits.tgz?x=1`;
      assert.equal(await untarData(url, { dest }), `${dest}digits`);
      assert.deepEqual(asked, ["/digits.tgz.sha256?x=1", "/digits.tgz?x=1"]);

      await Deno.remove(dest, { recursive: true });
      sha = "e".repeat(64);
      await Deno.mkdir(dest);
      await assertFailsCleanly(
        dest,
        () => untarData(url, { dest }),
        DownloadError,
        `the checksum published at ${base}/digits.tgz.sha256?x=1`,
      );
      sha = "not a checksum";
      await assert.rejects(
        () => untarData(url, { dest }),
        (e) => {
          hasWords(e, DataError, ["ask whoever publishes it"]);
          return !(e as Error).message.includes("delete");
        },
      );
    });
  },
);

testIf(
  "a made-up archive's folder that lost a file is found incomplete by its manifest",
  scratchAccess,
  async () => {
    const dest = await freshDest("manifest");
    const source = await madeUpArchive("manifest", 30);
    const url = "https://example.com/digits.tgz";
    const folder = await untarData(url, { dest, source });
    await Deno.writeFile(`${folder}/1/.pixels-cache`, new Uint8Array(3)); // hidden: not counted
    assert.equal(await untarData(url, { dest, source }), folder);
    await Deno.remove(`${folder}/1/4.txt`);
    await assert.rejects(
      () => untarData(url, { dest, source }),
      (e) =>
        hasWords(e, DataError, [
          `${folder} is incomplete: 1 holds 9 files where the archive has 10`,
          `Delete the folder ${folder}`,
        ]),
    );
    await Deno.remove(`${folder}/2`, { recursive: true });
    await assert.rejects(
      () => untarData(url, { dest, source }),
      (e) => hasWords(e, DataError, ["2 is missing"]),
    );
  },
);

testIf(
  "partial folders left by interrupted extractions are swept once ten minutes old, and fresh ones kept",
  scratchAccess,
  async () => {
    const dest = await freshDest("sweep");
    const source = await madeUpArchive("sweep", 3);
    const old = `${dest}.digits.partial-old`,
      fresh = `${dest}.digits.partial-new`;
    const other = `${dest}.other.partial-old`;
    for (const folder of [old, fresh, other]) {
      await Deno.mkdir(`${folder}/digits/0`, { recursive: true });
      await Deno.writeTextFile(`${folder}/digits/0/0.txt`, "0");
    }
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60 * 1000);
    await Deno.utime(old, elevenMinutesAgo, elevenMinutesAgo);
    await Deno.utime(other, elevenMinutesAgo, elevenMinutesAgo);
    await untarData("https://example.com/digits.tgz", { dest, source });
    assert.deepEqual((await listing(dest)).sort(), [
      ".digits.manifest.json",
      ".digits.partial-new",
      ".other.partial-old", // another data set's: not this call's to sweep
      "digits",
    ]);
  },
);

testIf(
  "a destination that cannot be written is a DataError naming it and saying what to do",
  scratchAccess,
  async () => {
    // Deno may not write here (deno.json grants tests/.scratch and data/ only).
    const dest = fileURLToPath(new URL("./.no-write-here/", import.meta.url));
    const source = await madeUpArchive("readonly", 3);
    await assert.rejects(
      () => untarData("https://example.com/digits.tgz", { dest, source }),
      (e) =>
        hasWords(e, DataError, [
          `Cannot write in ${dest}`,
          "Make the folder writable",
          "dest option",
        ]),
    );
  },
);

testIf(
  "a host Deno may not connect to is a DownloadError saying which permission to grant",
  [...scratchAccess, {
    met: Deno.permissions.querySync({ name: "net", host: "127.0.0.2" })
      .state !== "granted",
    why: "no net permission for 127.0.0.2",
    fix: "run `deno task test` (or `deno test -P`)",
  }],
  async () => {
    const dest = await freshDest("denied");
    // deno.json grants 127.0.0.1 only; nothing is sent anywhere.
    const url = "http://127.0.0.2/x.tgz";
    if (
      Deno.permissions.querySync({ name: "net", host: "127.0.0.2" }).state ===
        "granted"
    ) return;
    await assertFailsCleanly(
      dest,
      () => untarData(url, { dest }),
      DownloadError,
      "Deno may not connect to 127.0.0.2:",
      "--allow-net=127.0.0.2",
    );
  },
);

testIf(
  "a folder or an ftp:// URL as the source is a DataError saying what to give instead, not 'Try again' or a TypeError",
  scratchAccess,
  async () => {
    const dest = await freshDest("sources");
    const folder = await freshDest("a-folder");
    await assertFailsCleanly(
      dest,
      () => untarData(URLs.MNIST_SAMPLE, { dest, source: folder }),
      DataError,
      `${folder} is a folder, not an archive: it must name the .tgz file ` +
        "itself (check the source given to untarData).",
    );
    await assertFailsCleanly(
      dest,
      () =>
        untarData(URLs.MNIST_SAMPLE, {
          dest,
          source: "ftp://127.0.0.1/mnist_sample.tgz",
        }),
      DataError,
      "ftp://127.0.0.1/mnist_sample.tgz uses the scheme ftp:, which " +
        "untarData cannot read: give it an http://, https:// or file:// " +
        "URL, or a path",
    );
  },
);

testIf(
  "a file added to an extracted folder is reported as added, by name, not as files deleted",
  scratchAccess,
  async () => {
    const dest = await freshDest("added");
    const source = await madeUpArchive("added", 30);
    const url = "https://example.com/digits.tgz";
    const folder = await untarData(url, { dest, source });
    await new Promise((resolve) => setTimeout(resolve, 20)); // a newer mtime
    await Deno.writeTextFile(`${folder}/1/notes.txt`, "my notes");
    await assert.rejects(
      () => untarData(url, { dest, source }),
      (e) => {
        hasWords(e, DataError, [
          `${folder} holds files its archive did not: 1 holds 11 files where ` +
          "the archive has 10 (the newest: 1/notes.txt). Move files you " +
          "added out of the data set's folders",
        ]);
        return !(e as Error).message.includes("deleted");
      },
    );
  },
);

testIf(
  "a file where the extracted folder goes is a DataError before anything is read, and is left as it was",
  scratchAccess,
  async () => {
    const dest = await freshDest("file-there");
    const source = await madeUpArchive("file-there", 30);
    await Deno.writeTextFile(`${dest}/digits`, "mine");
    await assert.rejects(
      () => untarData("https://example.com/digits.tgz", { dest, source }),
      (e) =>
        hasWords(e, DataError, [
          `${dest}digits exists but is not a folder (a file or a link): ` +
          "untarData extracts the data set there. Move or delete it, then " +
          "run untarData again; nothing was downloaded.",
        ]),
    );
    assert.equal(await Deno.readTextFile(`${dest}/digits`), "mine");
    assert.deepEqual(await listing(dest), ["digits"]);
  },
);

// An endless body, from another process: Deno's fetch hands a real socket's
// bytes over as 8 kB views of 64 kB buffers (a server in the same process
// does not show it).
const ENDLESS_SERVER = `
import http.server, socketserver
class Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404 if self.path.endswith(".sha256") else 200)
        self.end_headers()
        chunk = bytes(65536)
        try:
            while not self.path.endswith(".sha256"):
                self.wfile.write(chunk)
        except OSError:
            pass
    def log_message(self, *args):
        pass
with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Endless) as server:
    print(server.server_address[1], flush=True)
    server.serve_forever()
`;

testIf(
  "an endless body is stopped at the cap without holding many times the cap in memory",
  [
    ...scratchAccess,
    net,
    permission({ name: "run", command: "deno" }),
    permission({ name: "run", command: "/usr/bin/python3" }),
  ],
  async () => {
    const dest = await freshDest("endless");
    const server = new Deno.Command("/usr/bin/python3", {
      args: ["-c", ENDLESS_SERVER],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      const port = Number((await reader.read()).value?.trim());
      reader.releaseLock();
      const output = await new Deno.Command("deno", {
        args: [
          "run",
          "-P",
          "--quiet",
          "tests/_endless_child.ts",
          dest,
          `http://127.0.0.1:${port}/endless.tgz`,
        ],
        cwd: new URL("../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      assert.ok(text.startsWith("{"), new TextDecoder().decode(output.stderr));
      const report = JSON.parse(text);
      assert.equal(report.name, "DownloadError", report.message);
      assert.match(report.message, /bigger than 64\.0 MB, the cap/);
      // Measured: about 450 MB when each 8 kB view kept its 64 kB buffer,
      // about 190 MB with copies (64 MB of data, the runtime, garbage).
      assert.ok(report.peakMB < 320, `${report.peakMB} MB at the peak`);
      assert.deepEqual(await listing(dest), []);
    } finally {
      server.kill("SIGKILL");
      await server.status;
      await server.stdout.cancel().catch(() => {});
    }
  },
);
