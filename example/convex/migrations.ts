import { Rollouts } from "convex-rollouts";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";
import { countWords } from "./posts";
import { domainOf, joinName, splitName } from "./names";
import { triggers } from "./triggers";

// Migrations write through the plain internalMutation: none of them writes the email while
// users.emailDomain is live. One that does would pass the wrapped one from ./triggers instead,
// so that its writes are converted too (at the triggers' cost of reads per write).
export const migrations = new Rollouts<DataModel>(components.rollouts, { internalMutation });

/** Users created before plans existed get the free plan. */
export const setDefaultPlan = migrations.define({
  table: "users",
  migrateOne: (_ctx, user) => (user.plan === undefined ? { plan: "free" } : undefined),
});

/**
 * Emails trimmed and lowercased. One with no "@" cannot be normalized: it is
 * recorded in the failure ledger and the run goes on (`onError: "skip"`); fix
 * it, then `npx convex run migrations:normalizeEmails '{retryFailed: true}'`.
 */
export const normalizeEmails = migrations.define({
  table: "users",
  onError: "skip",
  migrateOne: (_ctx, user) => {
    const email = user.email.trim().toLowerCase();
    if (!email.includes("@")) throw new Error(`"${user.email}" is not an email address`);
    return email === user.email ? undefined : { email };
  },
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

/** Fills firstName and lastName from name, for users written before the split. */
export const fillNameParts = migrations.define({
  table: "users",
  migrateOne: (_ctx, user) => {
    const parts = splitName(user.name);
    const current = user.firstName === parts.firstName && user.lastName === parts.lastName;
    return current ? undefined : parts;
  },
});

/**
 * The staged split of `name` into firstName and lastName. users.ts writes the
 * new fields from dualWrite on and reads them from readNew on.
 */
export const nameSplit = migrations.rollout("users.splitName", {
  backfill: internal.migrations.fillNameParts,
  table: "users",
  verify: (user) => user.firstName !== undefined && joinName(user) === user.name,
});

/**
 * The declarative form: each user's email domain, kept in step with the email.
 * The package backfills it (`usersEmailDomain`, below), verifies it, writes it
 * on every write through the app's wrapped mutations from dualWrite on, and
 * reads it typed (`emailDomain.read(ctx, user).emailDomain` is a string).
 */
export const emailDomain = migrations.reshape("users.emailDomain", {
  table: "users",
  up: (user) => ({ emailDomain: domainOf(user.email) }),
  validator: { emailDomain: v.string() },
  triggers,
});
/** Its backfill, under the name the component calls: npx convex run migrations:usersEmailDomain */
export const usersEmailDomain = emailDomain.backfill;

/**
 * A field moved to another table: each user's bio goes to their profile. The
 * package copies it over on every write from dualWrite on (and back, until
 * complete, so new code may write only profiles from readNew on), backfills
 * the rest, verifies the two tables agree, and reads it where it is the truth
 * (`bioToProfiles.moved(ctx, user)`).
 */
export const bioToProfiles = migrations.reshape("users.bio", {
  table: "users",
  ...migrations
    .recipes("users")
    .moveField("bio", { to: "profiles", index: "by_user", key: "userId" }),
  triggers,
});
export const usersBio = bioToProfiles.backfill;

// npx convex run migrations:run '{fn: "migrations:setDefaultPlan"}'
export const run = migrations.runner();

// After a deploy: npx convex deploy --cmd 'npm run build' && npx convex run migrations:runAll --prod
export const runAll = migrations.runner([
  internal.migrations.setDefaultPlan,
  internal.migrations.countPostWords,
  internal.migrations.archiveEmptyPosts,
]);

// npx convex run migrations:status --watch
// npx convex run migrations:advance '{rollout: "users.splitName", to: "dualWrite"}'
export const { status, cancel, pause, resume, advance, rollback } = migrations.api();
export const { cancelAll, throttle, history, plan, verify } = migrations.api();
