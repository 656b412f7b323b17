import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { DataLoader, TensorDataset } from "../lib/dataloader.ts";
import { type Progress, untarData } from "../lib/load/download.ts";
import { type EpochRecord, Learner } from "../lib/learner.ts";
import { Linear } from "../lib/model.ts";
import { decodePng } from "../lib/load/png.ts";
import { fitProgress, progressBar } from "../lib/plot/progress.ts";
import { setSeed } from "../lib/random.ts";
import { closeBrowser } from "../lib/plot/render.ts";
import { browserNeeds } from "./_browser.ts";
import { scratchAccess, scratchRoot, testIf } from "./_support.ts";
import { entry, tar } from "./_tar.ts";
import { PLOTLY, recorder } from "./_display.ts";

/** Lets queued displays run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function captureLog(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

Deno.test("progressBar shows one output, then updates it in place under the same id", async () => {
  const { display, shown } = recorder();
  const report = progressBar({ display });
  const total = 3_200_000;
  report({ task: "download", done: 0, total, unit: "bytes" });
  report({ task: "download", done: total, total, unit: "bytes" });
  report({ task: "extract", done: 0, total: 14434, unit: "files" });
  report({ task: "extract", done: 14434, total: 14434, unit: "files" });
  await settle();
  assert.equal(shown.length, 4);
  const [first, ...rest] = shown.map(([, options]) => options);
  assert.equal(first.update, undefined);
  assert.match(first.id ?? "", /^progress-/);
  for (const options of rest) {
    assert.deepEqual(options, { id: first.id, update: true });
  }
  assert.equal(
    shown[3][0]["text/plain"],
    "download 3.2 MB, extract 14,434 files",
  );
  assert.equal(
    shown[2][0]["text/plain"].includes(
      "download 3.2 MB, extract 0 / 14,434 files",
    ),
    true,
  );
  assert.match(
    shown[0][0]["text/html"] ?? "",
    /<progress value="0" max="100">/,
  );
});

Deno.test("progressBar shows a bar and a percentage while a task runs", async () => {
  const { display, shown } = recorder();
  progressBar({ display })({
    task: "download",
    done: 1_600_000,
    total: 3_200_000,
    unit: "bytes",
  });
  await settle();
  assert.equal(
    shown[0][0]["text/plain"],
    `[${"#".repeat(15)}${".".repeat(15)}]  50%  download 1.6 / 3.2 MB`,
  );
});

Deno.test("progressBar updates at most ten times a second, but always shows the end of a task", async () => {
  const { display, shown } = recorder();
  const report = progressBar({ display });
  for (let done = 0; done <= 100; done++) {
    report({ task: "extract", done, total: 100, unit: "files" });
  }
  await settle();
  assert.ok(shown.length <= 3, `${shown.length} updates`);
  assert.equal(shown.at(-1)![0]["text/plain"], "extract 100 files");
});

Deno.test("progressBar shows any task by its own name and unit, and lists the tasks done", async () => {
  const { display, shown } = recorder();
  const report = progressBar({ display });
  report({ task: "index", done: 5, total: 10, unit: "images" });
  report({ task: "index", done: 10, total: 10, unit: "images" });
  report({ task: "check", done: 3, total: undefined });
  await settle();
  assert.deepEqual(shown.map(([b]) => b["text/plain"]), [
    `[${"#".repeat(15)}${".".repeat(15)}]  50%  index 5 / 10 images`,
    "index 10 images",
    "index 10 images, check 3",
  ]);
  assert.match(shown[2][0]["text/html"]!, /^<span>index 10 images, check 3/);
});

Deno.test("two progress bars have two ids", async () => {
  const { display, shown } = recorder();
  const p: Progress = { task: "download", done: 1, total: 2, unit: "bytes" };
  progressBar({ display })(p);
  progressBar({ display })(p);
  await settle();
  assert.notEqual(shown[0][1].id, shown[1][1].id);
});

testIf(
  "untarData's progress, shown by progressBar, ends with what was downloaded and extracted",
  scratchAccess,
  async () => {
    const folder = fileURLToPath(new URL("progress/", scratchRoot));
    await Deno.remove(folder, { recursive: true }).catch(() => {});
    await Deno.mkdir(folder, { recursive: true });
    const files = Array.from(
      { length: 300 },
      (_, i) =>
        entry({ name: `digits/${i}.txt` }, new TextEncoder().encode(`${i}`)),
    );
    const source = `${folder}digits.tgz`;
    await Deno.writeFile(source, gzipSync(tar(...files)));
    const { display, shown } = recorder();
    await untarData("https://example.com/digits.tgz", {
      dest: folder,
      source,
      onProgress: progressBar({ display }),
    });
    await settle();
    const last = shown.at(-1)![0]["text/plain"];
    assert.match(last, /^downloaded 0\.0 MB, extracted 300 files$/);
    assert.ok(shown.slice(1).every(([, options]) => options.update === true));
    await Deno.remove(folder, { recursive: true });
  },
);

/** A tiny learner: is the first input larger than the second? */
function tinyLearner(): { learn: Learner; free: () => void } {
  setSeed(1);
  const x = tf.tensor2d([[2, 0], [0, 2], [3, 1], [1, 3], [2, 1], [1, 2]]);
  const y = tf.tensor2d([[1], [0], [1], [0], [1], [0]]);
  const dset = new TensorDataset(x, y);
  const dls = {
    train: new DataLoader(dset, { batchSize: 2, shuffle: true }),
    valid: new DataLoader(dset, { batchSize: 3 }),
  };
  const learn = new Learner(dls, new Linear(2, 1));
  return { learn, free: () => tf.dispose([x, y, ...learn.model.params]) };
}

