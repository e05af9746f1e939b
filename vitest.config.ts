import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the package from source, so the example app and the component
    // share one copy of the client and shared modules.
    alias: [
      { find: /^convex-rollouts\/migrations\/test$/, replacement: src("migrations/test.ts") },
      {
        find: /^convex-rollouts\/migrations\/convex\.config(\.js)?$/,
        replacement: src("migrations/component/convex.config.ts"),
      },
      { find: /^convex-rollouts\/migrations$/, replacement: src("migrations/index.ts") },
      { find: /^convex-rollouts\/test$/, replacement: src("test.ts") },
      {
        find: /^convex-rollouts\/convex\.config(\.js)?$/,
        replacement: src("component/convex.config.ts"),
      },
      { find: /^convex-rollouts$/, replacement: src("client/index.ts") },
    ],
  },
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["test/**/*.test.ts"],
    // vitest's default is one worker fewer than the cores: one worker on a 2-core machine, which
    // runs the files one after the other while the other core idles. At least two, so both
    // cores work; the longest files start first (vitest orders by last duration, else by size).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // convex-test scans whole tables per query: the larger fixtures take seconds on a busy machine.
    testTimeout: 30_000,
  },
});
