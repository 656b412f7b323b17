import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../lib/fast/backend.ts";
import {
  type FastCounts,
  fastCounts,
  type FastPieces,
  fastPieces,
  setFast,
} from "../lib/fast/speed.ts";
import { freeTapeOnThrow } from "../lib/fast/tape.ts";
import { Linear, relu, Sequential, simpleNet } from "../lib/model.ts";
import { mnistLoss } from "../lib/loss.ts";
import { ShapeError } from "../lib/errors.ts";
import { Random } from "../lib/random.ts";
import { testIf } from "./_support.ts";
import { assertClose } from "./_assert.ts";
import { onWasm } from "./_wasm.ts";

// lib/fast relies on TensorFlow.js internals (lib/fast/README.md lists
// them). Each test below checks one, and fails with a message naming it, so
// that an upgrade of @tensorflow/tfjs that changes one says which.

/** The message of a failed check: which internal, used where, what to do. */
const changed = (internal: string, usedBy: string) =>
  `TensorFlow.js ${tf.version.tfjs} changed ${internal}, which ${usedBy} ` +
  `relies on (written for 4.22.0): adapt it, or turn the piece off with ` +
  `setFast, and update lib/fast/README.md.`;

// deno-lint-ignore no-explicit-any
type Loose = any;

Deno.test("the TensorFlow.js versions are the ones lib/fast was written for", () => {
  assert.equal(
    tf.version.tfjs,
    "4.22.0",
    changed("its version", "every module of lib/fast"),
  );
});

testIf(
  "tfjs-backend-wasm: wasm.asm.memory, wasm._malloc and wasm._free",
  [onWasm],
  () => {
    const backend = tf.backend() as Loose;
    const routines = "lib/fast/routines.ts (our SIMD routines' memory)";
    assert.ok(
      backend.wasm?.asm?.memory instanceof WebAssembly.Memory,
      changed("the private field backend.wasm.asm.memory", routines),
    );
    assert.equal(
      typeof backend.wasm._malloc,
      "function",
      changed("backend.wasm._malloc", routines),
    );
    assert.equal(
      typeof backend.wasm._free,
      "function",
      changed("backend.wasm._free", routines),
    );
  },
);

testIf(
  "tfjs-backend-wasm: dataIdMap.get(dataId).memoryOffset is where a tensor's floats are",
  [onWasm],
  () => {
    const backend = tf.backend() as Loose;
    const x = tf.tensor1d([1.5, -2, 3.25]);
    const entry = backend.dataIdMap?.get(x.dataId);
    assert.equal(
      typeof entry?.memoryOffset,
      "number",
      changed("the private map backend.dataIdMap", "lib/fast/routines.ts"),
    );
    const floats = new Float32Array(
      backend.wasm.asm.memory.buffer,
      entry.memoryOffset,
      3,
    );
    assert.deepEqual(
      [...floats],
      [1.5, -2, 3.25],
      changed("the layout at dataIdMap's memoryOffset", "lib/fast/routines.ts"),
    );
    x.dispose();
  },
);

testIf(
  "tfjs-backend-wasm: makeOutput allocates a tensor, incRef adds an owner",
  [onWasm],
  () => {
    const backend = tf.backend() as Loose;
    const info = backend.makeOutput([2, 3], "float32");
    assert.deepEqual(
      info?.shape,
      [2, 3],
      changed("backend.makeOutput(shape, dtype)", "lib/fast/routines.ts"),
    );
    const t = tf.engine().makeTensorFromTensorInfo(info);
    backend.incRef(t.dataId);
    assert.equal(
      backend.refCount(t.dataId),
      2,
      changed("backend.incRef(dataId)", "the Identity piece of speed.ts"),
    );
    backend.disposeData(t.dataId);
    t.dispose();
  },
);

Deno.test("tfjs-core: the BatchMatMul gradient saves a and b, and reads transposeA and transposeB", () => {
  // speed.ts wraps TensorFlow.js's own gradient: it must still be a
  // gradient of inputs a and b, with these attributes.
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const b = tf.tensor2d([[5], [6]]);
  const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
    x.matMul(y as tf.Tensor2D).sum()
  )([a, b]);
  assertClose(grads[0].dataSync(), [5, 6, 5, 6], 1e-6);
  assertClose(grads[1].dataSync(), [4, 6], 1e-6);
  tf.dispose([a, b, ...grads]);
});

