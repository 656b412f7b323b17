import "./_backend.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { untarData, URLs } from "../lib/load/download.ts";
import { DataError } from "../lib/errors.ts";
import {
  getImageFiles,
  loadMnistSample,
  openImage,
  pixelRows,
  stackFolder,
} from "../lib/load/mnist.ts";
import { encodePng } from "../lib/load/png.ts";
import {
  archiveNeeds,
  archiveUrl,
  type Need,
  scratchAccess,
  scratchRoot,
  testIf,
} from "./_support.ts";
import { lessonBlock } from "./_assert.ts";
import { entry, tar } from "./_tar.ts";
import { gzipSync } from "node:zlib";

const scratch = new URL("mnist/", scratchRoot);

// This file's scratch folders go when its tests end, whatever they left.
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(scratch, { recursive: true });
  } catch {
    // never made, or no write permission: nothing to remove
  }
});
const withArchive: Need[] = [...scratchAccess, ...archiveNeeds()];

/** The real data set, extracted once for this file's tests. */
let extracted: Promise<string> | undefined;
function dataset(): Promise<string> {
  extracted ??= (async () => {
    const dest = fileURLToPath(new URL("real/", scratch));
    await Deno.remove(dest, { recursive: true }).catch(() => {});
    return await untarData(URLs.MNIST_SAMPLE, {
      dest,
      source: fileURLToPath(archiveUrl),
      onProgress: () => {},
    });
  })();
  return extracted;
}

/** A fresh scratch folder holding `files` (name → bytes). */
async function folderWith(
  name: string,
  files: Record<string, Uint8Array>,
): Promise<string> {
  const folder = fileURLToPath(new URL(`${name}/`, scratch));
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await Deno.mkdir(folder, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) {
    await Deno.mkdir(`${folder}/${file}/..`, { recursive: true });
    await Deno.writeFile(`${folder}/${file}`, bytes);
  }
  return folder.replace(/\/$/, "");
}

/** A 28×28 digit PNG whose pixels are all `level` but the first, which is `id`. */
function digit(level: number, id = level): Uint8Array {
  const pixels = new Uint8Array(28 * 28).fill(level);
  pixels[0] = id;
  return encodePng(pixels, 28, 28);
}

Deno.test("pixelRows cuts a block of rows and columns, like im[4:10, 4:10]", () => {
  const image = {
    width: 4,
    height: 3,
    pixels: Uint8Array.from({ length: 12 }, (_, i) => i),
  };
  assert.deepEqual(pixelRows(image, [1, 3], [2, 4]), [[6, 7], [10, 11]]);
  assert.deepEqual(pixelRows(image), [[0, 1, 2, 3], [4, 5, 6, 7], [
    8,
    9,
    10,
    11,
  ]]);
  assert.deepEqual(pixelRows(image, [2, 99], [3, 99]), [[11]]); // clipped like Python
});

testIf(
  "getImageFiles lists the PNG files of a folder, sorted as plain strings",
  scratchAccess,
  async () => {
    const png = digit(0);
    const folder = await folderWith("sorted", {
      "2.png": png,
      "10000.png": png,
      "10.png": png,
      "1001.png": png,
      "notes.txt": new Uint8Array(1),
    });
    assert.deepEqual(
      getImageFiles(folder).map((f) => f.slice(folder.length + 1)),
      ["10.png", "10000.png", "1001.png", "2.png"],
    );
  },
);

testIf(
  "a missing folder is a DataError naming it and saying to run untarData again",
  scratchAccess,
  () => {
    const folder = fileURLToPath(new URL("no-such-folder", scratch));
    assert.throws(
      () => getImageFiles(folder),
      (e) =>
        e instanceof DataError && e.message.includes(folder) &&
        e.message.includes("untarData"),
    );
  },
);

testIf(
  "stackFolder refuses a missing or empty folder",
  scratchAccess,
  async () => {
    const empty = await folderWith("empty", {
      "readme.txt": new Uint8Array(1),
    });
    await assert.rejects(
      () => stackFolder(empty),
      (e) => e instanceof DataError && e.message.includes(empty),
    );
    const missing = `${empty}/missing`;
    await assert.rejects(
      () => stackFolder(missing),
      (e) => e instanceof DataError && e.message.includes(missing),
    );
  },
);

testIf(
  "stackFolder names a file that is not a PNG",
  scratchAccess,
  async () => {
    const folder = await folderWith("notpng", {
      "1.png": digit(10),
      "2.png": new TextEncoder().encode("not an image"),
    });
    await assert.rejects(
      () => stackFolder(folder),
      (e) => e instanceof DataError && e.message.includes(`${folder}/2.png`),
    );
  },
);

