/**
 * Seeding the example app with data from before its migrations, and checking
 * the data after them. Inserts go in chunks, one `t.run` transaction each, the
 * way an import into a real deployment would (a transaction writes at most
 * 16,000 documents there).
 */
import type { Id } from "../example/convex/_generated/dataModel.js";
import { countWords } from "../example/convex/posts.js";
import type { ExampleT } from "./exampleApp.js";

export type SeedSizes = { users: number; posts: number; chunk?: number };

export type Seeded = {
  users: number;
  /** Users from before plans existed: what setDefaultPlan changes. */
  usersWithoutPlan: number;
  free: number;
  pro: number;
  posts: number;
  /** Posts whose body has no words: what archiveEmptyPosts archives. */
  emptyPosts: number;
};

/** About 1.5% of users signed up after plans existed. */
const PLAN_EVERY = 67;
/** One post in 20 has an empty or blank body. */
const EMPTY_EVERY = 20;
const WORDS = (
  "rollout batch cursor schema index deploy migrate backfill plan user post " +
  "count word archive table query mutation scheduler resume cancel status"
).split(" ");

/** Emails as people typed them: some in capitals, a few with no "@" at all. */
export const BAD_EMAIL_EVERY = 4_001;
function emailFor(i: number): string {
  if (i % BAD_EMAIL_EVERY === 7) return `user${i} at example.com`;
  return i % 10 === 3 ? ` User${i}@Example.COM` : `user${i}@example.com`;
}

export async function seedExample(
  t: ExampleT,
  { users, posts, chunk = 1000 }: SeedSizes,
  onChunk?: (table: "users" | "posts", done: number) => void,
): Promise<Seeded> {
  if (posts > 0 && users === 0) throw new Error("Posts need at least one user.");
  const seeded: Seeded = {
    users,
    usersWithoutPlan: 0,
    free: 0,
    pro: 0,
    posts,
    emptyPosts: 0,
  };
  const userIds: Id<"users">[] = [];
  for (let start = 0; start < users; start += chunk) {
    const end = Math.min(users, start + chunk);
    const docs = range(start, end).map((i) => {
      const plan = i % PLAN_EVERY === 0 ? planFor(i) : undefined;
      if (plan === undefined) seeded.usersWithoutPlan++;
      else seeded[plan]++;
      return { name: `User ${i}`, email: emailFor(i), plan };
    });
    userIds.push(
      ...(await t.run(async (ctx) => {
        const ids: Id<"users">[] = [];
        for (const doc of docs) ids.push(await ctx.db.insert("users", doc));
        return ids;
      })),
    );
    onChunk?.("users", end);
  }
  for (let start = 0; start < posts; start += chunk) {
    const end = Math.min(posts, start + chunk);
    const docs = range(start, end).map((i) => {
      const body = bodyFor(i);
      if (countWords(body) === 0) seeded.emptyPosts++;
      // Written before word counts existed: no wordCount.
      return { authorId: userIds[(i * 13) % userIds.length]!, title: `Post ${i}`, body };
    });
    await t.run(async (ctx) => {
      for (const doc of docs) await ctx.db.insert("posts", doc);
    });
    onChunk?.("posts", end);
  }
  return seeded;
}

export type Check = { ok: boolean; label: string; detail: string };

/** Reads every user and post and checks that the migrations did their work. */
export async function verifyExample(t: ExampleT, seeded: Seeded): Promise<Check[]> {
  const found = await t.run(async (ctx) => {
    const f = { users: 0, noPlan: 0, free: 0, pro: 0, posts: 0, badCount: 0 };
    const archive = { empty: 0, emptyArchived: 0, otherArchived: 0 };
    for (const user of await ctx.db.query("users").collect()) {
      f.users++;
      if (user.plan === undefined) f.noPlan++;
      else f[user.plan]++;
    }
    for (const post of await ctx.db.query("posts").collect()) {
      f.posts++;
      if (post.wordCount !== countWords(post.body)) f.badCount++;
      if (countWords(post.body) === 0) {
        archive.empty++;
        if (post.archived === true) archive.emptyArchived++;
      } else if (post.archived === true) archive.otherArchived++;
    }
    return { ...f, ...archive };
  });
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    {
      ok: found.users === seeded.users && found.noPlan === 0,
      label: "every user has a plan",
      detail: `${n(found.users - found.noPlan)}/${n(found.users)}`,
    },
    {
      ok: found.pro === seeded.pro && found.free === seeded.free + seeded.usersWithoutPlan,
      label: "plans set before the migration were kept",
      detail: `${n(found.pro)} pro (seeded ${n(seeded.pro)}), ${n(found.free)} free`,
    },
    {
      ok: found.posts === seeded.posts && found.badCount === 0,
      label: "every post has the right wordCount",
      detail: `${n(found.posts - found.badCount)}/${n(found.posts)}`,
    },
    {
      ok: found.empty === seeded.emptyPosts && found.emptyArchived === found.empty,
      label: "every empty post is archived",
      detail: `${n(found.emptyArchived)}/${n(found.empty)}`,
    },
    {
      ok: found.otherArchived === 0,
      label: "no post with words is archived",
      detail: `${n(found.otherArchived)} archived`,
    },
  ];
}

function planFor(i: number): "free" | "pro" {
  return (i / PLAN_EVERY) % 2 === 0 ? "free" : "pro";
}

function bodyFor(i: number): string {
  if (i % EMPTY_EVERY === 7) return i % (2 * EMPTY_EVERY) === 7 ? "" : "  \n\t ";
  const length = 3 + ((i * 7) % 38);
  return range(0, length)
    .map((k) => WORDS[(i * 31 + k * 17) % WORDS.length])
    .join(separatorFor(i));
}

/** Some bodies use runs of spaces and newlines, which countWords must see through. */
function separatorFor(i: number): string {
  return i % 5 === 0 ? "  \n" : " ";
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, k) => start + k);
}