Deno.test("tfjs-core: the tape keeps saved copies on engine.state.activeTape[i].saved", () => {
  const w = tf.variable(tf.ones([2, 1]));
  const x = tf.ones([3, 2]);
  let saved = -1;
  const { value, grads } = tf.variableGrads(() => {
    const y = x.matMul(w).sum() as tf.Scalar;
    const tape = (tf.engine().state as Loose).activeTape;
    saved = Array.isArray(tape)
      ? tape.reduce((n: number, node: Loose) => n + node.saved.length, 0)
      : -1;
    return y;
  }, [w]);
  assert.ok(
    saved >= 2,
    changed("engine.state.activeTape (nodes with saved)", "lib/fast/tape.ts"),
  );
  tf.dispose([w, x, value, ...Object.values(grads)]);
});

Deno.test("freeTapeOnThrow frees the tape's copies when the recorded function throws", () => {
  const w = tf.variable(tf.ones([2, 1]));
  const x = tf.ones([3, 2]);
  const before = tf.memory().numTensors;
  assert.throws(() =>
    tf.variableGrads(() =>
      freeTapeOnThrow(() => {
        x.matMul(w);
        throw new Error("broken");
      }), [w]), /broken/);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([w, x]);
});

testIf(
  "the identity piece: a clone shares its data, which outlives the original; off, it copies",
  [onWasm],
  () => {
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    assert.equal(copy.dataId, x.dataId);
    x.dispose();
    assert.deepEqual([...copy.dataSync()], [1, 2, 3]);
    setFast({ identity: false });
    try {
      const other = tf.clone(copy);
      assert.notEqual(other.dataId, copy.dataId);
      other.dispose();
    } finally {
      setFast({ identity: true });
    }
    copy.dispose();
  },
);

/** `rows × columns` numbers in -1..1, about `zeros` of them 0, seeded. */
function matrix(rows: number, columns: number, zeros: number, seed: number) {
  const random = new Random(seed);
  return tf.tensor2d(
    Float32Array.from(
      { length: rows * columns },
      () => random.uniform() < zeros ? 0 : 2 * random.uniform() - 1,
    ),
    [rows, columns],
  );
}

/** The pieces as the library sets them (relaxedSimd off). */
const defaults: FastPieces = fastPieces();
const allOn: FastPieces = {
  routines: true,
  transposeWeights: true,
  identity: true,
  columnSums: true,
  convFilterGradient: true,
  slices: true,
  biasAdd: true,
  stepGradients: true,
  mnistLossGradient: true,
  grayLevels: true,
  gatherRows: true,
  crossEntropyGradient: true,
  sumGradient: true,
  relaxedSimd: true,
  handedNonzeros: true,
};
const allOff: FastPieces = {
  routines: false,
  transposeWeights: false,
  identity: false,
  columnSums: false,
  convFilterGradient: false,
  slices: false,
  biasAdd: false,
  stepGradients: false,
  mnistLossGradient: false,
  grayLevels: false,
  gatherRows: false,
  crossEntropyGradient: false,
  sumGradient: false,
  relaxedSimd: false,
  handedNonzeros: false,
};
/** The bits of a tensor's floats: equal bits, equal floats (and -0 ≠ 0). */
const bits = (
  t: tf.Tensor,
) => [...new Uint32Array(t.dataSync().slice().buffer)];

const settings: FastPieces[] = [
  allOn,
  allOff,
  { ...allOn, routines: false },
  { ...allOn, transposeWeights: false },
  { ...allOn, identity: false },
  { ...allOn, columnSums: false },
  { ...allOn, convFilterGradient: false },
  { ...allOn, slices: false },
  { ...allOn, biasAdd: false },
  { ...allOn, stepGradients: false },
  { ...allOn, mnistLossGradient: false },
  { ...allOn, grayLevels: false },
  { ...allOn, gatherRows: false },
  { ...allOn, crossEntropyGradient: false },
  { ...allOn, sumGradient: false },
  { ...allOn, relaxedSimd: false },
  { ...allOn, handedNonzeros: false },
];

