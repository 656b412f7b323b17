import "./_backend.ts";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { AbsTemplates } from "../lib/templates.ts";
import { countParams, type Module } from "../lib/model.ts";
import { mnistLoss } from "../lib/loss.ts";
import { crossEntropy } from "../lib/multiclass.ts";
import { rng, setSeed } from "../lib/random.ts";
import { ArgumentError } from "../lib/errors.ts";

/** Notebook 7's model, as its cell writes it (3s and 7s). */
class NotebookSeven implements Module {
  readonly b = tf.variable(tf.zeros([1]));
  readonly t3: tf.Variable;
  readonly t7: tf.Variable;
  constructor() {
    const startImage = tf.tensor(
      Float32Array.from({ length: 784 }, () => rng().uniform()),
    );
    [this.t3, this.t7] = [
      tf.variable(startImage.clone()),
      tf.variable(startImage),
    ];
  }
  get params() {
    return [this.t3, this.t7, this.b];
  }
  forward(x: tf.Tensor2D) {
    const votes = () => x.sub(this.t7).abs().sub(x.sub(this.t3).abs());
    return tf.tidy(() => votes().sum(1, true).add(this.b) as tf.Tensor2D);
  }
}

/** Notebook 9's model, as its cell wrote it (ten digits). */
class NotebookNine implements Module {
  readonly templates: tf.Variable;
  readonly bias = tf.variable(tf.zeros([10]));
  readonly params: tf.Variable[];
  constructor() {
    const first = Float32Array.from({ length: 784 }, () => rng().uniform());
    this.templates = tf.variable(tf.tensor2d(first, [1, 784]).tile([10, 1]));
    this.params = [this.templates, this.bias];
  }
  forward(x: tf.Tensor2D) {
    return tf.tidy(() =>
      x.expandDims(1).sub(this.templates).abs().sum(2).neg().add(
        this.bias,
      ) as tf.Tensor2D
    );
  }
}

/** Images of seeded uniform gray levels, `[n, 784]`. */
function images(n: number, seed: number): tf.Tensor2D {
  setSeed(seed);
  return tf.tensor2d(
    Float32Array.from({ length: n * 784 }, () => rng().uniform()),
    [n, 784],
  );
}

/** Moves every parameter of both models by the same seeded steps. */
function nudge(a: Module, b: Module, seed: number, flip = false): void {
  setSeed(seed);
  const steps = a.params.map((p) =>
    tf.tensor(
      Float32Array.from({ length: p.size }, () => rng().uniform() - 0.5),
    )
  );
  const [t, bias] = steps;
  tf.tidy(() => {
    a.params[0].assign(a.params[0].add(t.reshape(a.params[0].shape)));
    a.params[1].assign(a.params[1].add(bias));
    if (flip) {
      // b holds [t3, t7, b]: row 0 of a is the 7s' template, row 1 the 3s'.
      const [t7, t3] = tf.unstack(t.reshape([2, 784]));
      b.params[0].assign(b.params[0].add(t3));
      b.params[1].assign(b.params[1].add(t7));
      b.params[2].assign(b.params[2].add(bias));
    } else {
      b.params[0].assign(b.params[0].add(t.reshape(b.params[0].shape)));
      b.params[1].assign(b.params[1].add(bias));
    }
  });
  tf.dispose(steps);
}

Deno.test("one output: two templates and a bias, one score per image, 1,569 parameters", () => {
  const before = tf.memory().numTensors;
  const model = new AbsTemplates();
  assert.deepEqual(model.templates.shape, [2, 784]);
  assert.deepEqual(model.bias.shape, [1]);
  assert.equal(countParams(model), 2 * 784 + 1);
  const x = images(5, 1);
  const scores = model.forward(x);
  assert.deepEqual(scores.shape, [5, 1]);
  assert.deepEqual([...scores.dataSync()], [0, 0, 0, 0, 0], "equal templates");
  tf.dispose([x, scores, ...model.params]);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
});

