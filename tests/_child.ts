/**
 * What the tests' child processes print when they are done: one JSON line
 * holding the error a call ended with (its `name` and `message`, both absent
 * when it ended well) and whatever else the parent test wants to check. The
 * parent reads the line that starts with `{`.
 *
 * @module
 */

/**
 * Prints `error`'s name and message, and `extra`, as one JSON line.
 *
 * @example
 * ```ts
 * import { reportOutcome } from "./_child.ts";
 *
 * reportOutcome(new RangeError("too far"), { seconds: 1.5 });
 * // {"name":"RangeError","message":"too far","seconds":1.5}
 * ```
 */
export function reportOutcome(
  error: unknown,
  extra: Readonly<Record<string, unknown>> = {},
): void {
  console.log(JSON.stringify({
    name: (error as Error | undefined)?.name,
    message: (error as Error | undefined)?.message,
    ...extra,
  }));
}