Deno.test("every setting of the speed pieces gives simpleNet, Linear and a wide net the same loss and gradients", () => {
  const x = matrix(64, 784, 0.81, 1);
  const y = matrix(64, 1, 0, 2);
  // The wide net: 40 hidden columns (more than the routines take) and 3
  // outputs, whose inputs' gradient dy·bᵀ the piece transposeWeights takes.
  const wide = new Sequential(new Linear(784, 40), relu, new Linear(40, 3));
  for (const model of [simpleNet(), new Linear(784, 1), wide]) {
    const results = settings.map((pieces) => {
      setFast(pieces);
      const { value, grads } = tf.variableGrads(
        () => model.forward(x).sub(y).square().mean() as tf.Scalar,
        [...model.params],
      );
      const out = [value, ...model.params.map((p) => grads[p.name])]
        .map((t) => t.dataSync());
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    });
    setFast(defaults);
    // Each setting against the second: every piece off.
    for (const result of results) {
      for (const [j, values] of result.entries()) {
        assertClose(values, results[1][j], 1e-4);
      }
    }
    tf.dispose([...model.params]);
  }
  tf.dispose([x, y]);
  assert.deepEqual(fastPieces(), defaults);
});

testIf(
  "relaxedSimd switches the routines' build at run time: other last bits when on, none when off",
  [onWasm],
  () => {
    const x = matrix(64, 784, 0.81, 31);
    const w = matrix(784, 30, 0, 32);
    const product = (relaxed: boolean) => {
      setFast({ relaxedSimd: relaxed });
      const y = x.matMul(w);
      const values = y.dataSync() as Float32Array;
      y.dispose();
      return new Uint32Array(values.buffer);
    };
    const [plain, relaxed, plainAgain] = [false, true, false].map(product);
    setFast(defaults);
    assert.deepEqual(plainAgain, plain);
    assert.ok(relaxed.some((bits, i) => bits !== plain[i]));
    assertClose(
      new Float32Array(relaxed.buffer),
      new Float32Array(plain.buffer),
      1e-5,
    );
    tf.dispose([x, w]);
  },
);

Deno.test("transposeWeights takes the inputs' gradient dy·bᵀ of a product with several columns, and only when on", () => {
  const x = matrix(16, 20, 0, 8);
  const net = new Sequential(new Linear(20, 40), relu, new Linear(40, 3));
  const transposed = (on: boolean) => {
    setFast({ transposeWeights: on });
    const before = fastCounts().transposedWeights;
    const { value, grads } = tf.variableGrads(
      () => net.forward(x).square().mean() as tf.Scalar,
      [...net.params],
    );
    tf.dispose([value, ...Object.values(grads)]);
    return fastCounts().transposedWeights - before;
  };
  // One inputs' gradient: the second layer's (the first's input is x).
  assert.equal(transposed(true), 1);
  assert.equal(transposed(false), 0);
  setFast(defaults);
  tf.dispose([x, ...net.params]);
});

Deno.test("the replaced BatchMatMul still computes transposed and batched products", () => {
  const a = matrix(3, 4, 0, 3);
  const b = matrix(5, 4, 0, 4);
  const abT = tf.matMul(a, b, false, true);
  const expected = tf.tidy(() => a.matMul(b.transpose()));
  assertClose(abT.dataSync(), expected.dataSync(), 1e-5);
  const batched = tf.tidy(() =>
    tf.matMul(a.reshape([1, 3, 4]), b.transpose().reshape([1, 4, 5]))
  );
  assertClose(batched.dataSync(), expected.dataSync(), 1e-5);
  tf.dispose([a, b, abT, expected, batched]);
});

