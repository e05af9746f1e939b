/**
 * `npm run bench:parallel`: the parallel-runs benchmark (parallel.bench.ts). It
 * runs under vitest for its fake timers, which let it run the batches due at
 * one moment as one round; it is not part of `npm test`.
 */
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Only the benchmark: not the tests' file list.
    include: ["scripts/bench/parallel.bench.ts"],
    environment: "node",
    testTimeout: 3_600_000,
  },
});
