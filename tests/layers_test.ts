/**
 * The layers of `lib/` and which may import which, as `lib/mod.ts` and the
 * README describe them: every file of `lib/` is read, its imports found, and
 * each import checked against the allowed edges below. The few imports that
 * break the rule today are listed one by one, so that a new one fails, and so
 * does a listed one that is gone (then take it off the list).
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The layers, from the top. */
type Layer = "face" | "plot" | "lesson" | "load" | "fast" | "base";

/**
 * The base: files at the top of `lib/` that every layer may use. Every other
 * file at the top is the lesson, except `mod.ts`, the face.
 */
const BASE: readonly string[] = [
  "bytes.ts",
  "env.ts",
  "errors.ts",
  "interrupt.ts",
  "random.ts",
  "tensors.ts",
];

/** The layers each layer may import, besides its own. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  face: ["plot", "lesson", "load", "fast", "base"],
  plot: ["lesson", "load", "base"],
  lesson: ["base"],
  load: ["base"],
  fast: ["base"],
  base: [],
};

/**
 * Today's imports against the rule, as `importer -> imported` (paths under
 * `lib/`). Each is a door to `fast/` (or, once, from it) that issue 17's
 * "one door to fast/" is to close.
 */
const KNOWN_EXCEPTIONS: readonly string[] = [
  // Lesson files starting the backend, or taking one speed piece.
  "conv.ts -> fast/backend.ts",
  "dataloader.ts -> fast/rows.ts",
  "learner.ts -> fast/backend.ts",
  "loss.ts -> fast/mnist_loss.ts",
  "model.ts -> fast/backend.ts",
  "multiclass.ts -> fast/cross_entropy.ts",
  "optim.ts -> fast/tape.ts",
  "regression.ts -> fast/backend.ts",
  "runs.ts -> fast/speed.ts",
  // The loader scaling gray levels with a routine of fast/.
  "load/mnist.ts -> fast/backend.ts",
  "load/mnist.ts -> fast/routines.ts",
  // Charts of tensors starting the backend.
  "plot/figures.ts -> fast/backend.ts",
  "plot/images.ts -> fast/backend.ts",
];

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));

/** The layer of a file, given by its path under `lib/`. */
function layerOf(path: string): Layer {
  const [top, ...rest] = path.split("/");
  if (rest.length === 0) {
    if (top === "mod.ts") return "face";
    return BASE.includes(top) ? "base" : "lesson";
  }
  if (top === "plot" || top === "load" || top === "fast") return top;
  throw new Error(
    `lib/${path}: lib/${top}/ is no layer; add it to ALLOWED in ` +
      "tests/layers_test.ts, lib/mod.ts's doc and the README's picture",
  );
}

/**
 * The source without its comments, and with the text of its regular
 * expressions and templates left out (each kept as `""`), so that an `import`
 * in a doc comment's `@example` is not taken for one. Strings stay whole: they
 * hold the specifiers.
 */
function codeOnly(source: string): string {
  let out = "";
  let i = 0;
  const braces: number[] = []; // open `{` per `${` of the templates we are in
  const regexMayStart = () => {
    const before = out.trimEnd();
    return before === "" || "(,=:[!&|?{};+-*%<>~^".includes(before.at(-1)!) ||
      /\breturn$/.test(before);
  };
  while (i < source.length) {
    const c = source[i], next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? source.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'") {
      const start = i;
      for (i++; i < source.length && source[i] !== c; i++) {
        if (source[i] === "\\") i++;
      }
      out += source.slice(start, ++i);
    } else if (c === "/" && regexMayStart()) {
      let inClass = false;
      for (i++; i < source.length; i++) {
        if (source[i] === "\\") i++;
        else if (source[i] === "[") inClass = true;
        else if (source[i] === "]") inClass = false;
        else if (source[i] === "/" && !inClass) break;
      }
      i++;
      out += '""';
    } else if (c === "`" || (c === "}" && braces.at(-1) === 0)) {
      if (c === "}") braces.pop();
      // The text of a template, up to its end or to its next `${`.
      for (i++; i < source.length && source[i] !== "`"; i++) {
        if (source[i] === "\\") i++;
        else if (source[i] === "$" && source[i + 1] === "{") break;
      }
      if (source[i] === "$") {
        braces.push(0);
        i += 2;
      } else i++;
      out += '""';
    } else {
      if (braces.length > 0 && c === "{") braces[braces.length - 1]++;
      if (braces.length > 0 && c === "}") braces[braces.length - 1]--;
      out += c;
      i++;
    }
  }
  return out;
}

