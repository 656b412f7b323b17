/**
 * The learner's idea, as a model to train: score an image by how far it is
 * from a template, `Σ |xᵢ − tᵢ|`, instead of multiplying each pixel by a
 * weight. {@linkcode AbsTemplates} keeps one template per class, each a
 * 28×28 image, and learns the templates and a bias with the same loop, loss
 * and optimizer as the linear model.
 *
 * Notebook 7 writes this model for 3s and 7s in a few lines (it is the story
 * there) and checks that it agrees with this one; notebook 9 and the bench
 * (`bench/ours.ts`) use this one.
 *
 * @example Three images, scored by two untrained templates
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { AbsTemplates } from "./templates.ts";
 *
 * const model = new AbsTemplates();
 * const scores = model.forward(tf.zeros([3, 784])); // [3, 1]: all 0 before training
 * tf.dispose([scores, ...model.params]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ArgumentError } from "./errors.ts";
import type { Module } from "./model.ts";
import { rng } from "./random.ts";
import type { Tensor2D, Variable } from "./tensors.ts";

/**
 * Templates compared pixel by pixel, `|x − t|`, in place of weights
 * multiplied: the learner's question, trained. Row `k` of
 * {@linkcode AbsTemplates.templates} is the template of label `k`; the
 * score of label `k` is `bₖ − Σᵢ |xᵢ − tₖᵢ|` (the nearer the template, the
 * higher).
 *
 * - `new AbsTemplates()` (one output, the 3s and 7s): two templates, of the
 *   7s (label 0) and of the 3s (label 1), and one bias; the output is the
 *   difference of the two scores, one vote `|x − t₇| − |x − t₃|` per pixel,
 *   summed, plus `b`: above 0 it says 3. 2 × 784 + 1 = 1,569 parameters.
 * - `new AbsTemplates(10)` (ten digits): ten templates and ten biases, ten
 *   scores per image, as many parameters as the linear model `x W + b`
 *   (7,850).
 *
 * All templates start as one image of seeded uniform draws in [0, 1) (from
 * `random.ts`), the biases at 0: training alone tells them apart.
 *
 * @throws {ArgumentError} when `outputs` is not a whole number ≥ 1.
 *
 * @example Ten digits: ten scores per image, 7,850 parameters
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { AbsTemplates } from "./templates.ts";
 * import { countParams } from "./model.ts";
 * import { setSeed } from "./random.ts";
 *
 * setSeed(42);
 * const model = new AbsTemplates(10);
 * const scores = model.forward(tf.ones([2, 784])); // [2, 10]
 * console.log(scores.shape, countParams(model)); // [2, 10] 7850
 * tf.dispose([scores, ...model.params]);
 * ```
 */
export class AbsTemplates implements Module {
  /**
   * The templates, one row of 784 pixels per label: `[2, 784]` for one
   * output (row 0 the 7s', row 1 the 3s'), `[outputs, 784]` otherwise.
   */
  readonly templates: Variable;
  /** The biases: `[1]` for one output, `[outputs]` otherwise. */
  readonly bias: Variable;
  /** The templates and the biases. */
  readonly params: Variable[];
  /** Scores per image: 1 (3 or 7), or one per class. */
  readonly outputs: number;

  /** `outputs` scores per image; default 1, the lesson's 3s and 7s. */
  constructor(outputs = 1) {
    if (!Number.isInteger(outputs) || outputs < 1) {
      throw new ArgumentError(
        `AbsTemplates needs a whole number of outputs, 1 or more: got ` +
          `${outputs}. Use 1 for the 3s and 7s, 10 for the ten digits.`,
      );
    }
    this.outputs = outputs;
    const first = Float32Array.from({ length: 784 }, () => rng().uniform());
    const rows = Math.max(outputs, 2);
    this.templates = tf.tidy(() =>
      tf.variable(tf.tensor2d(first, [1, 784]).tile([rows, 1]))
    );
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outputs])));
    this.params = [this.templates, this.bias];
  }

  /** The scores `[n, outputs]` of a batch of images `[n, 784]`. */
  forward(x: Tensor2D): Tensor2D {
    if (this.outputs === 1) {
      // One vote per pixel, |x − t₇| − |x − t₃|, summed, plus b: the ops of
      // notebook 7's model, so that both compute the same numbers.
      return tf.tidy(() => {
        const [t7, t3] = tf.unstack(this.templates);
        return x.sub(t7).abs().sub(x.sub(t3).abs()).sum(1, true)
          .add(this.bias) as Tensor2D;
      });
    }
    // [n, 1, 784] − [outputs, 784]: every image against every template.
    return tf.tidy(() =>
      x.expandDims(1).sub(this.templates).abs().sum(2).neg()
        .add(this.bias) as Tensor2D
    );
  }
}
