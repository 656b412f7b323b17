/**
 * Whether an extracted data set is complete: {@linkcode writeManifest}
 * records, beside the folder (`.<name>.manifest.json`, so that listing the
 * folder does not show it), how many files each of its folders holds;
 * {@linkcode checkComplete} counts them again. Hidden files (`.name`) are not
 * counted, so caches kept in the folders (`.pixels-cache`) do not matter.
 *
 * @example Check a folder against its manifest
 * ```ts
 * import { checkComplete, extractedCounts } from "./manifest.ts";
 *
 * const counts = await extractedCounts("data/mnist_sample");
 * if (counts) await checkComplete("data/mnist_sample", counts, "untarData");
 * ```
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { DataError } from "../errors.ts";

/**
 * What the official MNIST_SAMPLE archive holds, folder by folder: the counts
 * a folder named `mnist_sample` is checked against when it has no manifest
 * (extracted by hand, say).
 */
export const MNIST_SAMPLE_COUNTS: FileCounts = {
  "": 1, // labels.csv
  "train": 0,
  "train/3": 6131,
  "train/7": 6265,
  "valid": 0,
  "valid/3": 1010,
  "valid/7": 1028,
};

/**
 * How many files each folder holds (`""` for the folder itself), hidden files
 * not counted.
 *
 * @example
 * ```ts
 * import type { FileCounts } from "./manifest.ts";
 *
 * const counts: FileCounts = { "": 1, "train/3": 6131 };
 * ```
 */
export type FileCounts = Readonly<Record<string, number>>;

/**
 * Where the manifest of `folder` is: beside it.
 *
 * @example
 * ```ts
 * import { manifestPath } from "./manifest.ts";
 *
 * console.log(manifestPath("data/mnist_sample")); // "data/.mnist_sample.manifest.json"
 * ```
 */
export function manifestPath(folder: string): string {
  return join(dirname(folder), `.${basename(folder)}.manifest.json`);
}

/**
 * How many files each folder of an extracted data set held when it was
 * extracted (hidden files not counted), from the manifest `untarData` writes
 * beside it; `undefined` when there is none.
 *
 * @throws {DataError} The manifest exists but cannot be read as one.
 *
 * @example The number of training threes
 * ```ts
 * import { extractedCounts } from "./manifest.ts";
 *
 * const counts = await extractedCounts("data/mnist_sample");
 * console.log(counts?.["train/3"]); // 6131
 * ```
 */
export async function extractedCounts(
  folder: string,
): Promise<FileCounts | undefined> {
  const path = manifestPath(folder);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const counts = JSON.parse(text).files;
    const valid = typeof counts === "object" && counts !== null &&
      Object.values(counts).every((n) => Number.isInteger(n));
    if (valid) return counts;
  } catch {
    // reported below
  }
  throw new DataError(
    `${path}, the record of what ${folder} held when it was extracted, is ` +
      `damaged: delete it and ${folder}, and run untarData again.`,
  );
}

/** How many files (not hidden) `folder` holds directly, or undefined if it is missing. */
/** The names of the visible files of a folder, or undefined when it is missing. */
async function filesOf(folder: string): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return names;
}

/**
 * Checks that `folder` still holds as many files, folder by folder, as
 * `expected`. `call` is what the message tells the user to run again.
 *
 * @throws {DataError} A folder is missing or holds another count of files.
 *
 * @example
 * ```ts
 * import { checkComplete } from "./manifest.ts";
 *
 * await checkComplete("data/mnist_sample", { "train/3": 6131 }, "untarData(URLs.MNIST_SAMPLE)");
 * ```
 */
export async function checkComplete(
  folder: string,
  expected: FileCounts,
  call: string,
): Promise<void> {
  const problems: string[] = [];
  let fewer = false;
  const added: string[] = [];
  for (const [sub, count] of Object.entries(expected)) {
    const names = await filesOf(join(folder, sub));
    const name = sub === "" ? "the folder itself" : sub;
    if (names === undefined) {
      problems.push(`${name} is missing`);
      fewer = true;
    } else if (names.length !== count) {
      problems.push(
        `${name} holds ${names.length.toLocaleString("en-US")} files where ` +
          `the archive has ${count.toLocaleString("en-US")}`,
      );
      if (names.length < count) fewer = true;
      else {
        // The newest files are the likeliest additions.
        const stats = await Promise.all(
          names.map(async (n) => ({
            n,
            t: (await Deno.stat(join(folder, sub, n))).mtime?.getTime() ?? 0,
          })),
        );
        added.push(
          ...stats.sort((a, b) => b.t - a.t).slice(0, names.length - count)
            .map(({ n }) => join(sub, n)),
        );
      }
    }
  }
  if (problems.length === 0) return;
  const listed = `${problems.slice(0, 3).join("; ")}` +
    `${problems.length > 3 ? "; ..." : ""}`;
  if (!fewer) {
    throw new DataError(
      `${folder} holds files its archive did not: ${listed} (the newest: ` +
        `${added.slice(0, 3).join(", ")}${added.length > 3 ? ", ..." : ""}). ` +
        "Move files you added out of the data set's folders, or delete the " +
        `folder ${folder} and run ${call} again, which extracts it anew.`,
    );
  }
  throw new DataError(
    `${folder} is incomplete: ${listed}. Files were deleted from it, or ` +
      `its extraction was interrupted. Delete the folder ${folder} and run ` +
      `${call} again, which extracts it anew.`,
  );
}

/**
 * Records `counts` as what `folder` holds, with the archive it came from.
 *
 * @example
 * ```ts
 * import { writeManifest } from "./manifest.ts";
 *
 * await writeManifest("data/digits", { "": 3 }, "digits.tgz");
 * ```
 */
export async function writeManifest(
  folder: string,
  counts: FileCounts,
  source: string,
): Promise<void> {
  await Deno.writeTextFile(
    manifestPath(folder),
    JSON.stringify({ source, files: counts }, null, 1) + "\n",
  );
}