testIf(
  "each piece does its work when on, and none when off",
  [onWasm],
  () => {
    const x = matrix(32, 784, 0.81, 5);
    const y = matrix(32, 1, 0, 6);
    /** The counts' increase over one gradient of simpleNet, with `pieces`. */
    const work = (pieces: FastPieces): FastCounts => {
      setFast(pieces);
      const net = simpleNet();
      const before = fastCounts();
      const { value, grads } = tf.variableGrads(
        () => net.forward(x).sub(y).square().mean() as tf.Scalar,
        [...net.params],
      );
      const after = fastCounts();
      tf.dispose([value, ...Object.values(grads), ...net.params]);
      setFast(defaults);
      return {
        products: after.products - before.products,
        weightGradients: after.weightGradients - before.weightGradients,
        transposedWeights: after.transposedWeights - before.transposedWeights,
        sharedIdentities: after.sharedIdentities - before.sharedIdentities,
        columnSums: after.columnSums - before.columnSums,
        convFilterGradients: after.convFilterGradients -
          before.convFilterGradients,
        slices: after.slices - before.slices,
        biasAdds: after.biasAdds - before.biasAdds,
        stepGradients: after.stepGradients - before.stepGradients,
      };
    };
    // Two layers: two products and two weights' gradients by the routines;
    // the tape's copies of x, the hidden layer and the weights shared.
    const on = work(allOn);
    assert.equal(on.products, 2);
    assert.equal(on.weightGradients, 2);
    // The second layer's inputs' gradient dy·bᵀ, b a column of 30 rows.
    assert.equal(on.transposedWeights, 1);
    assert.ok(on.sharedIdentities >= 2);
    // Without the routines, both layers' products and weights' gradients are
    // TensorFlow.js's own.
    const noRoutines = work({ ...allOn, routines: false });
    assert.equal(noRoutines.products, 0);
    assert.equal(noRoutines.weightGradients, 0);
    const off = work(allOff);
    // The biases' gradients: sums over the batch, by the routine.
    assert.equal(on.columnSums, 2);
    assert.equal(on.convFilterGradients, 0);
    // The two layers' biases, added to every row by the routine.
    assert.equal(on.biasAdds, 2);
    // The ReLU's gradient, in one pass.
    assert.equal(on.stepGradients, 1);
    assert.deepEqual(Object.values(off), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([x, y]);
  },
);

Deno.test("the mnistLossGradient piece gives mnistLoss's value and gradient, and the same errors", () => {
  const outputs = matrix(300, 1, 0, 7).mul(4) as tf.Tensor2D;
  const targets = tf.tidy(() => matrix(300, 1, 0, 8).greater(0).toFloat());
  const before = tf.memory().numTensors;
  const [fast, plain] = [true, false].map((on) => {
    setFast({ mnistLossGradient: on });
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
      mnistLoss(p as tf.Tensor2D, targets as tf.Tensor2D)
    )(outputs);
    const out = [value.dataSync(), grad.dataSync()];
    tf.dispose([value, grad]);
    return out;
  });
  setFast(defaults);
  assertClose(fast[0], plain[0], 1e-6);
  assertClose(fast[1], plain[1], 1e-7);
  assert.equal(tf.memory().numTensors, before);
  const wrong = tf.zeros([300]);
  assert.throws(
    () => mnistLoss(outputs, wrong as tf.Tensor2D),
    (e: Error) => e instanceof ShapeError && /mnistLoss/.test(e.message),
  );
  tf.dispose([outputs, targets, wrong]);
});

/** Images `[n, size, size, channels]`, about 80% of the pixels zero, seeded. */
function images(n: number, size: number, channels: number, seed: number) {
  return matrix(n, size * size * channels, 0.8, seed)
    .reshape([n, size, size, channels]) as tf.Tensor4D;
}

