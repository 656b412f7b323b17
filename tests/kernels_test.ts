import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  filledTensor,
  gatherLevels,
  linearForward,
  linearWeightGrad,
  unitFloats,
} from "../lib/fast/kernels.ts";
import { ShapeError } from "../lib/errors.ts";
import { KERNELS_SOURCE_SHA256 } from "../lib/fast/kernels_wasm.ts";
import { type Linear, simpleNet } from "../lib/model.ts";
import { Random } from "../lib/random.ts";
import { type Need, permission, testIf } from "./_support.ts";
import { assertClose } from "./_assert.ts";

const onWasm: Need = {
  met: tf.getBackend() === "wasm",
  why: "the WebAssembly backend (read permission on node_modules)",
  fix: "run `deno task test` (or `deno test -P`), which grants the " +
    "permissions listed in deno.json",
};

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

/** Runs a kernel function on tensors and returns its output as a tensor. */
function run(kernel: tf.KernelFunc, inputs: tf.NamedTensorMap): tf.Tensor {
  const info = kernel({ inputs, backend: tf.backend(), attrs: {} });
  return tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
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
    `linearForward computes x·W + b for x [${n}, ${k}] (${
      zeros * 100
    }% zeros) and W [${k}, ${m}]`,
    [onWasm],
    () => {
      const [x, w, b] = [
        matrix(n, k, zeros, 1),
        matrix(k, m, 0, 2),
        matrix(1, m, 0, 3),
      ];
      const before = tf.memory().numTensors;
      const expected = product(x, w).flatMap((row) =>
        row.map((v, j) => v + b[0][j])
      );
      tf.tidy(() => {
        const y = run(linearForward, {
          x: tf.tensor2d(x),
          weight: tf.tensor2d(w),
          bias: tf.tensor1d(b[0]),
        });
        assert.deepEqual(y.shape, [n, m]);
        assertClose(y.dataSync(), expected, 1e-4);
      });
      assert.equal(tf.memory().numTensors, before);
    },
  );

  testIf(
    `linearWeightGrad computes xᵀ·dy for x [${n}, ${k}] (${
      zeros * 100
    }% zeros) and dy [${n}, ${m}]`,
    [onWasm],
    () => {
      const [x, dy] = [matrix(n, k, zeros, 4), matrix(n, m, 0, 5)];
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const dw = run(linearWeightGrad, {
          x: tf.tensor2d(x),
          dy: tf.tensor2d(dy),
        });
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
    // The forward pass lists the nonzero inputs of its batch for the
    // gradient to reuse; a gradient for another batch must list its own.
    const [a, b] = [matrix(8, 20, 0.5, 6), matrix(8, 20, 0.5, 7)];
    const grad = matrix(8, 2, 0, 8);
    tf.tidy(() => {
      const [xa, xb] = [tf.tensor2d(a), tf.tensor2d(b)];
      const w = tf.tensor2d(matrix(20, 2, 0, 9));
      const bias = tf.zeros([2]);
      run(linearForward, { x: xa, weight: w, bias });
      const dwB = run(linearWeightGrad, { x: xb, dy: tf.tensor2d(grad) });
      const dwA = run(linearWeightGrad, { x: xa, dy: tf.tensor2d(grad) });
      assertClose(dwB.dataSync(), product(transposeOf(b), grad).flat(), 1e-4);
      assertClose(dwA.dataSync(), product(transposeOf(a), grad).flat(), 1e-4);
    });
  },
);

