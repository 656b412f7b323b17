import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../lib/fast/backend.ts";
import {
  convFilterGradient,
  multiply,
  RELAXED_SIMD,
  useRelaxedSimd,
  weightGradient,
} from "../lib/fast/routines.ts";
import { fastPieces } from "../lib/fast/speed.ts";
import { SIMD_SOURCE_SHA256 } from "../lib/fast/simd_wasm.ts";
import { Random } from "../lib/random.ts";
import { permission, testIf } from "./_support.ts";
import { assertClose } from "./_assert.ts";
import { onWasm } from "./_wasm.ts";

/** `rows × columns` numbers, about `zeros` of them exactly 0, seeded. */
function matrix(
  rows: number,
  columns: number,
  zeros: number,
  seed: number,
): number[][] {
  const random = new Random(seed);
  return Array.from(
    { length: rows },
    () =>
      Array.from(
        { length: columns },
        () => random.uniform() < zeros ? 0 : 2 * random.uniform() - 1,
      ),
  );
}

const transposeOf = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));

/** a·b in float64. */
function product(a: number[][], b: number[][]): number[][] {
  return a.map((row) =>
    b[0].map((_, j) => row.reduce((sum, v, p) => sum + v * b[p][j], 0))
  );
}

/** Runs a routine on two tensors and returns its output as a tensor. */
function run(
  routine: typeof multiply,
  a: tf.Tensor,
  b: tf.Tensor,
): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(routine(tf.backend(), a, b));
}

// n × k inputs times k × m weights: one output column (the dense path), the
// 30 of simpleNet's first layer, and 33 (two tiles of 32 columns); inputs
// with no zeros, with the share of zeros of an MNIST image, and all zeros;
// k not a multiple of 4.
const shapes = [
  { n: 5, k: 7, m: 1, zeros: 0 },
  { n: 256, k: 784, m: 1, zeros: 0.81 },
  { n: 3, k: 9, m: 30, zeros: 0 },
  { n: 64, k: 784, m: 30, zeros: 0.81 },
  { n: 17, k: 50, m: 33, zeros: 0.5 },
  { n: 4, k: 6, m: 3, zeros: 1 },
] as const;

for (const { n, k, m, zeros } of shapes) {
  testIf(
    `multiply computes x·W for x [${n}, ${k}] (${
      zeros * 100
    }% zeros) and W [${k}, ${m}]`,
    [onWasm],
    () => {
      const [x, w] = [matrix(n, k, zeros, 1), matrix(k, m, 0, 2)];
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const y = run(multiply, tf.tensor2d(x), tf.tensor2d(w));
        assert.deepEqual(y.shape, [n, m]);
        assertClose(y.dataSync(), product(x, w).flat(), 1e-4);
      });
      assert.equal(tf.memory().numTensors, before);
    },
  );

  testIf(
    `weightGradient computes xᵀ·dy for x [${n}, ${k}] (${
      zeros * 100
    }% zeros) and dy [${n}, ${m}]`,
    [onWasm],
    () => {
      const [x, dy] = [matrix(n, k, zeros, 4), matrix(n, m, 0, 5)];
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const dw = run(weightGradient, tf.tensor2d(x), tf.tensor2d(dy));
        assert.deepEqual(dw.shape, [k, m]);
        assertClose(dw.dataSync(), product(transposeOf(x), dy).flat(), 1e-4);
      });
      assert.equal(tf.memory().numTensors, before);
    },
  );
}

testIf(
  "the weights' gradient of one batch is not taken from another's listed zeros",
  [onWasm],
  () => {
    // The product lists the nonzero inputs of its batch for the gradient to
    // reuse; a gradient for another batch must list its own.
    const [a, b] = [matrix(8, 20, 0.5, 6), matrix(8, 20, 0.5, 7)];
    const grad = matrix(8, 2, 0, 8);
    tf.tidy(() => {
      const [xa, xb] = [tf.tensor2d(a), tf.tensor2d(b)];
      run(multiply, xa, tf.tensor2d(matrix(20, 2, 0, 9)));
      const dwB = run(weightGradient, xb, tf.tensor2d(grad));
      const dwA = run(weightGradient, xa, tf.tensor2d(grad));
      assertClose(dwB.dataSync(), product(transposeOf(b), grad).flat(), 1e-4);
      assertClose(dwA.dataSync(), product(transposeOf(a), grad).flat(), 1e-4);
    });
  },
);

