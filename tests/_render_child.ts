/**
 * A process that draws a chart, for the tests that watch its browser from
 * outside: it prints the name of its browser's profile folder, then either
 * stays up (`stay`, until killed) or ends without closing the browser, by
 * itself (`exit`) or by `Deno.exit` (`Deno.exit`).
 *
 * @module
 */
import { linePlot } from "../lib/plot/charts.ts";
import { renderPng } from "../lib/plot/render.ts";

const data = new URL("../data/", import.meta.url);
const names = () =>
  new Set(
    [...Deno.readDirSync(data)].map((e) => e.name).filter((n) =>
      n.startsWith(".browser-")
    ),
  );
const before = names();
await renderPng(linePlot({ y: [1, 2, 3] }), { width: 200, height: 100 });
const [profile] = [...names()].filter((name) => !before.has(name));
console.log(JSON.stringify({ profile }));
if (Deno.args[0] === "stay") setInterval(() => {}, 1000);
if (Deno.args[0] === "Deno.exit") Deno.exit(0);