Deno.test("ten outputs: ten templates and ten biases, as many parameters as x W + b", () => {
  const before = tf.memory().numTensors;
  const model = new AbsTemplates(10);
  assert.deepEqual(model.templates.shape, [10, 784]);
  assert.equal(countParams(model), 7850);
  const x = images(4, 2);
  const scores = model.forward(x);
  assert.deepEqual(scores.shape, [4, 10]);
  tf.dispose([x, scores, ...model.params]);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
});

Deno.test("every template starts as the same seeded image, the biases at 0", () => {
  setSeed(42);
  const model = new AbsTemplates(3);
  setSeed(42);
  const first = Float32Array.from({ length: 784 }, () => rng().uniform());
  const rows = model.templates.arraySync() as number[][];
  for (const row of rows) assert.deepEqual(Float32Array.from(row), first);
  assert.deepEqual([...model.bias.dataSync()], [0, 0, 0]);
  tf.dispose([...model.params]);
});

Deno.test("one output equals notebook 7's model: same draws, same scores, same gradients", () => {
  setSeed(42);
  const ours = new AbsTemplates();
  setSeed(42);
  const theirs = new NotebookSeven();
  const x = images(64, 3);
  const y = tf.tensor2d(Array.from({ length: 64 }, (_, i) => [i % 3 ? 1 : 0]));
  const same = () => {
    const [a, b] = [ours.forward(x), theirs.forward(x)];
    assert.deepEqual(a.dataSync(), b.dataSync());
    tf.dispose([a, b]);
  };
  same();
  nudge(ours, theirs, 7, true); // templates apart, a bias: scores differ from 0
  same();
  const grads = (m: Module) =>
    tf.variableGrads(() => mnistLoss(m.forward(x), y) as tf.Scalar, [
      ...m.params,
    ]);
  const [g, h] = [grads(ours), grads(theirs)];
  const [t7, t3] = tf.unstack(g.grads[ours.templates.name]);
  assert.deepEqual(t3.dataSync(), h.grads[theirs.t3.name].dataSync());
  assert.deepEqual(t7.dataSync(), h.grads[theirs.t7.name].dataSync());
  assert.deepEqual(
    g.grads[ours.bias.name].dataSync(),
    h.grads[theirs.b.name].dataSync(),
  );
  assert.equal(g.value.dataSync()[0], h.value.dataSync()[0]);
  tf.dispose([
    x,
    y,
    t7,
    t3,
    g.value,
    h.value,
    ...Object.values(g.grads),
    ...Object.values(h.grads),
    ...ours.params,
    ...theirs.params,
  ]);
});

Deno.test("ten outputs equal notebook 9's model: same draws, same scores, same gradients", () => {
  setSeed(42);
  const ours = new AbsTemplates(10);
  setSeed(42);
  const theirs = new NotebookNine();
  const x = images(32, 4);
  const y = tf.tensor2d(Array.from({ length: 32 }, (_, i) => [i % 10]));
  nudge(ours, theirs, 8);
  const [a, b] = [ours.forward(x), theirs.forward(x)];
  assert.deepEqual(a.dataSync(), b.dataSync());
  const grads = (m: Module) =>
    tf.variableGrads(
      () => crossEntropy(m.forward(x), y) as tf.Scalar,
      [...m.params],
    );
  const [g, h] = [grads(ours), grads(theirs)];
  assert.deepEqual(
    g.grads[ours.templates.name].dataSync(),
    h.grads[theirs.templates.name].dataSync(),
  );
  assert.deepEqual(
    g.grads[ours.bias.name].dataSync(),
    h.grads[theirs.bias.name].dataSync(),
  );
  tf.dispose([
    x,
    y,
    a,
    b,
    g.value,
    h.value,
    ...Object.values(g.grads),
    ...Object.values(h.grads),
    ...ours.params,
    ...theirs.params,
  ]);
});

Deno.test("AbsTemplates refuses outputs that are not a whole number of at least 1", () => {
  for (const outputs of [0, -1, 2.5, NaN]) {
    assert.throws(() => new AbsTemplates(outputs), ArgumentError);
  }
});
