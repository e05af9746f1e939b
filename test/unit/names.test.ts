/** The "did you mean" of a rollout name: a name misspelled by case or separators only. */
import { describe, expect, test } from "vitest";
import { closeName } from "../../src/shared/names.js";

const KNOWN = ["users.emailDomain", "users.bio", "users.splitName"];

describe("closeName", () => {
  test.each<[string, string | null]>([
    ["users.emaildomain", "users.emailDomain"],
    ["Users.EmailDomain", "users.emailDomain"],
    ["users_emailDomain", "users.emailDomain"],
    [" users.bio", "users.bio"],
    ["users.split", null],
    ["posts.bio", null],
    ["users.emailDomain", null],
  ])("%s → %s", (name, close) => {
    expect(closeName(name, KNOWN)).toBe(close);
  });

  test("two that fit are no answer", () => {
    expect(closeName("a.b", ["a.B", "A.b"])).toBeNull();
  });
});
