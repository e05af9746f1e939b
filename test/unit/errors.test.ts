/**
 * The package's one error style (src/shared/errors.ts): a `ConvexError` whose
 * data names the kind and says what to do next; the guard that tells them
 * apart; the description of anything thrown; the whole-number check behind
 * every count, size and delay.
 */
import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import {
  ERROR_KINDS,
  checkBatchSize,
  checkWholeNumber,
  describeError,
  isRolloutError,
  rolloutError,
  type RolloutErrorKind,
} from "../../src/shared/errors.js";
import { refused } from "./refused.js";

describe("rolloutError", () => {
  test.each(ERROR_KINDS.map((kind) => [kind]))(
    "%s: data names the kind and the message",
    (kind) => {
      const error = rolloutError(kind, "Do this next.", { name: "migrations:x" });
      expect(error).toBeInstanceOf(ConvexError);
      expect(error.data).toEqual({ kind, message: "Do this next.", name: "migrations:x" });
    },
  );

  test("absent details are dropped (Convex values cannot hold undefined)", () => {
    const error = rolloutError("InvalidArgument", "m", { a: undefined, b: null, c: 0 });
    expect(error.data).toEqual({ kind: "InvalidArgument", message: "m", b: null, c: 0 });
    expect("a" in error.data).toBe(false);
  });

  test("a detail cannot overwrite the kind or the message", () => {
    const error = rolloutError("UnknownRollout", "real", { kind: "fake", message: "fake" });
    expect(error.data).toMatchObject({ kind: "UnknownRollout", message: "real" });
  });
});

describe("isRolloutError", () => {
  const ours = rolloutError("PhaseGateClosed", "closed", {
    rollout: "r",
    from: "backfill",
    to: "readNew",
    command: "npx convex run migrations:status --watch",
  });
  test.each<[string, unknown, RolloutErrorKind | undefined, boolean]>([
    ["ours, any kind", ours, undefined, true],
    ["ours, that kind", ours, "PhaseGateClosed", true],
    ["ours, another kind", ours, "UnknownRollout", false],
    ["a ConvexError with a string", new ConvexError("Sign in first"), undefined, false],
    [
      "a ConvexError of an unknown kind",
      new ConvexError({ kind: "Other", message: "m" }),
      undefined,
      false,
    ],
    ["a ConvexError without a kind", new ConvexError({ message: "m" }), undefined, false],
    ["a ConvexError holding null", new ConvexError(null), undefined, false],
    ["a plain Error", new Error("PhaseGateClosed"), undefined, false],
    [
      "an Error carrying our data",
      Object.assign(new Error("x"), { data: ours.data }),
      undefined,
      false,
    ],
    ["a bare object", { data: ours.data }, undefined, false],
    ["a string", "PhaseGateClosed", undefined, false],
    ["undefined", undefined, undefined, false],
  ])("%s → %s", (_name, error, kind, expected) => {
    expect(isRolloutError(error, kind)).toBe(expected);
  });
});

describe("describeError", () => {
  test.each<[string, unknown, string]>([
    [
      "our error: its message",
      rolloutError("InvalidCursor", "Use another cursor."),
      "Use another cursor.",
    ],
    ["a ConvexError with a string", new ConvexError("Sign in first"), "Sign in first"],
    ["a ConvexError with a message field", new ConvexError({ message: "m", code: 4 }), "m"],
    ["a ConvexError with a non-string message", new ConvexError({ message: 42 }), "42"],
    ["a ConvexError with other data: as JSON", new ConvexError({ code: 4 }), '{"code":4}'],
    ["a ConvexError holding a number", new ConvexError(7), "7"],
    ["an Error: its message", new TypeError("x is not a function"), "x is not a function"],
    ["a string", "plain", "plain"],
    ["a number", 3, "3"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
  ])("%s", (_name, error, text) => {
    expect(describeError(error)).toBe(text);
  });
});

describe("checkWholeNumber", () => {
  test.each<[number | undefined, { min: number; max?: number }]>([
    [undefined, { min: 1 }],
    [0, { min: 0 }],
    [1, { min: 1, max: 1 }],
    [3_600_000, { min: 0, max: 3_600_000 }],
    [Number.MAX_SAFE_INTEGER, { min: 0 }],
    [-5, { min: -10, max: 0 }],
  ])("accepts %j within %j", (value, range) => {
    expect(() => checkWholeNumber("n", value, range)).not.toThrow();
  });

  test.each<[number, { min: number; max?: number }, string, number | string]>([
    [0, { min: 1 }, "from 1 up; got 0.", 0],
    [11, { min: 1, max: 10 }, "from 1 to 10; got 11.", 11],
    [-1, { min: 0, max: 10 }, "from 0 to 10; got -1.", -1],
    [1.5, { min: 1 }, "from 1 up; got 1.5.", 1.5],
    [Number.NaN, { min: 1 }, "from 1 up; got NaN.", "NaN"],
    [Number.POSITIVE_INFINITY, { min: 1 }, "from 1 up; got Infinity.", "Infinity"],
    [Number.NEGATIVE_INFINITY, { min: 1 }, "from 1 up; got -Infinity.", "-Infinity"],
  ])("refuses %s within %j", (value, range, says, detail) => {
    const data = refused(() => checkWholeNumber("delayMs", value, range), "InvalidArgument");
    expect(data.message).toBe(`delayMs must be a whole number ${says}`);
    // The detail is a Convex value: NaN and the infinities travel as strings.
    expect(data.delayMs).toBe(detail);
  });

  test("the hint follows the message, and the kind can be chosen", () => {
    const data = refused(
      () => checkWholeNumber("limit", 0, { min: 1, hint: "Try 20.", kind: "InvalidBatchSize" }),
      "InvalidBatchSize",
    );
    expect(data.message).toBe("limit must be a whole number from 1 up; got 0. Try 20.");
  });
});

describe("checkBatchSize", () => {
  test.each([undefined, 1, 100, 16_000])("accepts %j", (size) => {
    expect(() => checkBatchSize(size, 16_000)).not.toThrow();
  });

  test.each([0, -1, 16_001, 2.5, Number.NaN])(
    "refuses %s with InvalidBatchSize and an example",
    (size) => {
      const data = refused(() => checkBatchSize(size, 16_000), "InvalidBatchSize");
      expect(data.message).toContain("from 1 to 16000");
      expect(data.message).toContain("{batchSize: 100}");
      expect(data.message).toContain("write limit");
    },
  );
});

test("the kinds are ten, distinct, in PascalCase", () => {
  expect(ERROR_KINDS).toHaveLength(10);
  expect(new Set(ERROR_KINDS).size).toBe(ERROR_KINDS.length);
  for (const kind of ERROR_KINDS) expect(kind).toMatch(/^[A-Z][A-Za-z]+$/);
});
