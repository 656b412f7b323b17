/**
 * A small convolutional net that trains on the WebAssembly backend.
 *
 * A convolution is a regression applied to every small patch of an image:
 * the same `k·k·channels` weights and bias slide over it. When windows do
 * not overlap (the stride is the kernel, as in a "patchify" layer),
 * {@linkcode Conv2d} says it the regression way: cut the images into
 * patches (a reshape and a transpose, fast on WASM in both directions), then
 * multiply every patch by the weights and add the bias, in one matrix
 * product. Overlapping windows are `tf.conv2d` itself, with "same" padding.
 * Its gradient back to the input (`Conv2DBackpropInput`) is 10 times slower
 * on WASM than the patches' way: fine on the images, which need none, so
 * {@linkcode convNet} overlaps its first layer's windows only. (TensorFlow.js's
 * WASM backend has no kernel for the filters' gradient,
 * `Conv2DBackpropFilter`; `lib/fast` adds one.)
 *
 * Layers read and return flattened batches `[n, height·width·channels]`, so
 * they chain in a {@linkcode Sequential} with {@linkcode relu} and
 * {@linkcode Linear} like every other model here.
 *
 * @example A 2×2 convolution over 28×28 digits
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Conv2d } from "./conv.ts";
 *
 * const conv = new Conv2d({ height: 28, width: 28, channels: 1 }, 8);
 * const x = tf.zeros([2, 784]) as tf.Tensor2D;
 * const y = conv.forward(x);
 * console.log(conv.output, y.shape); // { height: 14, width: 14, channels: 8 } [2, 1568]
 * tf.dispose([x, y, ...conv.params]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor2D, Variable } from "./tensors.ts";
import { ArgumentError, ShapeError } from "./errors.ts";
import { Linear, type Module, relu, Sequential } from "./model.ts";
import { rng } from "./random.ts";

/**
 * The shape of one image (or of one layer's activations): height, width and
 * channels.
 *
 * @example An MNIST digit
 * ```ts
 * import type { ImageShape } from "./conv.ts";
 *
 * const digit: ImageShape = { height: 28, width: 28, channels: 1 };
 * ```
 */
export interface ImageShape {
  /** Rows. */
  readonly height: number;
  /** Columns. */
  readonly width: number;
  /** Values per pixel: 1 for a grayscale image, one per filter after a convolution. */
  readonly channels: number;
}

/**
 * A convolution with `filters` filters, each a regression of every
 * `kernel × kernel` block of the input (blocks side by side, the last ones
 * padded with zeros), with its own weights and bias. Weights are drawn
 * uniformly in ±1/√(kernel²·channels), as PyTorch's `nn.Conv2d` does.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Conv2d } from "./conv.ts";
 *
 * const conv = new Conv2d({ height: 7, width: 7, channels: 16 }, 32);
 * console.log(conv.output, conv.weight.shape); // { height: 4, width: 4, channels: 32 } [64, 32]
 * tf.dispose([...conv.params]);
 * ```
 */
export class Conv2d implements Module {
  /** The shape of the input images. */
  readonly input: ImageShape;
  /** The shape of the output: one channel per filter. */
  readonly output: ImageShape;
  /** The side of a window. */
  readonly kernel: number;
  /** The distance between windows: the kernel, or less for overlapping windows. */
  readonly stride: number;
  /** The weights, `[kernel·kernel·channels, filters]`: column `j` is filter `j`. */
  readonly weight: Variable;
  /** One bias per filter. */
  readonly bias: Variable;
  /** The weights, then the biases. */
  readonly params: readonly Variable[];

