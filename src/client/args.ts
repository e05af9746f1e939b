/** The arguments the app's migration functions take, as validators. */
import { v } from "convex/values";
import { vOnError, vStep } from "../shared/validators.js";

/**
 * What a person (or a runner) may pass to a migration made by `define()`, and
 * the component's `step`.
 */
export const vMigrationArgs = {
  fn: v.optional(v.string()),
  cursor: v.optional(v.union(v.string(), v.null())),
  batchSize: v.optional(v.number()),
  dryRun: v.optional(v.boolean()),
  maxBatches: v.optional(v.number()),
  reset: v.optional(v.boolean()),
  next: v.optional(v.array(v.string())),
  delayMs: v.optional(v.number()),
  onError: v.optional(vOnError),
  retryFailed: v.optional(v.boolean()),
  estimatedTotal: v.optional(v.number()),
  parallelism: v.optional(v.number()),
  by: v.optional(v.string()),
  step: v.optional(vStep),
};