testIf(
  "stackFolder names an image that is not 28×28",
  scratchAccess,
  async () => {
    const folder = await folderWith("size", {
      "1.png": digit(10),
      "2.png": encodePng(new Uint8Array(27 * 28), 27, 28),
    });
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => stackFolder(folder),
      (e) =>
        e instanceof DataError && e.message.includes(`${folder}/2.png`) &&
        e.message.includes("27×28"),
    );
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "stackFolder stacks the images in file order, scaled to 0..1",
  scratchAccess,
  async () => {
    const folder = await folderWith("stack", {
      "b.png": digit(51),
      "a.png": digit(255, 0),
      "c.png": digit(0, 102),
    });
    const before = tf.memory().numTensors;
    const stacked = await stackFolder(folder);
    assert.deepEqual(stacked.shape, [3, 28, 28]);
    assert.equal(stacked.dtype, "float32");
    const values = stacked.dataSync();
    const at = (image: number, pixel: number) => values[image * 784 + pixel];
    assert.deepEqual(
      [at(0, 0), at(0, 1), at(1, 0), at(1, 783), at(2, 0), at(2, 5)],
      [
        0,
        1,
        0.2,
        0.2,
        0.4,
        0,
      ].map(Math.fround),
    );
    stacked.dispose();
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "the pixel cache is used, checked, and rebuilt when damaged or outdated",
  scratchAccess,
  async () => {
    const folder = await folderWith("cache", {
      "1.png": digit(10),
      "2.png": digit(20),
    });
    const cache = `${folder}/.pixels-cache`;
    const load = async () => {
      const stacked = await stackFolder(folder);
      const values = [...stacked.dataSync()].map((v) => Math.round(v * 255));
      stacked.dispose();
      return values;
    };
    const expected = await load();
    assert.deepEqual([expected[0], expected[1], expected[784], expected[785]], [
      10,
      10,
      20,
      20,
    ]);
    const good = await Deno.readFile(cache);
    const header = good.length - 2 * 784;
    assert.equal(header, 56);

    // A cache whose pixels were altered fails its checksum: the PNGs are decoded again.
    const damaged = good.slice();
    damaged[header + 5] = 99;
    await Deno.writeFile(cache, damaged);
    assert.deepEqual(await load(), expected);
    assert.deepEqual(await Deno.readFile(cache), good); // and the cache was rewritten

    // A truncated cache is not trusted either.
    await Deno.writeFile(cache, good.subarray(0, 100));
    assert.deepEqual(await load(), expected);

    // The cache is served when valid: proof, the PNGs themselves are not read.
    await Deno.writeFile(`${folder}/1.png`, new TextEncoder().encode("gone"));
    assert.deepEqual(await load(), expected);

    // A new file changes the folder's modification time, so the cache is
    // outdated. (A file added within the millisecond the cache was written
    // would go unnoticed: the test waits a little first.)
    await Deno.writeFile(`${folder}/1.png`, digit(10));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Deno.writeFile(`${folder}/3.png`, digit(30));
    const more = await load();
    assert.equal(more.length, 3 * 784);
    assert.equal(more[2 * 784 + 1], 30);

    // So does a file removed.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Deno.remove(`${folder}/3.png`);
    assert.deepEqual(await load(), expected);
  },
);

testIf(
  "loadMnistSample puts threes (label 1) before sevens (label 0) in each split",
  scratchAccess,
  async () => {
    const root = await folderWith("tiny", {
      "train/3/1.png": digit(30, 1),
      "train/3/2.png": digit(30, 2),
      "train/7/1.png": digit(70, 1),
      "train/7/2.png": digit(70, 2),
      "train/7/3.png": digit(70, 3),
      "valid/3/1.png": digit(30, 9),
      "valid/7/1.png": digit(70, 9),
    });
    const before = tf.memory().numTensors;
    const { train, valid } = await loadMnistSample(root);
    assert.deepEqual([
      train.x.shape,
      train.y.shape,
      valid.x.shape,
      valid.y.shape,
    ], [
      [5, 784],
      [5, 1],
      [2, 784],
      [2, 1],
    ]);
    const x = train.x.arraySync();
    assert.deepEqual(x.map((row) => Math.round(row[0] * 255)), [1, 2, 1, 2, 3]);
    assert.deepEqual(x.map((row) => Math.round(row[1] * 255)), [
      30,
      30,
      70,
      70,
      70,
    ]);
    assert.deepEqual(train.y.dataSync(), new Float32Array([1, 1, 0, 0, 0]));
    assert.deepEqual(valid.y.dataSync(), new Float32Array([1, 0]));
    assert.equal(valid.x.arraySync()[1][1], Math.fround(70 / 255));
    tf.dispose([train.x, train.y, valid.x, valid.y]);
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "the lesson's data: sorted file lists, and the pixels of train/3/10000.png",
  withArchive,
  async () => {
    const path = await dataset();
    const threes = getImageFiles(`${path}/train/3`);
    const sevens = getImageFiles(`${path}/train/7`);
    assert.deepEqual([threes.length, sevens.length], [6131, 6265]);
    assert.deepEqual(threes.slice(0, 2), [
      `${path}/train/3/10.png`,
      `${path}/train/3/10000.png`,
    ]);
    const im3 = await openImage(threes[1]);
    assert.deepEqual([im3.width, im3.height], [28, 28]);
    assert.deepEqual(pixelRows(im3, [4, 10], [4, 10]), lessonBlock);
  },
);

testIf(
  "the lesson's data as tensors: stacks of [n, 28, 28] and x [n, 784], y [n, 1]",
  withArchive,
  async () => {
    const path = await dataset();
    const before = tf.memory().numTensors;
    const stacked3 = await stackFolder(`${path}/train/3`);
    assert.deepEqual(stacked3.shape, [6131, 28, 28]);
    const block = tf.tidy(() =>
      stacked3.slice([1, 4, 4], [1, 6, 6]).mul(255).round().squeeze()
    );
    assert.deepEqual(block.arraySync(), lessonBlock);

    const { train, valid } = await loadMnistSample(path);
    assert.deepEqual([train.x.shape, train.y.shape], [[12396, 784], [
      12396,
      1,
    ]]);
    assert.deepEqual([valid.x.shape, valid.y.shape], [[2038, 784], [2038, 1]]);
    const labels = [...train.y.dataSync()];
    const validLabels = [...valid.y.dataSync()];
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    assert.deepEqual([labels[6130], labels[6131], sum(labels)], [1, 0, 6131]);
    assert.deepEqual([validLabels[1009], validLabels[1010], sum(validLabels)], [
      1,
      0,
      1010,
    ]);
    const same = tf.tidy(() =>
      train.x.slice([0, 0], [6131, 784]).equal(stacked3.reshape([6131, 784]))
        .all()
    );
    assert.equal(same.dataSync()[0], 1); // the threes come first, in file order
    const [min, max] = tf.tidy(() => [train.x.min(), train.x.max()]);
    assert.deepEqual([min.dataSync()[0], max.dataSync()[0]], [0, 1]);

    tf.dispose([
      stacked3,
      block,
      same,
      min,
      max,
      train.x,
      train.y,
      valid.x,
      valid.y,
    ]);
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "loadMnistSample finds a folder extracted by untarData that lost an image, and says to extract it again",
  scratchAccess,
  async () => {
    const archiveFolder = fileURLToPath(new URL("lost/", scratch));
    await Deno.remove(archiveFolder, { recursive: true }).catch(() => {});
    await Deno.mkdir(archiveFolder, { recursive: true });
    const files = ["train/3", "train/7", "valid/3", "valid/7"].flatMap((
      folder,
    ) =>
      [1, 2, 3].map((i) =>
        entry({ name: `sample/${folder}/${i}.png` }, digit(i))
      )
    );
    const source = `${archiveFolder}sample.tgz`;
    await Deno.writeFile(source, gzipSync(tar(...files)));
    const path = await untarData("https://example.com/sample.tgz", {
      dest: archiveFolder,
      source,
      onProgress: () => {},
    });
    const before = tf.memory().numTensors;
    const whole = await loadMnistSample(path); // loads, and caches the pixels
    assert.equal(whole.valid.x.shape[0], 6);
    tf.dispose([whole.train.x, whole.train.y, whole.valid.x, whole.valid.y]);

    await Deno.remove(`${path}/valid/7/2.png`);
    await assert.rejects(
      () => loadMnistSample(path),
      (e) =>
        e instanceof DataError &&
        e.message.includes(
          `${path}/valid/7 holds 2 images where the archive had 3`,
        ) && e.message.includes(`Delete the folder ${path}`),
    );
    assert.equal(tf.memory().numTensors, before);
    await Deno.remove(archiveFolder, { recursive: true });
  },
);

testIf(
  "a folder named mnist_sample without a manifest (extracted by hand) is checked against the official counts",
  scratchAccess,
  async () => {
    const root = await folderWith("by-hand/mnist_sample", {
      "train/3/1.png": digit(30, 1),
      "train/7/1.png": digit(70, 1),
      "valid/3/1.png": digit(30, 9),
      "valid/7/1.png": digit(70, 9),
    });
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => loadMnistSample(root),
      (e) =>
        e instanceof DataError &&
        e.message.startsWith(
          `${root}/train/3 holds 1 images where the archive had 6,131: ` +
            "files were deleted from it",
        ),
    );
    assert.equal(tf.memory().numTensors, before);
    await Deno.remove(fileURLToPath(new URL("by-hand/", scratch)), {
      recursive: true,
    });
  },
);
