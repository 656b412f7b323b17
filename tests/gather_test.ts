/**
 * The pieces `gatherRows` and `grayLevels` (`lib/fast/gather.ts`,
 * `lib/fast/gray_levels.ts`): `tf.gather` of rows on the `wasm` backend gives
 * the same floats as TensorFlow.js's own kernel, bit for bit, and hands it
 * everything else. The piece `handedNonzeros`: such a batch hands its nonzero
 * entries to the routines' product, the same bits, no memory kept.
 */
import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fastPieces, setFast } from "../lib/fast/speed.ts";
import { gatherCounts } from "../lib/fast/gather.ts";
import {
  gatherLevels,
  grayLevelsOf,
  levelsOffer,
  UNIT_LEVELS,
} from "../lib/fast/gray_levels.ts";
import {
  handNonzeros,
  nonzerosCounts,
  type WasmBackend,
} from "../lib/fast/routines.ts";
import { Random } from "../lib/random.ts";
import { testIf } from "./_support.ts";
import { onWasm } from "./_wasm.ts";

/** The bits of a tensor's floats: equal bits, equal floats (and -0 ≠ 0). */
const bits = (t: tf.Tensor) => [
  ...new Uint32Array(Float32Array.from(t.dataSync()).buffer),
];

/** `rows` images of 784 gray levels / 255, about 81% zeros, seeded. */
function grayImages(rows: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  return tf.tensor2d(
    Float32Array.from(
      { length: rows * 784 },
      () =>
        random.uniform() < 0.81 ? 0 : Math.floor(random.uniform() * 256) / 255,
    ),
    [rows, 784],
  );
}

/** `tf.gather(x, indices)` with the two pieces set, and which one worked. */
function gatherWith(
  x: tf.Tensor,
  indices: number[],
  pieces: { grayLevels: boolean; gatherRows: boolean },
) {
  const saved = fastPieces();
  setFast(pieces);
  const before = gatherCounts();
  try {
    const out = tf.gather(x, indices);
    const after = gatherCounts();
    const by = after.grayLevels > before.grayLevels
      ? "grayLevels"
      : after.rows > before.rows
      ? "gatherRows"
      : "backend";
    const result = { shape: out.shape, bits: bits(out), by };
    out.dispose();
    return result;
  } finally {
    setFast(saved);
  }
}

const OFF = { grayLevels: false, gatherRows: false };
const ROWS = { grayLevels: false, gatherRows: true };
const LEVELS = { grayLevels: true, gatherRows: true };

testIf(
  "batches of images: the same bits from their gray levels, as blocks of rows and by TensorFlow.js's kernel",
  [onWasm],
  () => {
    const x = grayImages(300, 60);
    const tensors = tf.memory().numTensors;
    for (
      const indices of [
        [299, 0, 7, 7, 150],
        Array.from({ length: 256 }, (_, i) => (i * 37) % 300),
        [],
      ]
    ) {
      const plain = gatherWith(x, indices, OFF);
      assert.equal(plain.by, "backend");
      assert.deepEqual(plain.shape, [indices.length, 784]);
      for (
        const [pieces, by] of [[ROWS, "gatherRows"], [
          LEVELS,
          "grayLevels",
        ]] as const
      ) {
        const fast = gatherWith(x, indices, pieces);
        assert.equal(fast.by, by);
        assert.deepEqual(fast.shape, plain.shape);
        assert.deepEqual(fast.bits, plain.bits);
      }
    }
    assert.equal(tf.memory().numTensors, tensors);
    x.dispose();
  },
);

testIf(
  "data that is not all gray levels / 255 is gathered as blocks of rows, the same bits",
  [onWasm],
  () => {
    const cases = [
      tf.tensor2d([[0, 1], [0.5, 0]]), // 0.5 is no v / 255
      tf.tensor2d([[0, 1], [-0, 0]]), // -0 would come back as 0
      tf.tensor2d([[0, 1], [-1 / 255, 0]]),
      tf.tensor2d([[0, 2], [NaN, 0]]),
    ];
    for (const x of cases) {
      const fast = gatherWith(x, [1, 0, 1], LEVELS);
      assert.equal(fast.by, "gatherRows", `${x.dataSync()}`);
      assert.deepEqual(fast.bits, gatherWith(x, [1, 0, 1], OFF).bits);
    }
    tf.dispose(cases);
  },
);

