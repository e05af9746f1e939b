/**
 * What `@convex-dev/migrations` 0.3.6 calls a migration's status, and how a
 * run of ours reads in that shape. The drop-in entry (`convex-rollouts/migrations`)
 * and its component answer in this shape, so code written for that package
 * keeps working; `Rollouts` answers our richer `MigrationStatus`.
 */
import { type Infer, v } from "convex/values";
import type { MigrationState, MigrationStatus } from "./validators.js";

/** The states that package names: `unknown` is a migration that never ran, or that nothing runs. */
export const vLegacyState = v.union(
  v.literal("inProgress"),
  v.literal("success"),
  v.literal("failed"),
  v.literal("canceled"),
  v.literal("unknown"),
);
export type LegacyState = Infer<typeof vLegacyState>;

export const vLegacyStatus = v.object({
  name: v.string(),
  cursor: v.optional(v.union(v.string(), v.null())),
  processed: v.number(),
  isDone: v.boolean(),
  error: v.optional(v.string()),
  state: vLegacyState,
  latestStart: v.number(),
  latestEnd: v.optional(v.number()),
  batchSize: v.optional(v.number()),
  next: v.optional(v.array(v.string())),
});
export type LegacyStatus = Infer<typeof vLegacyStatus>;

/**
 * Our run states in theirs. `paused` has no name there: it is what they call a
 * migration nothing runs and that did not fail, `unknown`; starting it again
 * resumes it in both.
 */
export const LEGACY_STATE: Record<MigrationState, LegacyState> = {
  running: "inProgress",
  done: "success",
  failed: "failed",
  canceled: "canceled",
  paused: "unknown",
  unknown: "unknown",
};

/** A run's status in their shape. */
export function toLegacyStatus(status: MigrationStatus): LegacyStatus {
  const legacy: LegacyStatus = {
    name: status.name,
    cursor: status.isDone ? null : status.cursor,
    processed: status.processed,
    isDone: status.isDone,
    state: LEGACY_STATE[status.state],
    latestStart: status.startedAt,
    batchSize: status.batchSize,
  };
  // Like theirs, `error` says why a migration failed (ours also notes retries while it runs).
  if (status.state === "failed" && status.error !== undefined) legacy.error = status.error;
  if (status.isDone && status.endedAt !== undefined) legacy.latestEnd = status.endedAt;
  if (status.next.length > 0) legacy.next = status.next;
  return legacy;
}

/** Their status of a migration that never ran: one entry per name asked for, in order. */
export function neverRan(name: string): LegacyStatus {
  return { name, cursor: null, processed: 0, isDone: false, state: "unknown", latestStart: 0 };
}

/** Marks a position of convex-helpers' paginator inside our cursor: `<table>|paginator|[...]`. */
export const PAGINATOR_MARK = "paginator|";

/**
 * Their cursor as ours: a JSON array is convex-helpers' paginator's (their
 * 0.3.5 on), anything else Convex's own (`paginate`, before 0.3.5).
 */
export function cursorFromLegacy(table: string, cursor: string): string {
  return `${table}|${cursor.startsWith("[") ? PAGINATOR_MARK : ""}${cursor}`;
}

/**
 * True for a cursor in our form, `<table>|<position>`. Their cursors are a JSON
 * array (`[...]`, from convex-helpers' paginator) or Convex's own opaque
 * cursor from before 0.3.5; neither starts with a table name and a bar.
 */
export function isOurCursor(cursor: string | null | undefined): cursor is string {
  return typeof cursor === "string" && /^[A-Za-z_][A-Za-z0-9_]*\|/.test(cursor);
}
