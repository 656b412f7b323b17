/**
 * A child process for `routines_test.ts`: turns the piece `secondCore` on,
 * waits for the worker, splits one large product with it, prints
 * `splits N`, and ends without stopping the worker: the process must end
 * all the same.
 *
 * `deno run -P=test tests/_second_core_child.ts`
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "../lib/fast/backend.ts";
import { setFast } from "../lib/fast/speed.ts";
import { secondCoreSplits } from "../lib/fast/routines.ts";
import { secondCore } from "../lib/fast/second_core.ts";

setFast({ secondCore: true });
for (let tries = 0; secondCore() === null && tries < 100; tries++) {
  await new Promise((done) => setTimeout(done, 50));
}
const x = tf.randomUniform([1024, 784], -1, 1, "float32", 1);
const w = tf.randomUniform([784, 32], -1, 1, "float32", 2);
x.matMul(w).dataSync();
console.log(`splits ${secondCoreSplits()}`);
