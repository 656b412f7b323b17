import assert from "node:assert/strict";
import { DataError } from "../lib/errors.ts";
import { readTar } from "../lib/load/tar.ts";
import { entry, header, paxRecord, tar } from "./_tar.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("readTar lists folders and files in order, with each file's bytes", () => {
  const archive = tar(
    entry({ name: "mnist_sample/", type: "5" }),
    entry({ name: "mnist_sample/labels.csv" }, "name,label\n"),
    entry({ name: "mnist_sample/big.bin" }, new Uint8Array(1300).fill(7)),
    entry({ name: "mnist_sample/after.txt" }, "after"),
  );
  const entries = readTar(archive, "t.tar");
  assert.deepEqual(
    entries.map((e) => [e.path, e.type]),
    [
      ["mnist_sample", "directory"],
      ["mnist_sample/labels.csv", "file"],
      ["mnist_sample/big.bin", "file"],
      ["mnist_sample/after.txt", "file"],
    ],
  );
  assert.equal(text(entries[1].data), "name,label\n");
  assert.deepEqual(entries[2].data, new Uint8Array(1300).fill(7));
  assert.equal(text(entries[3].data), "after"); // found past the padded 1300 bytes
});

Deno.test("readTar joins a ustar name to its prefix", () => {
  const archive = tar(
    entry({ name: "10000.png", prefix: "mnist_sample/train/3" }, "png"),
  );
  assert.equal(
    readTar(archive, "t.tar")[0].path,
    "mnist_sample/train/3/10000.png",
  );
});

Deno.test("readTar ignores the prefix field of GNU tar headers, which holds times", () => {
  const archive = tar(entry({ name: "a/b.txt", magic: "gnu" }, "b"));
  assert.equal(readTar(archive, "t.tar")[0].path, "a/b.txt");
});

Deno.test("readTar takes a GNU long name (L entry) for the next entry only", () => {
  const long = "mnist_sample/" + "deep/".repeat(30) + "file.txt";
  const archive = tar(
    entry({ name: "././@LongLink", type: "L" }, long + "\0"),
    entry({ name: long.slice(0, 100) }, "deep"),
    entry({ name: "short.txt" }, "short"),
  );
  const entries = readTar(archive, "t.tar");
  assert.deepEqual(entries.map((e) => e.path), [long, "short.txt"]);
  assert.equal(text(entries[0].data), "deep");
});

Deno.test("readTar takes a pax path (x header) for the next entry, and skips global (g) headers", () => {
  const path = "données/" + "é".repeat(80) + ".txt"; // longer than 100 bytes, not ASCII
  const pax = paxRecord("mtime", "1598140800.5") + paxRecord("path", path);
  const archive = tar(
    entry({ name: "pax_global_header", type: "g" }, paxRecord("comment", "x")),
    entry({ name: "PaxHeaders/x", type: "x" }, pax),
    entry({ name: "truncated-name" }, "content"),
    entry({ name: "next.txt" }, "next"),
  );
  const entries = readTar(archive, "t.tar");
  assert.deepEqual(entries.map((e) => e.path), [path, "next.txt"]);
  assert.equal(text(entries[0].data), "content");
});

Deno.test("readTar drops `.` parts and a bare `./` entry", () => {
  const archive = tar(
    entry({ name: "./", type: "5" }),
    entry({ name: "./a/./b.txt" }, "b"),
  );
  assert.deepEqual(readTar(archive, "t.tar").map((e) => e.path), ["a/b.txt"]);
});

Deno.test("readTar marks links and other special entries as `other`", () => {
  const archive = tar(entry({ name: "link", type: "2" }));
  assert.equal(readTar(archive, "t.tar")[0].type, "other");
});

Deno.test("a header with a wrong checksum is a DataError naming the archive", () => {
  const archive = tar(
    entry({ name: "ok.txt" }, "ok"),
    entry({ name: "bad.txt", checksumError: 1 }, "bad"),
  );
  assert.throws(
    () => readTar(archive, "damaged.tar"),
    (e) =>
      e instanceof DataError && e.message.includes("damaged.tar") &&
      e.message.includes("checksum") && e.message.includes("byte 1024"),
  );
});

Deno.test("an entry climbing out with `..` is refused", () => {
  for (const name of ["../evil.txt", "mnist_sample/../../evil.txt"]) {
    assert.throws(
      () => readTar(tar(entry({ name }, "evil")), "evil.tar"),
      (e) =>
        e instanceof DataError && e.message.includes("evil.tar") &&
        e.message.includes(name),
    );
  }
});

Deno.test("an entry with an absolute path is refused", () => {
  for (const name of ["/etc/evil", "C:/evil", "\\evil"]) {
    assert.throws(
      () => readTar(tar(entry({ name }, "evil")), "evil.tar"),
      DataError,
    );
  }
});

Deno.test("a `..` hidden in a pax path is refused too", () => {
  const archive = tar(
    entry({ name: "x", type: "x" }, paxRecord("path", "a/../../evil")),
    entry({ name: "harmless" }, "evil"),
  );
  assert.throws(() => readTar(archive, "evil.tar"), DataError);
});

Deno.test("an archive that ends inside an entry or a header is a DataError saying it is truncated", () => {
  const whole = tar(entry({ name: "a.bin" }, new Uint8Array(2000)));
  for (const length of [512 + 1000, 300]) {
    assert.throws(
      () => readTar(whole.subarray(0, length), "cut.tar"),
      (e) =>
        e instanceof DataError && e.message.includes("cut.tar") &&
        e.message.includes("truncated"),
    );
  }
});

Deno.test("readTar stops at the first zero block, and an archive without one ends at its last entry", () => {
  const one = entry({ name: "a.txt" }, "a");
  const withEnd = tar(one, entry({ name: "b.txt" }, "b"));
  withEnd.fill(0, one.length, one.length + 512); // an end block before b.txt
  assert.deepEqual(readTar(withEnd, "t.tar").map((e) => e.path), ["a.txt"]);
  assert.deepEqual(readTar(one, "t.tar").map((e) => e.path), ["a.txt"]);
});

Deno.test("GNU base-256 sizes are read", () => {
  const block = header({ name: "a.bin" }, 0);
  const data = new Uint8Array(600).fill(1);
  // Size 600 = 0x0258 in base 256: a first byte with its high bit set.
  block.fill(0, 124, 136);
  block[124] = 0x80;
  block[134] = 0x02;
  block[135] = 0x58;
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.set(
    new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "),
    148,
  );
  const padded = new Uint8Array(1024);
  padded.set(data);
  const archive = tar(block, padded);
  assert.equal(readTar(archive, "t.tar")[0].data.length, 600);
});