testIf(
  "convFilterGradient: tf.conv2d's filters' gradient, as TensorFlow.js's own kernel computes it",
  [onWasm],
  () => {
    // [size, channels, kernel, filters, stride, padding]: notebook 8's first
    // layer, then filters not a multiple of 16 (and of 4), several channels,
    // "valid" windows, stride 1; 8 and 29 filters take the blocks of 8 and 4.
    const cases = [
      [28, 1, 5, 16, 2, "same"],
      [28, 1, 5, 8, 2, "same"],
      [8, 1, 3, 29, 1, "valid"],
      [9, 2, 3, 5, 1, "same"],
      [10, 3, 3, 20, 2, "valid"],
      [7, 4, 2, 33, 2, "same"],
    ] as const;
    for (const [i, [size, c, k, f, stride, pad]] of cases.entries()) {
      const x = images(3, size, c, 10 + i);
      const filters = tf.randomNormal([k, k, c, f], 0, 1, "float32", 20 + i);
      const out = tf.conv2d(x, filters as tf.Tensor4D, stride, pad);
      const dy = tf.randomNormal(out.shape, 0, 1, "float32", 30 + i);
      const gradient = (on: boolean) => {
        setFast({ convFilterGradient: on });
        const before = fastCounts().convFilterGradients;
        const tensors = tf.memory().numTensors;
        const dw = tf.grad((w: tf.Tensor) =>
          tf.conv2d(x, w as tf.Tensor4D, stride, pad).mul(dy).sum()
        )(filters);
        assert.equal(tf.memory().numTensors, tensors + 1);
        const values = dw.dataSync();
        dw.dispose();
        return { values, byRoutine: fastCounts().convFilterGradients - before };
      };
      const [on, off] = [gradient(true), gradient(false)];
      setFast(defaults);
      assert.equal(
        on.byRoutine,
        1,
        changed(
          "the gradient of conv2d (kernel Conv2DBackpropFilter: inputs x, dy; " +
            "attrs strides, pad, dataFormat, dimRoundingMode, filterShape)",
          "the convFilterGradient piece of speed.ts",
        ),
      );
      assert.equal(off.byRoutine, 0);
      assert.equal(on.values.length, k * k * c * f);
      assertClose(on.values, off.values, 1e-4);
      tf.dispose([x, filters, out, dy]);
    }
  },
);

testIf(
  "biasAdd: a vector added to every row, as the backend's Add computes it, bit for bit; other sums untouched",
  [onWasm],
  () => {
    const x = matrix(24, 6, 0.3, 41).reshape([2, 3, 4, 6]);
    const b = tf.tensor1d([1e-8, -2.5, 0, -0, 3e7, Number.NaN]);
    const sums = (on: boolean) => {
      setFast({ biasAdd: on });
      const before = fastCounts().biasAdds;
      const results = tf.tidy(() =>
        [
          x.add(b),
          x.reshape([24, 6]).add(b),
          x.reshape([24, 6]).slice([0, 0], [24, 1]).add(b.slice(0, 1)),
          b.add(x.reshape([24, 6])), // the bias first: the backend's own Add
          x.reshape([24, 6]).add(x.reshape([24, 6])), // no broadcast
          x.add(tf.scalar(2)),
        ].map((t) => ({ shape: t.shape, bits: bits(t) }))
      );
      return { results, byRoutine: fastCounts().biasAdds - before };
    };
    const tensors = tf.memory().numTensors;
    const [on, off] = [sums(true), sums(false)];
    setFast(defaults);
    assert.deepEqual(on.results, off.results);
    assert.equal(
      on.byRoutine,
      3,
      changed(
        "the wasm kernel Add (inputs a, b)",
        "the biasAdd piece of speed.ts",
      ),
    );
    assert.equal(off.byRoutine, 0);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, b]);
  },
);

testIf(
  "stepGradients: relu's and abs's gradients, as TensorFlow.js's own compute them, bit for bit",
  [onWasm],
  () => {
    const special = [0, -0, 1e-30, -1e-30, Infinity, -Infinity, NaN, 2, -3];
    const x = tf.tensor2d(
      [...special, ...matrix(7, 9, 0.3, 51).dataSync()],
      [8, 9],
    );
    const dy = tf.tensor2d(
      [...matrix(7, 9, 0.2, 52).dataSync(), ...special.reverse()],
      [8, 9],
    );
    const gradients = (on: boolean) => {
      setFast({ stepGradients: on });
      const before = fastCounts().stepGradients;
      const results = [tf.relu, tf.abs].map((f) => {
        const g = tf.grad((t: tf.Tensor) => f(t).mul(dy).sum())(x);
        const values = bits(g);
        g.dispose();
        return values;
      });
      return { results, byRoutine: fastCounts().stepGradients - before };
    };
    const tensors = tf.memory().numTensors;
    const [on, off] = [gradients(true), gradients(false)];
    setFast(defaults);
    assert.deepEqual(on.results, off.results);
    assert.equal(
      on.byRoutine,
      2,
      changed(
        "the gradients of Relu and Abs (saved input x)",
        "the stepGradients piece of speed.ts",
      ),
    );
    assert.equal(off.byRoutine, 0);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, dy]);
  },
);

