/**
 * Reading an environment variable without a permission prompt.
 *
 * @module
 */

/**
 * The value of the environment variable `name`, or `undefined` when it is
 * unset, empty, or not readable (no `env` permission: then it counts as
 * unset, and nothing prompts or throws).
 *
 * @example
 * ```ts
 * import { envVar } from "./env.ts";
 *
 * const source = envVar("MNIST_SAMPLE_URL") ?? "the official URL";
 * ```
 */
export function envVar(name: string): string | undefined {
  const env = { name: "env", variable: name } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return undefined;
  return Deno.env.get(name) || undefined;
}
