/**
 * Seeded random numbers, so that every run of a notebook gives the same
 * numbers.
 *
 * One call, {@linkcode setSeed}, seeds everything the library draws: initial
 * weights, the order of shuffled batches and the noise of toy data. Until it
 * is called, the seed is 42.
 *
 * @example Same seed, same numbers
 * ```ts
 * import { randn, setSeed } from "./random.ts";
 *
 * setSeed(1);
 * const a = randn(3);
 * setSeed(1);
 * const b = randn(3);
 * console.log(a.join() === b.join()); // true
 * ```
 *
 * @module
 */

/**
 * A small, fast generator of uniform numbers in [0, 1) (mulberry32), with
 * normal draws and shuffles on top.
 *
 * @example A generator of one's own
 * ```ts
 * import { Random } from "./random.ts";
 *
 * const rng = new Random(7);
 * console.log(rng.uniform() < 1, rng.shuffle([1, 2, 3]).length); // true 3
 * ```
 */
export class Random {
  #state: number;

  /** Starts a generator from an integer seed. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform draw in [0, 1). */
  uniform(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A draw from the normal distribution with mean 0 and standard deviation 1 (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform(); // in (0, 1], so the logarithm is finite
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer seed for another generator, drawn from this one. */
  seed(): number {
    return Math.floor(this.uniform() * 4294967296);
  }

  /** A shuffled copy of `items` (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

let generator = new Random(42);

/**
 * Seeds every random draw the library makes from now on.
 *
 * @example Seed before initializing parameters
 * ```ts
 * import { setSeed } from "./random.ts";
 *
 * setSeed(42);
 * ```
 */
export function setSeed(seed: number): void {
  generator = new Random(seed);
}

/**
 * The library's shared generator, as last seeded by {@linkcode setSeed}.
 *
 * @example Draw a uniform number
 * ```ts
 * import { rng } from "./random.ts";
 *
 * console.log(rng().uniform() < 1); // true
 * ```
 */
export function rng(): Random {
  return generator;
}

/**
 * `n` draws from a normal distribution with mean 0 and standard deviation
 * `std`, from the shared generator.
 *
 * @example Noise for a toy data set
 * ```ts
 * import { randn } from "./random.ts";
 *
 * const noise = randn(20, 3);
 * console.log(noise.length); // 20
 * ```
 */
export function randn(n: number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = generator.normal() * std;
  return out;
}