testIf(
  "columnSums: sums over every axis but the last, as the backend's Sum; other sums untouched",
  [onWasm],
  () => {
    const x = matrix(24, 6, 0, 40).reshape([2, 12, 6]);
    const sums = (on: boolean) => {
      setFast({ columnSums: on });
      const before = fastCounts().columnSums;
      const results = tf.tidy(() =>
        [
          x.sum([0, 1]),
          x.sum([1, 0], true),
          x.reshape([24, 6]).sum(0),
          x.reshape([24, 6]).sum(-2),
          x.sum(1), // not every leading axis: the backend's own Sum
          x.sum(-1),
        ].map((t) => ({ shape: t.shape, values: [...t.dataSync()] }))
      );
      return { results, byRoutine: fastCounts().columnSums - before };
    };
    const tensors = tf.memory().numTensors;
    const [on, off] = [sums(true), sums(false)];
    setFast(defaults);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(
      on.byRoutine,
      4,
      changed(
        "the wasm kernel Sum (input x; attrs axis, keepDims)",
        "the columnSums piece of speed.ts",
      ),
    );
    assert.equal(off.byRoutine, 0);
    for (const [i, result] of on.results.entries()) {
      assert.deepEqual(result.shape, off.results[i].shape);
      assertClose(result.values, off.results[i].values, 1e-5);
    }
    x.dispose();
  },
);

testIf(
  "slices: a block as the backend's Slice copies it, the whole tensor shared; other slices untouched",
  [onWasm],
  () => {
    const x = matrix(2 * 5 * 4, 3, 0, 50).reshape([2, 5, 4, 3]);
    const cases: [number[], number[]][] = [
      [[0, 0, 0, 0], [2, 4, 3, 3]], // a padding's gradient
      [[1, 1, 2, 1], [1, 3, 2, 2]],
      [[0, 0, 0, 0], [2, 5, 4, 3]], // the whole tensor
      [[0, 0, 0, 0], [-1, -1, -1, -1]],
    ];
    const slices = (on: boolean) => {
      setFast({ slices: on });
      const before = fastCounts().slices;
      const results = cases.map(([begin, size]) =>
        tf.tidy(() => [...x.slice(begin, size).dataSync()])
      );
      const flat = tf.tidy(() => [
        ...x.reshape([120]).slice([7], [20]).dataSync(),
        ...x.reshape([2, 5, 4, 3, 1]).slice([0, 1, 0, 0, 0], [1, 2, 4, 3, 1])
          .dataSync(), // rank 5: the backend's own
      ]);
      return { results, flat, byRoutine: fastCounts().slices - before };
    };
    const tensors = tf.memory().numTensors;
    const [on, off] = [slices(true), slices(false)];
    setFast(defaults);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(
      on.byRoutine,
      cases.length + 1,
      changed(
        "the wasm kernel Slice (input x; attrs begin, size)",
        "the slices piece of speed.ts",
      ),
    );
    assert.equal(off.byRoutine, 0);
    for (const [i, values] of on.results.entries()) {
      assert.deepEqual(values, off.results[i]);
    }
    assert.deepEqual(on.flat, off.flat);
    // The whole tensor, shared: it outlives the original.
    const whole = x.slice([0, 0, 0, 0], x.shape);
    const values = [...x.dataSync()];
    x.dispose();
    assert.deepEqual([...whole.dataSync()], values);
    whole.dispose();
  },
);
