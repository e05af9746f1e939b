/** For the unit tests: what a synchronous call refused with, as this package's error data. */
import { expect } from "vitest";
import {
  describeError,
  isRolloutError,
  type RolloutErrorData,
  type RolloutErrorKind,
} from "../../src/shared/errors.js";

/** Calls `call`, which must throw this package's error of `kind`; answers its data. */
export function refused(call: () => unknown, kind: RolloutErrorKind): RolloutErrorData {
  let thrown: unknown = undefined;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) expect.fail(`expected a ${kind} error, but the call returned`);
  if (!isRolloutError(thrown)) {
    expect.fail(`expected a ${kind} error, but got: ${describeError(thrown)}`);
  }
  expect(thrown.data.kind).toBe(kind);
  return thrown.data;
}
