/**
 * Saved cursors (src/client/paging.ts): `<table>|<Convex's cursor>`, so a
 * cursor saved for one table is refused for another before anything reads it.
 */
import { describe, expect, test } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/client/paging.js";
import { refused } from "./refused.js";

describe("encodeCursor and decodeCursor", () => {
  test.each([
    ["users", "abc"],
    ["users", ""],
    // Convex's cursor is opaque: a separator inside it belongs to it.
    ["users", "a|b|c"],
    ["posts", '{"id":"k57…","ts":1}'],
    ["users", "x".repeat(2_000)],
  ])("table %j and cursor %j round-trip", (table, native) => {
    const saved = encodeCursor(table, native);
    expect(saved).toBe(`${table}|${native}`);
    expect(decodeCursor(table, saved)).toBe(native);
  });

  test("null is the start of the range, for any table", () => {
    expect(decodeCursor("users", null)).toBeNull();
    expect(decodeCursor("posts", null)).toBeNull();
  });
});

describe("decodeCursor refuses", () => {
  test.each([
    ["no separator", "abc"],
    ["an empty string", ""],
    ["no table before the separator", "|abc"],
  ])("a cursor with %s, and says what cursors look like", (_name, cursor) => {
    const data = refused(() => decodeCursor("users", cursor), "InvalidCursor");
    expect(data.table).toBe("users");
    expect(data.message).toContain('cursors look like "users|…"');
    expect(data.message).toContain('{"reset": true}');
  });

  test.each([
    ["posts|abc", "posts"],
    ["Users|abc", "Users"],
    ["users_archive|abc", "users_archive"],
  ])("%j, saved for table %s, for a migration over users", (cursor, cursorTable) => {
    const data = refused(() => decodeCursor("users", cursor), "InvalidCursor");
    expect(data).toMatchObject({ table: "users", cursorTable });
    expect(data.message).toContain(`saved for table "${cursorTable}"`);
  });

  test("a long cursor is quoted only in part", () => {
    const data = refused(() => decodeCursor("users", "y".repeat(500)), "InvalidCursor");
    expect(data.message).toContain(JSON.stringify("y".repeat(80)));
    expect(data.message).not.toContain("y".repeat(81));
  });
});