/** The specifiers a module imports or re-exports, static and dynamic. */
function specifiers(source: string): string[] {
  const code = codeOnly(source);
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{][^;"'`]*?\bfrom\s*(["'])([^"']+)\1/g,
    /\bimport\s*(["'])([^"']+)\1/g,
    /\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/g,
  ];
  return patterns.flatMap((pattern) =>
    [...code.matchAll(pattern)].map((match) => match[2])
  );
}

/** Every `.ts` file under `lib/`, as paths under it. */
async function libFiles(folder = LIB): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) files.push(...await libFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(relative(LIB, path));
  }
  return files.sort();
}

/** Every import between files of `lib/`, as `importer -> imported`. */
async function libImports(): Promise<string[]> {
  const edges: string[] = [];
  for (const file of await libFiles()) {
    const source = await Deno.readTextFile(join(LIB, file));
    for (const specifier of specifiers(source)) {
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const target = relative(LIB, join(LIB, dirname(file), specifier));
      edges.push(`${file} -> ${target}`);
    }
  }
  return [...new Set(edges)].sort();
}

/** Why an import breaks the layers, or undefined when it may be. */
function breach(edge: string): string | undefined {
  const [from, to] = edge.split(" -> ");
  if (to.startsWith("../")) return `${edge}: lib/ imports nothing outside it`;
  const [a, b] = [layerOf(from), layerOf(to)];
  if (a === b || ALLOWED[a].includes(b)) return undefined;
  if (KNOWN_EXCEPTIONS.includes(edge)) return undefined;
  return `${edge}: ${a} may not import ${b} (it may import ${
    ALLOWED[a].join(", ") || "nothing else"
  })`;
}

Deno.test("the reader finds imports, and none in comments or templates", () => {
  const source = [
    "/**",
    " * @example",
    " * ```ts",
    ' * import { untarData } from "../mod.ts";',
    " * ```",
    " */",
    'import * as tf from "@tensorflow/tfjs";',
    "import {",
    "  a,",
    "  type B,",
    '} from "./a.ts";',
    'import type { C } from "../c.ts";',
    'import "./side.ts";',
    'export { d } from "./d.ts";',
    'export * from "./e.ts";',
    'const url = "http://x/*"; // import "./no.ts"',
    'const re = /import "\\/no.ts"/g;',
    'const text = `import "./no.ts" ${`${1}`} import("./no.ts")`;',
    'const later = await import("./f.ts");',
  ].join("\n");
  assert.deepEqual(specifiers(source).sort(), [
    "../c.ts",
    "./a.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./side.ts",
    "@tensorflow/tfjs",
  ]);
});

Deno.test("each file's layer follows from its folder", () => {
  assert.equal(layerOf("mod.ts"), "face");
  assert.equal(layerOf("errors.ts"), "base");
  assert.equal(layerOf("learner.ts"), "lesson");
  assert.equal(layerOf("load/png.ts"), "load");
  assert.equal(layerOf("plot/show.ts"), "plot");
  assert.equal(layerOf("fast/speed.ts"), "fast");
  assert.throws(() => layerOf("util/x.ts"), /lib\/util\/ is no layer/);
});

Deno.test("an import against the layers is named, with what is allowed", () => {
  assert.equal(breach("plot/progress.ts -> learner.ts"), undefined);
  assert.equal(breach("learner.ts -> fast/backend.ts"), undefined); // listed
  assert.equal(
    breach("learner.ts -> fast/speed.ts"),
    "learner.ts -> fast/speed.ts: lesson may not import fast " +
      "(it may import base)",
  );
  assert.equal(
    breach("errors.ts -> load/env.ts"),
    "errors.ts -> load/env.ts: base may not import load " +
      "(it may import nothing else)",
  );
  assert.match(breach("load/png.ts -> ../tools/x.ts")!, /nothing outside/);
});

Deno.test("no file of lib/ imports a layer it may not", async () => {
  const edges = await libImports();
  assert.ok(edges.length > 50, `only ${edges.length} imports found in lib/`);
  assert.deepEqual(edges.map(breach).filter((why) => why !== undefined), []);
});

Deno.test("every listed exception still happens (else take it off)", async () => {
  const edges = await libImports();
  assert.deepEqual(KNOWN_EXCEPTIONS.filter((e) => !edges.includes(e)), []);
});
