import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ArgumentError, LessonError, ShapeError } from "../lib/errors.ts";
import { Random } from "../lib/random.ts";
import { leastSquares } from "../lib/regression.ts";
import { assertClose } from "./_assert.ts";

/** The weights fitted to rows `x` and targets `y`, as plain arrays. */
function fit(x: number[][], y: number[][], ridge?: number): number[][] {
  const [xt, yt] = [tf.tensor2d(x), tf.tensor2d(y)];
  const w = leastSquares(xt, yt, ridge);
  const values = w.arraySync();
  tf.dispose([xt, yt, w]);
  return values;
}

/** Rows of `features` random inputs, about a third of them exactly 0, like the blank pixels of a digit. */
function sparseRows(n: number, features: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from(
    { length: n },
    () =>
      Array.from(
        { length: features },
        () => random.uniform() < 0.35 ? 0 : random.normal(),
      ),
  );
}

Deno.test("leastSquares recovers a line from points on it: slope, then intercept", () => {
  const t = [0, 1, 2, 3, 4];
  const x = t.map((v) => [v, 1]); // the column of ones carries the bias
  const y = t.map((v) => [2 * v + 1]);
  assertClose(fit(x, y).flat(), [2, 1], 1e-5);
});

Deno.test("on scattered points it gives the textbook slope cov(t, y) / var(t) and intercept ȳ - slope·t̄", () => {
  const t = [0, 1, 2, 3, 5, 8];
  const y = [1, 3, 2, 5, 4, 9];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const [tBar, yBar] = [mean(t), mean(y)];
  const cov = mean(t.map((v, i) => (v - tBar) * (y[i] - yBar)));
  const variance = mean(t.map((v) => (v - tBar) ** 2));
  const slope = cov / variance;
  const w = fit(t.map((v) => [v, 1]), y.map((v) => [v]));
  assertClose(w.flat(), [slope, yBar - slope * tBar], 1e-5);
});

Deno.test("the residuals are orthogonal to every input: the normal equations hold, for each column of y", () => {
  const x = sparseRows(60, 7, 3);
  const random = new Random(4);
  const y = x.map(() => [random.normal(), random.uniform()]);
  const w = fit(x, y);
  for (let c = 0; c < 2; c++) {
    const residual = x.map((row, i) =>
      row.reduce((s, v, j) => s + v * w[j][c], 0) - y[i][c]
    );
    const scale = Math.sqrt(residual.reduce((s, r) => s + r * r, 0));
    for (let j = 0; j < 7; j++) {
      const dot = x.reduce((s, row, i) => s + row[j] * residual[i], 0);
      assert.ok(
        Math.abs(dot) < 1e-4 * scale,
        `input ${j}, output ${c}: xᵀ·residual = ${dot}`,
      );
    }
  }
});

Deno.test("each column of y gets the weights it would get alone", () => {
  const x = sparseRows(30, 4, 5);
  const y = x.map((row) => [row[0] - 2 * row[3] + 0.5, row[1] * 3]);
  const both = fit(x, y);
  const first = fit(x, y.map((r) => [r[0]]));
  const second = fit(x, y.map((r) => [r[1]]));
  assertClose(both.map((r) => r[0]), first.flat(), 1e-5);
  assertClose(both.map((r) => r[1]), second.flat(), 1e-5);
});

Deno.test("an input that is 0 in every row gets weight 0 from the default ridge, and is a LessonError without one", () => {
  // Like a corner pixel, blank in every image.
  const x = [[1, 0, 1], [2, 0, 1], [4, 0, 1], [5, 0, 1]];
  const y = [[3], [5], [9], [11]];
  assertClose(fit(x, y).flat(), [2, 0, 1], 1e-4);
  assert.throws(() => fit(x, y, 0), (e: unknown) => {
    assert.ok(e instanceof LessonError);
    assert.match(e.message, /weight 1.*ridge/s);
    return true;
  });
});

Deno.test("a larger ridge shrinks the weights", () => {
  const x = sparseRows(40, 5, 6);
  const y = x.map((row) => [row[0] + row[1] - row[2]]);
  const norm = (w: number[][]) => Math.hypot(...w.flat());
  assert.ok(norm(fit(x, y, 50)) < 0.8 * norm(fit(x, y)));
});

Deno.test("inputs and targets that do not fit are a ShapeError naming both; a negative ridge is an ArgumentError", () => {
  const x = tf.zeros([5, 3]) as tf.Tensor2D;
  const y = tf.zeros([4, 1]) as tf.Tensor2D;
  const y5 = tf.zeros([5, 1]) as tf.Tensor2D;
  assert.throws(() => leastSquares(x, y), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /x \[5,3\] and y \[4,1\]/);
    return true;
  });
  assert.throws(() => leastSquares(x, y5, -1), ArgumentError);
  tf.dispose([x, y, y5]);
});

Deno.test("leastSquares leaves only its result behind: weights [features, outputs]", () => {
  const x = tf.tensor2d(sparseRows(20, 6, 7));
  const y = tf.ones([20, 3]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const w = leastSquares(x, y);
  assert.deepEqual(w.shape, [6, 3]);
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([x, y, w]);
});
