import { Rollouts } from "convex-rollouts";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";
import { countWords } from "./posts";

export const migrations = new Rollouts<DataModel>(components.rollouts, { internalMutation });

/** Users created before plans existed get the free plan. */
export const setDefaultPlan = migrations.define({
  table: "users",
  migrateOne: (_ctx, user) => (user.plan === undefined ? { plan: "free" } : undefined),
});

/** Posts written before word counts existed get one. */
export const countPostWords = migrations.define({
  table: "posts",
  migrateOne: (_ctx, post) =>
    post.wordCount === undefined ? { wordCount: countWords(post.body) } : undefined,
});

/** Archives empty posts: only the index range with a word count of 0, each batch in parallel. */
export const archiveEmptyPosts = migrations.define({
  table: "posts",
  customRange: (q) => q.withIndex("by_wordCount", (q) => q.eq("wordCount", 0)),
  parallelize: true,
  batchSize: 50,
  migrateOne: (_ctx, post) => (post.archived ? undefined : { archived: true }),
});

// npx convex run migrations:run '{fn: "migrations:setDefaultPlan"}'
export const run = migrations.runner();

// After a deploy: npx convex deploy --cmd 'npm run build' && npx convex run migrations:runAll --prod
export const runAll = migrations.runner([
  internal.migrations.setDefaultPlan,
  internal.migrations.countPostWords,
  internal.migrations.archiveEmptyPosts,
]);

// npx convex run migrations:status --watch
export const { status, cancel, cancelAll } = migrations.api();
