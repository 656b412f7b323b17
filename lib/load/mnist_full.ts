/**
 * The full MNIST as fast.ai publishes it (`URLs.MNIST`, `mnist_png.tgz`):
 * 70,000 28×28 PNG files in `training/0` … `training/9` (60,000) and
 * `testing/0` … `testing/9` (10,000), read by the same code as the lesson's
 * MNIST_SAMPLE (`stackFolder`, with its cache file per folder).
 *
 * @example From the archive to tensors (needs internet access: 16 MB)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { untarData, URLs } from "./download.ts";
 * import { loadMnist } from "./mnist_full.ts";
 *
 * const { train, valid } = await loadMnist(await untarData(URLs.MNIST));
 * console.log(train.x.shape, valid.x.shape); // [60000, 784] [10000, 784]
 * tf.dispose([train.x, train.y, valid.x, valid.y]);
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import type { LabelledDigits, TenDigits } from "./digits.ts";
import { extractedCounts } from "./manifest.ts";
import { getImageFiles, stackFolder } from "./mnist.ts";

/** One split's ten folders as images `[n, 784]` and labels `[n, 1]`. */
async function loadFolders(
  path: string,
  split: string,
  expected: Readonly<Record<string, number>> | undefined,
): Promise<LabelledDigits> {
  const folders = Array.from(
    { length: 10 },
    (_, digit) => join(path, split, String(digit)),
  );
  folders.forEach((folder, digit) => {
    const found = getImageFiles(folder).length;
    const want = expected?.[`${split}/${digit}`];
    if (found === 0) {
      throw new DataError(
        `The digit folder ${folder} holds no PNG images: every digit needs ` +
          `some. Delete the folder ${path} and run untarData(URLs.MNIST) ` +
          "again, which extracts it anew.",
      );
    }
    if (want !== undefined && found !== want) {
      throw new DataError(
        `The digit folder ${folder} holds ${found.toLocaleString("en-US")} ` +
          `images where the archive had ${want.toLocaleString("en-US")}: ` +
          `delete the folder ${path} and run untarData(URLs.MNIST) again.`,
      );
    }
  });
  const stacks: tf.Tensor[] = [];
  try {
    for (const folder of folders) stacks.push(await stackFolder(folder));
    return tf.tidy(() => ({
      x: tf.concat(stacks.map((s) => s.reshape([-1, 28 * 28]))) as tf.Tensor2D,
      y: tf.concat(stacks.map((s, digit) => tf.fill([s.shape[0], 1], digit)))
        .toFloat() as tf.Tensor2D,
    }));
  } finally {
    tf.dispose(stacks);
  }
}

/**
 * Loads the full MNIST (the folder {@linkcode untarData} returns for
 * `URLs.MNIST`): `training/` as the training split, `testing/` as the
 * validation split, each digit after digit (0s first), `x` `[n, 784]` in
 * 0..1 and `y` `[n, 1]` the digits. The caller owns the four tensors.
 *
 * When the folder was extracted by `untarData`, each digit folder's count of
 * images is checked against the archive's.
 *
 * @throws {DataError} A digit folder is missing, holds no PNG image (the
 * message names it) or fewer than the archive had, or an image is not a
 * 28×28 PNG.
 *
 * @example Images per split
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { loadMnist } from "./mnist_full.ts";
 *
 * const { train, valid } = await loadMnist("data/mnist_png");
 * console.log(train.y.shape, valid.y.shape); // [60000, 1] [10000, 1]
 * tf.dispose([train.x, train.y, valid.x, valid.y]);
 * ```
 */
export async function loadMnist(path: string): Promise<TenDigits> {
  const expected = await extractedCounts(path);
  const train = await loadFolders(path, "training", expected);
  try {
    return { train, valid: await loadFolders(path, "testing", expected) };
  } catch (e) {
    tf.dispose([train.x, train.y]);
    throw e;
  }
}