testIf(
  "simpleNet's gradients on the WebAssembly kernels equal those of plain tf.matMul",
  [onWasm],
  () => {
    const net = simpleNet();
    const [first, , second] = net.layers as Linear[];
    const x = tf.tensor2d(matrix(32, 784, 0.81, 10));
    const y = tf.tensor2d(matrix(32, 1, 0, 11));
    const loss = (f: () => tf.Tensor) => () =>
      f().sub(y).square().mean() as tf.Scalar;
    const ours = tf.variableGrads(loss(() => net.forward(x)), [...net.params]);
    const plain = tf.variableGrads(
      loss(() =>
        tf.relu(x.matMul(first.weight).add(first.bias)).matMul(second.weight)
          .add(second.bias)
      ),
      [...net.params],
    );
    assertClose(ours.value.dataSync(), plain.value.dataSync(), 1e-5);
    for (const param of net.params) {
      assertClose(
        ours.grads[param.name].dataSync(),
        plain.grads[param.name].dataSync(),
        1e-4,
      );
    }
    tf.dispose([
      x,
      y,
      ours.value,
      plain.value,
      ...Object.values(ours.grads),
      ...Object.values(plain.grads),
      ...net.params,
    ]);
  },
);

testIf(
  "a clone on the WebAssembly backend shares its data, which outlives the original",
  [onWasm],
  () => {
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    assert.equal(copy.dataId, x.dataId);
    x.dispose();
    assert.deepEqual([...copy.dataSync()], [1, 2, 3]);
    copy.dispose();
  },
);

Deno.test("filledTensor makes a tensor of the values its fill writes", () => {
  const rows = filledTensor([2, 3], (out) => out.set([1, 2, 3, 4, 5, 6]));
  assert.deepEqual(rows.shape, [2, 3]);
  assert.deepEqual([...rows.dataSync()], [1, 2, 3, 4, 5, 6]);
  rows.dispose();
});

Deno.test("gatherLevels writes the chosen rows' gray levels / 255 and zeros elsewhere", () => {
  // Rows: [0, 0, 255/255], [51/255, 255/255, 0], [0, 0, 0].
  const store = {
    width: 3,
    starts: Uint32Array.of(0, 1, 3, 3),
    where: Uint16Array.of(2, 0, 1),
    levels: Uint8Array.of(255, 51, 255),
  };
  const before = tf.memory().numTensors;
  // Twice: the first call on the WebAssembly backend copies the store.
  for (let i = 0; i < 2; i++) {
    const rows = gatherLevels(store, [1, 2, 0, 1]);
    assert.deepEqual(rows.shape, [4, 3]);
    assert.deepEqual(
      rows.dataSync(),
      Float32Array.of(51 / 255, 1, 0, 0, 0, 0, 0, 0, 1, 51 / 255, 1, 0),
    );
    rows.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

testIf(
  "lib/fast/kernels_wasm.ts was compiled from the lib/fast/kernels.c of this commit",
  [permission({ name: "read", path: new URL("../lib", import.meta.url) })],
  async () => {
    const source = await Deno.readFile(
      new URL("../lib/fast/kernels.c", import.meta.url),
    );
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", source),
    );
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
      .join("");
    assert.equal(
      hex,
      KERNELS_SOURCE_SHA256,
      "lib/fast/kernels.c changed since lib/fast/kernels_wasm.ts was built: run " +
        "`deno task kernels` (needs apt-get install -y clang lld)",
    );
  },
);

Deno.test("unitFloats divides every gray level by 255 exactly as JavaScript does", () => {
  // 0..255 and back: 512 levels, so that the SIMD part (16 at a time) and
  // the rest both run, across two parts.
  const levels = Uint8Array.from(
    { length: 512 },
    (_, i) => i < 256 ? i : 511 - i,
  );
  const x = unitFloats([levels.subarray(0, 300), levels.subarray(300)], [
    2,
    256,
  ]);
  assert.deepEqual(x.shape, [2, 256]);
  assert.deepEqual(x.dataSync(), Float32Array.from(levels, (v) => v / 255));
  x.dispose();
});

Deno.test("unitFloats refuses a shape that does not hold the gray levels", () => {
  assert.throws(
    () => unitFloats([new Uint8Array(10)], [3, 3]),
    (e: Error) =>
      e instanceof ShapeError && /10 gray levels.*\[3,3\]/.test(e.message),
  );
});