Deno.test("other gathers go to TensorFlow.js's own kernel", () => {
  const matrix = grayImages(4, 61);
  const cube = tf.zeros([2, 2, 2]);
  const ints = tf.tensor2d([[1, 2], [3, 4]], undefined, "int32");
  for (
    const [x, indices] of [
      [cube, [1, 0]],
      [ints, [1, 0]],
    ] as const
  ) {
    assert.equal(gatherWith(x, [...indices], LEVELS).by, "backend");
  }
  // 4 is no row: TensorFlow.js's kernel refuses it, as without the pieces.
  const before = gatherCounts();
  assert.throws(() => gatherWith(matrix, [0, 4], LEVELS), /index value 4/);
  assert.deepEqual(gatherCounts(), before);
  const columns = tf.gather(matrix, [3, 1], 1);
  assert.deepEqual(columns.shape, [4, 2]);
  tf.dispose([matrix, cube, ints, columns]);
});

Deno.test("grayLevelsOf lists the nonzero levels, and refuses values that are not v / 255", () => {
  const store = grayLevelsOf(Float32Array.of(0, 0, 1, 51 / 255, 1, 0), 3)!;
  assert.deepEqual(store.starts, Uint32Array.of(0, 1, 3));
  assert.deepEqual(store.where, Uint16Array.of(2, 0, 1));
  assert.deepEqual(store.levels, Uint8Array.of(255, 51, 255));
  for (const bad of [0.5, -0, -1 / 255, NaN, 2]) {
    assert.equal(grayLevelsOf(Float32Array.of(0, bad), 2), null, `${bad}`);
  }
});

testIf(
  "gatherLevels writes the rows asked for: their levels as UNIT_LEVELS, zeros elsewhere",
  [onWasm],
  () => {
    // Rows of 5 values: levels in columns 0 and 4, an empty row, a full one.
    const store = {
      width: 5,
      starts: Uint32Array.of(0, 2, 2, 7),
      where: Uint16Array.of(0, 4, 0, 1, 2, 3, 4),
      levels: Uint8Array.of(1, 255, 10, 20, 30, 40, 50),
    };
    const u = (v: number) => UNIT_LEVELS[v];
    const rows = [
      [u(1), 0, 0, 0, u(255)],
      [0, 0, 0, 0, 0],
      [u(10), u(20), u(30), u(40), u(50)],
    ];
    const tensors = tf.memory().numTensors;
    const indices = [2, 1, 0, 2, 1];
    const batch = tf.engine().makeTensorFromTensorInfo(
      gatherLevels(tf.backend(), store, indices),
    );
    assert.deepEqual(batch.shape, [5, 5]);
    assert.deepEqual(
      batch.dataSync(),
      Float32Array.from(indices.flatMap((i) => rows[i])),
    );
    batch.dispose();
    assert.equal(tf.memory().numTensors, tensors);
  },
);

Deno.test("UNIT_LEVELS are the gray levels divided by 255 as JavaScript divides them", () => {
  assert.deepEqual(
    UNIT_LEVELS,
    Float32Array.from({ length: 256 }, (_, v) => v / 255),
  );
});

Deno.test("on the cpu backend too, gatherRows copies rows as blocks, the same bits as its kernel", async () => {
  const { useBackend } = await import("../lib/fast/backend.ts");
  const was = tf.getBackend();
  await useBackend("cpu");
  try {
    const x = grayImages(40, 3);
    const tensors = tf.memory().numTensors;
    const indices = [39, 0, 7, 7, 21];
    const fast = gatherWith(x, indices, {
      grayLevels: false,
      gatherRows: true,
    });
    const plain = gatherWith(x, indices, {
      grayLevels: false,
      gatherRows: false,
    });
    assert.equal(fast.by, "gatherRows");
    assert.equal(plain.by, "backend");
    assert.deepEqual(fast.shape, [5, 784]);
    assert.deepEqual(fast.bits, plain.bits);
    // Out of range: the kernel decides (cpu throws), not the piece.
    assert.throws(() =>
      gatherWith(x, [40], { grayLevels: false, gatherRows: true })
    );
    assert.equal(tf.memory().numTensors, tensors);
    x.dispose();
  } finally {
    await useBackend(was as "wasm" | "cpu");
  }
});

