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
  "hooks.ts",
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
 * Imports against the rule, as `importer -> imported` (paths under `lib/`),
 * each to be listed here with the reason it must stay. None today: issue 17
 * closed the twelve doors to `fast/` that the lesson, `load/` and `plot/`
 * had (`mod.ts` is the one door; the lesson reaches `fast/` only through the
 * hooks of the base's `hooks.ts`, which `fast/` fills in).
 */
const KNOWN_EXCEPTIONS: readonly string[] = [];

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));
const TESTS = fileURLToPath(new URL("./", import.meta.url));

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

/**
 * The files of `lib/` that compute with tensors: those importing TensorFlow.js
 * (not only its types), and those importing such a file.
 */
async function tensorFiles(): Promise<Set<string>> {
  const direct = new Map<string, string[]>();
  const uses = new Set<string>();
  for (const file of await libFiles()) {
    const source = await Deno.readTextFile(join(LIB, file));
    const code = codeOnly(source);
    if (/\bimport\s+(?!type\b)[^;]*?from\s*"@tensorflow\/tfjs"/.test(code)) {
      uses.add(file);
    }
    direct.set(
      file,
      specifiers(source).filter((s) => s.startsWith(".")).map((s) =>
        relative(LIB, join(LIB, dirname(file), s))
      ),
    );
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const [file, targets] of direct) {
      if (!uses.has(file) && targets.some((t) => uses.has(t))) {
        uses.add(file);
        grew = true;
      }
    }
  }
  return uses;
}

/**
 * The test files (and their helpers and child scripts) that compute with
 * tensors but do not import `tests/_backend.ts`: they would run on
 * TensorFlow.js's default backend, without the speed pieces and hooks the
 * notebooks have.
 */
async function testsWithoutBackend(): Promise<string[]> {
  const tensors = await tensorFiles();
  const missing: string[] = [];
  for await (const entry of Deno.readDir(TESTS)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    if (entry.name === "_backend.ts" || entry.name === "layers_test.ts") {
      continue;
    }
    const found = specifiers(await Deno.readTextFile(join(TESTS, entry.name)));
    const computes = found.some((s) =>
      s === "@tensorflow/tfjs" ||
      (s.startsWith("../lib/") && tensors.has(s.slice("../lib/".length)))
    );
    // The tests of fast/ itself may open its door directly.
    const door = found.includes("./_backend.ts") ||
      found.includes("../lib/fast/backend.ts");
    if (computes && !door) missing.push(entry.name);
  }
  return missing.sort();
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
  assert.equal(breach("mod.ts -> fast/backend.ts"), undefined); // the door
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

Deno.test("the one door: only mod.ts imports fast/ from outside it", async () => {
  const edges = await libImports();
  const doors = edges.filter((edge) => {
    const [from, to] = edge.split(" -> ");
    return to.startsWith("fast/") && !from.startsWith("fast/");
  });
  assert.deepEqual(doors, ["mod.ts -> fast/backend.ts"]);
});

Deno.test("every test computing with tensors starts the backend through tests/_backend.ts", async () => {
  const tensors = await tensorFiles();
  assert.ok(tensors.has("loss.ts") && tensors.has("load/mnist.ts"));
  assert.ok(!tensors.has("errors.ts"));
  assert.deepEqual(await testsWithoutBackend(), []);
});

Deno.test("every listed exception still happens (else take it off)", async () => {
  const edges = await libImports();
  assert.deepEqual(KNOWN_EXCEPTIONS.filter((e) => !edges.includes(e)), []);
});