Deno.test("fitProgress shows a table that grows a row per epoch and a chart, each updated in place", async () => {
  const { learn, free } = tinyLearner();
  const { display, shown } = recorder();
  const progress = fitProgress({ display });
  // Five epochs announced, three reported: no PNG is drawn, no browser needed.
  const records: EpochRecord[] = [];
  const before = tf.memory().numTensors;
  await learn.fit(3, 0.5, {
    onEpoch: (record) => void records.push(record),
  });
  free();
  assert.equal(tf.memory().numTensors, before - 2 - 2); // x, y, weights, bias
  await progress.onBegin!(5, ["accuracy"]);
  for (const record of records) await progress.onEpoch!(record);
  assert.equal(shown.length, 6);
  const tables = shown.filter((_, i) => i % 2 === 0);
  const charts = shown.filter((_, i) => i % 2 === 1);
  for (const outputs of [tables, charts]) {
    const ids = new Set(outputs.map(([, o]) => o.id));
    assert.equal(ids.size, 1);
    assert.deepEqual(outputs.map(([, o]) => o.update), [undefined, true, true]);
  }
  assert.notEqual(tables[0][1].id, charts[0][1].id);
  const lastTable = tables[2][0];
  const lines = lastTable["text/plain"].split("\n");
  assert.equal(lines.length, 4);
  assert.match(
    lines[0],
    /^epoch\s+trainLoss\s+validLoss\s+accuracy\s+time$/,
  );
  assert.match(
    lines[3],
    /^2\s+\d\.\d{6}\s+\d\.\d{6}\s+\d\.\d{6}\s+\d+\.\d\d s$/,
  );
  const html = lastTable["text/html"] ?? "";
  assert.equal(html.match(/<tr>/g)?.length, 4);
  assert.match(
    html,
    /^<table><thead><tr><th>epoch<\/th><th align="right">trainLoss<\/th>/,
  );
  const accuracy = records[2].metrics.accuracy.toFixed(6);
  assert.ok(html.includes(`<td align="right">${accuracy}</td>`));
  for (const [chart] of charts) {
    assert.deepEqual(Object.keys(chart).sort(), [PLOTLY, "text/plain"]);
  }
  const lastChart = charts[2][0][PLOTLY]!;
  assert.equal(lastChart.data[0].name, "trainLoss");
  assert.equal((lastChart.data[0] as { x: number[] }).x.length, 3);
});

testIf(
  "fitProgress draws the chart of the last epoch as a PNG too, fit telling it how many epochs there are",
  browserNeeds,
  async () => {
    const { learn, free } = tinyLearner();
    const { display, shown } = recorder();
    try {
      await learn.fit(
        2,
        0.5,
        fitProgress({ display, width: 500, height: 250 }),
      );
    } finally {
      free();
      await closeBrowser();
    }
    const charts = shown.filter((_, i) => i % 2 === 1).map(([b]) => b);
    assert.equal(charts[0]["image/png"], undefined);
    const png = Buffer.from(charts[1]["image/png"]!, "base64");
    const image = decodePng(png, "the last chart");
    assert.deepEqual([image.width, image.height], [500, 250]);
  },
);

Deno.test("outside a notebook, fitProgress prints the rows as the Learner does", async () => {
  const { learn, free } = tinyLearner();
  const lines = await captureLog(() => learn.fit(2, 0.5, fitProgress()));
  free();
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^epoch\s+trainLoss\s+validLoss\s+accuracy\s+time$/,
  );
  assert.match(lines[1], /^0\s+\d\.\d{6}/);
  assert.match(lines[2], /^1\s+\d\.\d{6}/);
});
