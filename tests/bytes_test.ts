/**
 * Byte counts in messages (`lib/bytes.ts`): megabytes of 1,000,000 bytes,
 * one digit after the point unless told otherwise.
 */
import assert from "node:assert/strict";
import { megabytes } from "../lib/bytes.ts";

Deno.test("bytes print as megabytes with one digit", () => {
  assert.equal(megabytes(3_141_592), "3.1 MB");
  assert.equal(megabytes(64_000_000), "64.0 MB");
  assert.equal(megabytes(0), "0.0 MB");
  assert.equal(megabytes(49_999), "0.0 MB");
  assert.equal(megabytes(50_000), "0.1 MB");
});

Deno.test("a cap prints as whole megabytes, rounded to the nearest", () => {
  assert.equal(megabytes(256_000_000, { digits: 0 }), "256 MB");
  assert.equal(megabytes(1_499_999, { digits: 0 }), "1 MB");
  assert.equal(megabytes(1_500_000, { digits: 0 }), "2 MB");
});

Deno.test("without its unit, for a range such as 1.6 / 3.2 MB", () => {
  assert.equal(
    `${megabytes(1_600_000, { unit: false })} / ${megabytes(3_200_000)}`,
    "1.6 / 3.2 MB",
  );
});