  /**
   * A convolution of `filters` filters of `kernel × kernel` (default 2),
   * `stride` apart (default: side by side), over images of shape `input`.
   *
   * @throws {ArgumentError} When `filters`, `kernel` or `stride` is not a
   * whole number of at least 1.
   */
  constructor(
    input: ImageShape,
    filters: number,
    options: { readonly kernel?: number; readonly stride?: number } = {},
  ) {
    const { kernel = 2, stride = kernel } = options;
    const counts = { filters, kernel, stride };
    for (const [name, n] of Object.entries(counts)) {
      if (!Number.isInteger(n) || n < 1) {
        throw new ArgumentError(
          `Conv2d needs ${name} to be a whole number of at least 1; got ${n}.`,
        );
      }
    }
    this.input = input;
    this.kernel = kernel;
    this.stride = stride;
    this.output = {
      height: Math.ceil(input.height / stride),
      width: Math.ceil(input.width / stride),
      channels: filters,
    };
    const patch = kernel * kernel * input.channels;
    const bound = 1 / Math.sqrt(patch);
    const draw = (n: number) =>
      Float32Array.from({ length: n }, () => (2 * rng().uniform() - 1) * bound);
    this.weight = tf.variable(
      tf.tensor2d(draw(patch * filters), [patch, filters]),
    );
    this.bias = tf.variable(tf.tensor1d(draw(filters)));
    this.params = [this.weight, this.bias];
  }

  /**
   * The blocks of a batch of images `[n, height, width, channels]`, side by
   * side, one per row `[n·outHeight·outWidth, kernel·kernel·channels]`, each
   * ordered (row, column, channel) like the weights.
   */
  #patches(images: tf.Tensor4D): Tensor2D {
    const k = this.kernel;
    const { height, width, channels } = this.input;
    const { height: oh, width: ow } = this.output;
    const n = images.shape[0];
    const padded = images.pad([
      [0, 0],
      [0, oh * k - height],
      [0, ow * k - width],
      [0, 0],
    ]);
    return padded.reshape([n, oh, k, ow, k * channels])
      .transpose([0, 1, 3, 2, 4])
      .reshape([n * oh * ow, k * k * channels]);
  }

  /**
   * The convolution of a batch of flattened images `[n, height·width·channels]`.
   *
   * @throws {ShapeError} When `x` is not a batch of such images.
   */
  forward(x: Tensor2D): Tensor2D {
    const { height, width, channels } = this.input;
    if (x.rank !== 2 || x.shape[1] !== height * width * channels) {
      throw new ShapeError(
        `This Conv2d reads ${height}×${width}×${channels} images flattened to ` +
          `[n, ${height * width * channels}]; got [${x.shape}].`,
      );
    }
    const { height: oh, width: ow, channels: filters } = this.output;
    return tf.tidy(() => {
      const images = x.reshape([-1, height, width, channels]) as tf.Tensor4D;
      if (this.stride !== this.kernel) {
        // Overlapping windows: the convolution itself, its filters being the
        // columns of the weights.
        const k = this.kernel;
        const filters4d = this.weight.reshape([k, k, channels, filters]);
        return tf.conv2d(images, filters4d as tf.Tensor4D, this.stride, "same")
          .add(this.bias).reshape([-1, oh * ow * filters]) as Tensor2D;
      }
      return this.#patches(images).matMul(this.weight).add(this.bias)
        .reshape([-1, oh * ow * filters]) as Tensor2D;
    });
  }
}

/**
 * A small convolutional net for 28×28 digits: a 5×5 convolution of 8
 * filters over windows 2 pixels apart (overlapping: the images need no
 * gradient), then 2×2 convolutions of 16 and 32 filters side by side, with
 * ReLUs, 28×28 → 14×14 → 7×7 → 4×4, and a linear layer from the 512
 * activations to one output: 3,329 parameters. With `outputs` 10, one
 * score per digit (7,946 parameters).
 *
 * Its width was measured with notebook 8's training setup (10 epochs, log
 * loss, momentum 0.9): twice as many filters (16, 32, 64; 11,777 parameters) ended at
 * 0.9917 against this net's 0.9912, one validation image, in 1.22 s per
 * epoch against 0.62 s.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { convNet } from "./conv.ts";
 * import { countParams } from "./model.ts";
 *
 * const net = convNet();
 * console.log(countParams(net)); // 3329
 * tf.dispose([...net.params]);
 * ```
 */
export function convNet(outputs = 1): Sequential {
  const conv1 = new Conv2d({ height: 28, width: 28, channels: 1 }, 8, {
    kernel: 5,
    stride: 2,
  });
  const conv2 = new Conv2d(conv1.output, 16);
  const conv3 = new Conv2d(conv2.output, 32);
  const { height, width, channels } = conv3.output;
  return new Sequential(
    conv1,
    relu,
    conv2,
    relu,
    conv3,
    relu,
    new Linear(height * width * channels, outputs),
  );
}
