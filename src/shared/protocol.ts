/**
 * The protocol between the component and the app's migration mutations.
 * Bump PROTOCOL_VERSION when a step's shape changes, so a component and a
 * client from different releases refuse each other with a clear error instead
 * of misreading a batch.
 */
export const PROTOCOL_VERSION = 1;

/**
 * The key under which a dry run's report travels inside the `ConvexError` the
 * app throws to roll its batch back.
 */
export const DRY_RUN_REPORT_KEY = "convexRolloutsDryRunReport";

/**
 * The key under which a batch with `onError: "skip"` reports the documents
 * that threw, inside the `ConvexError` it throws to roll that attempt back;
 * the component then runs the batch again without them.
 */
export const SKIPPED_KEY = "convexRolloutsSkipped";

/**
 * A retry run's cursor: the last ledger entry it took (a document id), marked
 * so it is never read as a table cursor.
 */
export const RETRY_CURSOR_PREFIX = "failures|";
