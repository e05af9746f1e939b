/**
 * Progress, percent and ETA of a run (src/shared/progress.ts): against a given
 * estimate, and, on a first run over the default order, against the rough
 * estimate from where the cursor lies among the table's creation times.
 */
import { describe, expect, test } from "vitest";
import { progressOf, type ProgressInput } from "../../src/shared/progress.js";

const run = (more: Partial<ProgressInput>): ProgressInput => ({
  done: false,
  processed: 0,
  rate: null,
  ...more,
});
const span = { first: 1_000, newest: 2_000 };

describe("progressOf", () => {
  test.each<[string, Partial<ProgressInput>, ReturnType<typeof progressOf>]>([
    [
      "a given estimate: percent and ETA, not marked",
      { processed: 200, estimatedTotal: 400, rate: 100 },
      { estimatedTotal: 400, percent: 50, etaMs: 2_000 },
    ],
    [
      "a given estimate wins over the span",
      { processed: 200, estimatedTotal: 400, span, reached: 1_900, rate: 100 },
      { estimatedTotal: 400, percent: 50, etaMs: 2_000 },
    ],
    [
      "a quarter of the span covered with 250 read: about 1,000, marked as an estimate",
      { processed: 250, span, reached: 1_250, rate: 50 },
      { estimatedTotal: 1_000, estimateFrom: "creationTime", percent: 25, etaMs: 15_000 },
    ],
    [
      "past the newest document (written since the start): no less than what was read",
      { processed: 900, span, reached: 2_500, rate: 100 },
      { estimatedTotal: 900, estimateFrom: "creationTime", percent: 99.9, etaMs: 0 },
    ],
    [
      "nothing read yet: no estimate",
      { processed: 0, span, reached: undefined },
      { estimatedTotal: null, percent: null, etaMs: null },
    ],
    [
      "documents all created at once say nothing about the count",
      { processed: 10, span: { first: 5, newest: 5 }, reached: 5 },
      { estimatedTotal: null, percent: null, etaMs: null },
    ],
    [
      "a custom range (no span): no estimate",
      { processed: 10, reached: 1_500 },
      { estimatedTotal: null, percent: null, etaMs: null },
    ],
    [
      "done is 100% whatever the estimate",
      { done: true, processed: 10, span, reached: 1_100, rate: 5 },
      { estimatedTotal: 100, estimateFrom: "creationTime", percent: 100, etaMs: null },
    ],
  ])("%s", (_, input, expected) => {
    expect(progressOf(run(input))).toEqual(expected);
  });
});
