/**
 * Mini-batches: a {@linkcode DataLoader} cuts a data set into batches of a
 * given size, optionally in a new seeded random order every epoch.
 *
 * It works on plain arrays (the lesson's `0..14` and alphabet demos) and on a
 * {@linkcode TensorDataset} of inputs and targets, whose batches are the rows
 * at the batch's indices, `tf.gather(x, indices)` (the lesson's
 * `x[indices]`). On the `wasm` backend, `fast/` replaces the kernel behind
 * `tf.gather` with one that copies whole rows (TensorFlow.js's own takes
 * 14 ms for 256 rows of MNIST); see `lib/fast/README.md`.
 *
 * @example Batches of an array, shuffled
 * ```ts
 * import { DataLoader } from "./dataloader.ts";
 *
 * const dl = new DataLoader([...Array(15).keys()], { batchSize: 5, shuffle: true, seed: 1 });
 * for (const batch of dl) console.log(batch); // three arrays of 5 numbers
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor2D } from "./tensors.ts";
import { ArgumentError, DataError, ShapeError } from "./errors.ts";
import { Random, rng } from "./random.ts";

/** A batch of inputs and targets: `[xb, yb]`, with as many rows in each. */
export type Batch = readonly [Tensor2D, Tensor2D];

/**
 * A data set a {@linkcode DataLoader} can batch: a length, a way to collate
 * the items at some indices into a batch, and optionally a way to free a
 * batch once the loop has moved past it.
 *
 * @example A data set of squares
 * ```ts
 * import { DataLoader, type Dataset } from "./dataloader.ts";
 *
 * const squares: Dataset<number[]> = {
 *   length: 10,
 *   collate: (indices) => indices.map((i) => i * i),
 * };
 * console.log([...new DataLoader(squares, { batchSize: 4 })].length); // 3
 * ```
 */
export interface Dataset<B> {
  /** How many items the data set holds. */
  readonly length: number;
  /** The batch made of the items at `indices`, in that order. */
  collate(indices: readonly number[]): B;
  /** Frees a batch that is no longer used (tensors, for instance). */
  release?(batch: B): void;
}

/** The batch type of a data set: `T[]` for an array of `T`. */
export type BatchOf<D> = D extends Dataset<infer B> ? B
  : D extends readonly (infer T)[] ? T[]
  : never;

/** How a {@linkcode DataLoader} batches. */
export interface DataLoaderOptions {
  /** Items per batch; the last batch holds what is left. Default 64. */
  readonly batchSize?: number;
  /** Draw a new random order every epoch. Default false. */
  readonly shuffle?: boolean;
  /** Seed of the shuffling; by default drawn from the seed set by `setSeed`. */
  readonly seed?: number;
}

/**
 * Inputs `x` `[n, features]` and targets `y` `[n, outputs]`, batched as
 * `[xb, yb]` tensors: the rows at a batch's indices, by `tf.gather`. It
 * keeps its own copies of `x` and `y` (`clone`, which on the `wasm` backend
 * with `fast/` shares their memory instead of copying it), so that disposing
 * them later does not affect it; {@linkcode TensorDataset.dispose} frees
 * its copies.
 *
 * @example Pair inputs with targets
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TensorDataset } from "./dataloader.ts";
 *
 * const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 * const y = tf.tensor2d([[1], [0], [1]]);
 * const dset = new TensorDataset(x, y);
 * const [xb, yb] = dset.collate([2, 0]);
 * xb.print(); // [[5, 6], [1, 2]]
 * tf.dispose([x, y, xb, yb]);
 * ```
 */
export class TensorDataset implements Dataset<Batch> {
  /** How many rows. */
  readonly length: number;
  /** The inputs, one row per item (the data set's own copy). */
  readonly x: Tensor2D;
  /** The targets, one row per item (the data set's own copy). */
  readonly y: Tensor2D;

  /**
   * Pairs copies of `x` and `y`, which must have the same number of rows.
   *
   * @throws {ShapeError} When `x` and `y` are not matrices with as many rows.
   */
  constructor(x: Tensor2D, y: Tensor2D) {
    if (x.rank !== 2 || y.rank !== 2 || x.shape[0] !== y.shape[0]) {
      throw new ShapeError(
        `A TensorDataset needs x [n, features] and y [n, outputs] with the ` +
          `same n; got x [${x.shape}] and y [${y.shape}]. Reshape them, for ` +
          `example y.reshape([-1, 1]).`,
      );
    }
    this.length = x.shape[0];
    this.x = tf.keep(x.clone());
    this.y = tf.keep(y.clone());
  }

