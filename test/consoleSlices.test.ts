// @vitest-environment node
/**
 * The console shows a parallel run as one row with its live slices, from the
 * status the component answers (test/parallel.test.ts), rendered on the server.
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { MigrationStatus } from "../src/client/index.js";
import { MigrationRow } from "../src/react/MigrationRow.js";
import { fn } from "./fixtures/parallel.js";
import { runScheduledOnce, seedPosts, setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("a parallel run's row lists its live slices", async () => {
  const t = setup();
  await seedPosts(t, 300);
  await t.mutation(fn("mutation", "bump"), {});
  await runScheduledOnce(t);
  const { migrations } = (await t.query(fn("query", "status"), {
    names: ["parallel:bump"],
  })) as { migrations: MigrationStatus[] };
  const html = renderToStaticMarkup(createElement(MigrationRow, { migration: migrations[0]! }));
  expect(html).toContain("4 slices at once");
  expect(html.match(/data-testid="slice"/g)).toHaveLength(4);
  expect(html).toContain("slice 0: running · 25 processed in 1 batch");
});