/** `rows × columns` weights in -1..1, seeded. */
function weights(rows: number, columns: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  return tf.tensor2d(
    Float32Array.from(
      { length: rows * columns },
      () => 2 * random.uniform() - 1,
    ),
    [rows, columns],
  );
}

testIf(
  "handedNonzeros: a batch from gray levels hands its nonzeros to its product and the weights' gradient, the same bits as their own listing",
  [onWasm],
  () => {
    const x = grayImages(300, 62);
    const w = weights(784, 10, 63);
    const indices = Array.from({ length: 256 }, (_, i) => (i * 71) % 300);
    const tensors = tf.memory().numTensors;
    const run = (handed: boolean) => {
      const saved = fastPieces();
      setFast({ grayLevels: true, handedNonzeros: handed });
      const before = nonzerosCounts();
      try {
        const batch = tf.gather(x, indices);
        const y = batch.matMul(w);
        const dw = tf.grad((v: tf.Tensor) => batch.matMul(v).square().sum())(
          w,
        );
        const result = { y: bits(y), dw: bits(dw) };
        tf.dispose([batch, y, dw]);
        const after = nonzerosCounts();
        return {
          ...result,
          handed: after.handed - before.handed,
          listed: after.listed - before.listed,
        };
      } finally {
        setFast(saved);
      }
    };
    const own = run(false), handed = run(true);
    // One listing each: the product's, which the gradient reuses.
    assert.equal(own.listed, 1);
    assert.equal(own.handed, 0);
    assert.equal(handed.listed, 0);
    assert.equal(handed.handed, 1);
    assert.deepEqual(handed.y, own.y);
    assert.deepEqual(handed.dw, own.dw);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, w]);
  },
);

testIf(
  "the product trusts a handed list: another batch's list gives that batch's product, one of another shape is ignored",
  [onWasm],
  () => {
    const x = grayImages(40, 64);
    const store = grayLevelsOf(x.dataSync() as Float32Array, 784)!;
    const w = weights(784, 10, 65);
    const [a, b] = [[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]];
    const saved = fastPieces();
    setFast({ handedNonzeros: false });
    const product = (indices: number[], offer?: number[]) => {
      const batch = tf.gather(x, indices);
      if (offer !== undefined) {
        handNonzeros(batch.dataId, levelsOffer(store, offer));
      }
      const y = batch.matMul(w);
      const result = bits(y);
      tf.dispose([batch, y]);
      return result;
    };
    try {
      const own = product(a);
      assert.deepEqual(product(a, a), own);
      assert.notDeepEqual(own, product(b));
      // A wrong list is used as it is: the tests' comparisons of bits would
      // see it.
      assert.deepEqual(product(a, b), product(b));
      // An offer of 4 rows for a batch of 5 is not taken.
      const before = nonzerosCounts().handed;
      assert.deepEqual(product(a, b.slice(0, 4)), own);
      assert.equal(nonzerosCounts().handed, before);
    } finally {
      setFast(saved);
    }
    tf.dispose([x, w]);
  },
);

testIf(
  "handed lists leak no memory of the backend: as many blocks freed as allocated, round after round",
  [onWasm],
  () => {
    const x = grayImages(300, 66);
    const w = weights(784, 10, 67);
    const { wasm } = tf.backend() as WasmBackend;
    const round = (k: number) => {
      const batch = tf.gather(x, [k, k + 1, k + 7, 299 - k]);
      const y = batch.matMul(w);
      tf.dispose([batch, y]);
    };
    for (let k = 0; k < 6; k++) round(k); // the kept lists are all made
    const malloc = wasm._malloc, free = wasm._free;
    let live = 0;
    Object.assign(wasm, {
      _malloc: (bytes: number) => (live++, malloc.call(wasm, bytes)),
      _free: (at: number) => (live--, free.call(wasm, at)),
    });
    const before = nonzerosCounts().handed;
    try {
      for (let k = 0; k < 20; k++) round(k);
    } finally {
      Object.assign(wasm, { _malloc: malloc, _free: free });
    }
    assert.equal(nonzerosCounts().handed - before, 20);
    assert.equal(live, 0);
    tf.dispose([x, w]);
  },
);