  /**
   * The rows at `indices`, as new tensors that the caller owns.
   *
   * @throws {DataError} When the data set was disposed.
   */
  collate(indices: readonly number[]): Batch {
    if (this.x.isDisposed || this.y.isDisposed) {
      throw new DataError(
        "This TensorDataset was disposed, so it has no rows left to batch: " +
          "make it again from x and y.",
      );
    }
    return tf.tidy(() => {
      const rows = tf.tensor1d([...indices], "int32");
      return [tf.gather(this.x, rows), tf.gather(this.y, rows)] as const;
    });
  }

  release(batch: Batch): void {
    tf.dispose([...batch]);
  }

  /** Frees the data set's copies of `x` and `y`; it cannot batch after. */
  dispose(): void {
    tf.dispose([this.x, this.y]);
  }
}

function arrayDataset<T>(items: readonly T[]): Dataset<T[]> {
  return {
    length: items.length,
    collate: (indices) => indices.map((i) => items[i]),
  };
}

/**
 * Batches of a data set, in order or shuffled anew each epoch (each time it is
 * iterated). A tensor batch lives until the loop moves on to the next one or
 * ends, and is then disposed; to keep one, use {@linkcode DataLoader.oneBatch}.
 *
 * @example The lesson's batches of letters
 * ```ts
 * import { DataLoader } from "./dataloader.ts";
 *
 * const letters = [..."abcdefghijklmnopqrstuvwxyz"].map((c, i) => [i, c] as const);
 * const dl = new DataLoader(letters, { batchSize: 6, shuffle: true, seed: 42 });
 * console.log([...dl].map((b) => b.length)); // [6, 6, 6, 6, 2]
 * ```
 */
export class DataLoader<D extends Dataset<unknown> | readonly unknown[]>
  implements Iterable<BatchOf<D>> {
  /** The data set being batched. */
  readonly dataset: Dataset<BatchOf<D>>;
  /** Items per batch. */
  readonly batchSize: number;
  /** Whether each epoch draws a new order. */
  readonly shuffle: boolean;
  readonly #random: Random;

  /**
   * Batches `dataset`, an array or a {@linkcode Dataset}.
   *
   * @throws {ArgumentError} When `batchSize` is not a whole number of at
   * least 1.
   */
  constructor(dataset: D, options: DataLoaderOptions = {}) {
    const { batchSize = 64, shuffle = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ArgumentError(
        `batchSize must be a whole number of at least 1; got ${batchSize}.`,
      );
    }
    this.dataset =
      (Array.isArray(dataset) ? arrayDataset(dataset) : dataset) as Dataset<
        BatchOf<D>
      >;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.#random = new Random(options.seed ?? rng().seed());
  }

  /** How many batches an epoch has (the last one may be partial). */
  get length(): number {
    return Math.ceil(this.dataset.length / this.batchSize);
  }

  /** The item indices of one epoch, in the order they will be batched. */
  #order(): number[] {
    const indices = [...Array(this.dataset.length).keys()];
    return this.shuffle ? this.#random.shuffle(indices) : indices;
  }

  /** One epoch of batches; each tensor batch is freed when the loop moves on. */
  *[Symbol.iterator](): Iterator<BatchOf<D>> {
    const order = this.#order();
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = this.dataset.collate(
        order.slice(start, start + this.batchSize),
      );
      try {
        yield batch;
      } finally {
        this.dataset.release?.(batch);
      }
    }
  }

  /**
   * The first batch of a new epoch, owned by the caller (dispose its tensors
   * when done).
   */
  oneBatch(): BatchOf<D> {
    return this.dataset.collate(this.#order().slice(0, this.batchSize));
  }
}

/**
 * The training and validation loaders of a model, as a pair.
 *
 * @example
 * ```ts
 * import { DataLoader, type DataLoaders } from "./dataloader.ts";
 *
 * const dls: DataLoaders<number[]> = {
 *   train: new DataLoader([1, 2, 3], { batchSize: 2 }),
 *   valid: new DataLoader([4], { batchSize: 2 }),
 * };
 * console.log(dls.train.length); // 2
 * ```
 */
export interface DataLoaders<D extends Dataset<unknown> | readonly unknown[]> {
  /** Batches to learn from, usually shuffled. */
  readonly train: DataLoader<D>;
  /** Batches to measure on, never learned from. */
  readonly valid: DataLoader<D>;
}