Deno.test("relaxed SIMD is found supported in this Deno (2.8 and later), and chosen only when wanted (off by default)", () => {
  assert.equal(RELAXED_SIMD, true, "Deno 2.8 and 2.9 run f32x4.relaxed_madd");
  assert.equal(fastPieces().relaxedSimd, false);
  assert.equal(useRelaxedSimd(true), RELAXED_SIMD);
  assert.equal(useRelaxedSimd(false), false);
});

/** A routine's output with the relaxed build and with the plain one. */
function bothBuilds(compute: () => tf.Tensor): [Float32Array, Float32Array] {
  try {
    return [true, false].map((relaxed) => {
      useRelaxedSimd(relaxed);
      const out = compute();
      const values = out.dataSync() as Float32Array;
      out.dispose();
      return values;
    }) as [Float32Array, Float32Array];
  } finally {
    useRelaxedSimd(false);
  }
}

/** How many of two arrays' floats differ in their bits. */
function bitsDiffering(a: Float32Array, b: Float32Array): number {
  const [u, v] = [a, b].map((f) =>
    new Uint32Array(f.buffer, f.byteOffset, f.length)
  );
  return u.filter((bits, i) => bits !== v[i]).length;
}

testIf(
  "the relaxed build (fused multiply-adds) computes what the plain one does, up to the last bits",
  [onWasm],
  () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(matrix(64, 784, 0.81, 11));
    const w = tf.tensor2d(matrix(784, 30, 0, 12));
    const dy = tf.tensor2d(matrix(64, 30, 0, 13));
    const x1 = tf.tensor2d(matrix(64, 784, 0, 14));
    const w1 = tf.tensor2d(matrix(784, 1, 0, 15));
    const dy1 = tf.tensor2d(matrix(64, 1, 0, 16));
    const images = tf.tensor4d(matrix(8, 14 * 14 * 2, 0.5, 17).flat(), [
      8,
      14,
      14,
      2,
    ]);
    const dyImages = tf.tensor4d(matrix(8, 7 * 7 * 20, 0, 18).flat(), [
      8,
      7,
      7,
      20,
    ]);
    const windows = { kernel: 3, kernelWidth: 3, stride: 2, top: 1, left: 1 };
    // Sparse and dense products and weights' gradients, filters' gradient.
    const cases: (() => tf.Tensor)[] = [
      () => run(multiply, x, w),
      () => run(weightGradient, x, dy),
      () => run(multiply, x1, w1),
      () => run(weightGradient, x1, dy1),
      () =>
        tf.engine().makeTensorFromTensorInfo(
          convFilterGradient(tf.backend(), images, dyImages, windows),
        ),
    ];
    let differing = 0;
    for (const compute of cases) {
      const [relaxed, plain] = bothBuilds(compute);
      assertClose(relaxed, plain, 1e-5);
      differing += bitsDiffering(relaxed, plain);
    }
    // A fused multiply-add rounds once: some sums must come out otherwise,
    // which shows the relaxed build ran (the dense weights' gradient is the
    // same in both builds: it multiplies and adds apart).
    assert.ok(differing > 0, "no float differs: was the relaxed build used?");
    tf.dispose([x, w, dy, x1, w1, dy1, images, dyImages]);
    assert.equal(tf.memory().numTensors, before);
  },
);

testIf(
  "lib/fast/simd_wasm.ts was compiled from the lib/fast/simd.c of this commit",
  [permission({ name: "read", path: new URL("../lib", import.meta.url) })],
  async () => {
    const source = await Deno.readFile(
      new URL("../lib/fast/simd.c", import.meta.url),
    );
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", source),
    );
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
      .join("");
    assert.equal(
      hex,
      SIMD_SOURCE_SHA256,
      "lib/fast/simd.c changed since lib/fast/simd_wasm.ts was built: run " +
        "`deno task simd` (needs apt-get install -y clang-19 lld-19 llvm-19)",
    );
  },
);
