/**
 * Batch sizing against Convex's per-transaction limits (src/shared/limits.ts):
 * how an adaptive batch grows after a batch that committed, how much smaller
 * the retry of a batch that hit a limit is, and which error messages count as
 * a limit. (nestedBatchLimits is in decisions.test.ts.)
 */
import { describe, expect, test } from "vitest";
import {
  ADAPTIVE_MAX,
  ADAPTIVE_START,
  CONVEX_LIMITS,
  MAX_GROWTH,
  PAGE_READ_CAPS,
  TARGET_FRACTION,
  isLimitError,
  nextBatchSize,
  shrunkBatchSize,
  type Usage,
} from "../../src/shared/limits.js";

const MiB = 1024 * 1024;
const nothing: Usage = {
  bytesRead: 0,
  documentsRead: 0,
  databaseQueries: 0,
  bytesWritten: 0,
  documentsWritten: 0,
};
const used = (more: Partial<Usage>): Usage => ({ ...nothing, ...more });

describe("the constants agree with Convex's limits", () => {
  test("Convex's documented per-transaction limits", () => {
    expect(CONVEX_LIMITS).toEqual({
      bytesRead: 16 * MiB,
      documentsRead: 32_000,
      databaseQueries: 4_096,
      bytesWritten: 16 * MiB,
      documentsWritten: 16_000,
      executionMs: 1_000,
    });
  });

  test("an adaptive batch starts at 100, grows at most fourfold, and stops at a quarter of the write limit", () => {
    expect([ADAPTIVE_START, MAX_GROWTH, TARGET_FRACTION, ADAPTIVE_MAX]).toEqual([
      100, 4, 0.25, 4_000,
    ]);
  });

  test("a page stops reading at a quarter of the read limits", () => {
    expect(PAGE_READ_CAPS).toEqual({ maximumBytesRead: 4 * MiB, maximumRowsRead: 8_000 });
  });
});

describe("nextBatchSize", () => {
  test.each<[string, number, Partial<Usage>, number, number]>([
    // size, usage, processed → next
    ["nothing measured: the most growth", 100, {}, 100, 400],
    ["cheap batch: the most growth", 100, { documentsRead: 200, documentsWritten: 100 }, 100, 400],
    [
      "growth stops at the cap",
      2_000,
      { documentsWritten: 2_000, documentsRead: 4_000 },
      2_000,
      4_000,
    ],
    ["at the cap: stays there", 4_000, { documentsWritten: 4_000 }, 4_000, 4_000],
    // Writes are the binding resource: 1,000 docs written of a 4,000 target → ×4, capped; 2,000 → ×2.
    ["writes bind: half the target doubles", 1_000, { documentsWritten: 2_000 }, 1_000, 2_000],
    ["writes bind: at the target, the same size", 1_000, { documentsWritten: 4_000 }, 1_000, 1_000],
    ["writes bind: over the target, smaller", 1_000, { documentsWritten: 8_000 }, 1_000, 500],
    // Bytes bind for large documents: 100 docs read 2 MiB → 4 MiB target → ×2.
    ["bytes read bind", 100, { bytesRead: 2 * MiB, documentsRead: 200 }, 100, 200],
    ["bytes written bind", 100, { bytesWritten: 8 * MiB }, 100, 50],
    ["index ranges bind", 100, { databaseQueries: 2_048 }, 100, 50],
    // The most used resource decides, whatever the others say.
    [
      "the most used resource wins",
      400,
      { documentsRead: 800, bytesRead: 8 * MiB, documentsWritten: 400 },
      400,
      200,
    ],
    // A short page (end of range, or a read cap) is a poor measure: size from what was processed.
    ["a short page grows from what it processed", 1_000, {}, 10, 40],
    ["an empty page grows from one document", 1_000, {}, 0, 4],
    ["never below one document", 10, { bytesWritten: 1_000 * MiB }, 10, 1],
  ])("%s: %i after %j, %i processed → %i", (_name, size, usage, processed, next) => {
    expect(nextBatchSize(size, used(usage), processed)).toBe(next);
  });

  test("a negative or zero measure counts as nothing measured", () => {
    expect(nextBatchSize(100, used({ bytesRead: -5, documentsRead: 0 }), 100)).toBe(400);
  });

  test("from 100, small documents reach the cap in four batches: 100, 400, 1,600, 4,000", () => {
    const sizes = [ADAPTIVE_START];
    while (sizes.length < 5) {
      const size = sizes.at(-1)!;
      // Small documents: each read twice (page and patch), written once, a few hundred bytes.
      const usage = used({
        documentsRead: 2 * size,
        documentsWritten: size,
        bytesRead: 170 * size,
        bytesWritten: 95 * size,
        databaseQueries: 1,
      });
      sizes.push(nextBatchSize(size, usage, size));
    }
    expect(sizes).toEqual([100, 400, 1_600, 4_000, 4_000]);
  });
});

describe("shrunkBatchSize", () => {
  test.each([
    [4_000, 1_000],
    [400, 100],
    [100, 25],
    [10, 2],
    [7, 1],
    [4, 1],
    [3, 1],
    [1, 1],
  ])("%i → %i (a quarter, at least one)", (size, smaller) => {
    expect(shrunkBatchSize(size)).toBe(smaller);
  });
});

describe("isLimitError", () => {
  // Exactly as convex-test 0.0.60 throws them (src/transactionMetrics.ts), used for
  // `transactionLimits` in tests and for nested calls.
  const convexTest = [
    "Read too much data in a single function execution (limit: 16777216 bytes). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Scanned too many documents in a single function execution (limit: 32000). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Wrote too much data in a single function execution (limit: 16777216 bytes). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Wrote too many documents in a single function execution (limit: 16000). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Too many index ranges read in a single function execution (limit: 4096). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Scheduled too many functions in a single function execution (limit: 1000). This is a Convex limit: https://docs.convex.dev/production/state/limits",
    "Scheduled function arguments too large in a single function execution (limit: 16777216 bytes). This is a Convex limit: https://docs.convex.dev/production/state/limits",
  ];
  // As a deployment words them (the backend's transaction checks), alone and as the
  // CLI shows an uncaught one.
  const deployment = [
    "Too many bytes read in a single function execution (limit: 16777216 bytes).",
    "Too many documents read in a single function execution (limit: 32000).",
    "Too many reads in a single function execution (limit: 4096)",
    "Too many writes in a single function execution (limit: 16000)",
    "Too many bytes written in a single function execution (limit: 16777216 bytes)",
    "[Request ID: 8eb9e89c9a911670] Server Error\nUncaught Error: Too many bytes read in a single function execution (limit: 16777216 bytes).",
    // Scaled-down limits, as tests set them.
    "Wrote too many documents in a single function execution (limit: 150).",
  ];
  test.each([...convexTest, ...deployment])("a limit: %s", (message) => {
    expect(isLimitError(message)).toBe(true);
  });

  // What a migrateOne or a deploy may throw, which says nothing of the batch's size.
  test.each([
    'cannot migrate "FAIL 3"',
    "Uncaught Error: Document not found",
    "Validator error: Missing required field `plan` in object",
    "Could not find function for 'migrations:gone'. Did you forget to run `npx convex dev`?",
    "Function migrations:gone not found",
    "Too many requests",
    "The limit of this plan is 5 seats",
    "",
  ])("not a limit: %j", (message) => {
    expect(isLimitError(message)).toBe(false);
  });
});
