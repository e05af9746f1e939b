/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    controls: {
      cancel: FunctionReference<
        "mutation",
        "internal",
        { name: string },
        {
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
      cancelAll: FunctionReference<
        "mutation",
        "internal",
        {},
        Array<{
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        }>,
        Name
      >;
      pause: FunctionReference<
        "mutation",
        "internal",
        { name: string },
        {
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
      resume: FunctionReference<
        "mutation",
        "internal",
        { migration?: { fnHandle: string; name: string }; name: string },
        {
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
      throttle: FunctionReference<
        "mutation",
        "internal",
        { delayMs?: number; name: string; parallelism?: number },
        {
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
    };
    lib: {
      cancel: FunctionReference<
        "mutation",
        "internal",
        { name: string },
        {
          batchSize?: number;
          cursor?: string | null;
          error?: string;
          isDone: boolean;
          latestEnd?: number;
          latestStart: number;
          name: string;
          next?: Array<string>;
          processed: number;
          state: "inProgress" | "success" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
      cancelAll: FunctionReference<
        "mutation",
        "internal",
        { sinceTs?: number },
        Array<{
          batchSize?: number;
          cursor?: string | null;
          error?: string;
          isDone: boolean;
          latestEnd?: number;
          latestStart: number;
          name: string;
          next?: Array<string>;
          processed: number;
          state: "inProgress" | "success" | "failed" | "canceled" | "unknown";
        }>,
        Name
      >;
      clearAll: FunctionReference<
        "mutation",
        "internal",
        { before?: number; below?: number },
        null,
        Name
      >;
      dryRun: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          cursor?: string | null;
          maxBatches?: number;
          migration: { fnHandle: string; name: string };
          reset?: boolean;
        },
        {
          batches: number;
          continueCursor: string;
          cursor: string | null;
          dryRun: true;
          errors: Array<{ error: string; id: string }>;
          examined: number;
          isDone: boolean;
          name: string;
          samples: Array<{ after: any; before: any; id: string }>;
          stoppedEarly: boolean;
          unchanged: number;
          wouldChange: number;
          wouldFail: number;
        },
        Name
      >;
      getStatus: FunctionReference<
        "query",
        "internal",
        { limit?: number; names?: Array<string> },
        Array<{
          batchSize?: number;
          cursor?: string | null;
          error?: string;
          isDone: boolean;
          latestEnd?: number;
          latestStart: number;
          name: string;
          next?: Array<string>;
          processed: number;
          state: "inProgress" | "success" | "failed" | "canceled" | "unknown";
        }>,
        Name
      >;
      history: FunctionReference<
        "query",
        "internal",
        { cursor: string | null; name?: string; numItems: number },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            adaptive: boolean;
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            by?: string;
            changed: number;
            commands: {
              cancel: string;
              pause: string;
              resume: string;
              retryFailed: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            delayMs: number;
            endedAt?: number;
            error?: string;
            estimateFrom?: "creationTime";
            estimatedTotal: number | null;
            etaMs: number | null;
            failed: number;
            failedDocumentId?: string;
            failures: Array<{ at: number; documentId: string; error: string }>;
            isDone: boolean;
            mode: "all" | "retryFailed" | "verify";
            name: string;
            next: Array<string>;
            note?: string;
            onError: "stop" | "skip";
            parallelism?: number;
            percent: number | null;
            processed: number;
            rate: number | null;
            runId: string;
            slices?: Array<{
              batchSize: number;
              batches: number;
              cursor: string | null;
              error?: string;
              from: number | null;
              index: number;
              position: number | null;
              processed: number;
              state: "running" | "paused" | "done" | "failed" | "canceled";
              to: number | null;
            }>;
            startedAt: number;
            state:
              "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
          }>;
        },
        Name
      >;
      migrate: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          cursor?: string | null;
          dryRun: boolean;
          fnHandle: string;
          name: string;
          next?: Array<{ fnHandle: string; name: string }>;
          oneBatchOnly?: boolean;
          reset?: boolean;
        },
        {
          batchSize?: number;
          cursor?: string | null;
          error?: string;
          isDone: boolean;
          latestEnd?: number;
          latestStart: number;
          name: string;
          next?: Array<string>;
          processed: number;
          state: "inProgress" | "success" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
      start: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          by?: string;
          cliModule: string;
          cursor?: string | null;
          delayMs?: number;
          estimatedTotal?: number;
          migration: { fnHandle: string; name: string };
          next?: Array<{ fnHandle: string; name: string }>;
          onError?: "stop" | "skip";
          parallelism?: number;
          reset?: boolean;
          retryFailed?: boolean;
          schedule?: boolean;
        },
        {
          started: boolean;
          status: {
            adaptive: boolean;
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            by?: string;
            changed: number;
            commands: {
              cancel: string;
              pause: string;
              resume: string;
              retryFailed: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            delayMs: number;
            endedAt?: number;
            error?: string;
            estimateFrom?: "creationTime";
            estimatedTotal: number | null;
            etaMs: number | null;
            failed: number;
            failedDocumentId?: string;
            failures: Array<{ at: number; documentId: string; error: string }>;
            isDone: boolean;
            mode: "all" | "retryFailed" | "verify";
            name: string;
            next: Array<string>;
            note?: string;
            onError: "stop" | "skip";
            parallelism?: number;
            percent: number | null;
            processed: number;
            rate: number | null;
            runId: string;
            slices?: Array<{
              batchSize: number;
              batches: number;
              cursor: string | null;
              error?: string;
              from: number | null;
              index: number;
              position: number | null;
              processed: number;
              state: "running" | "paused" | "done" | "failed" | "canceled";
              to: number | null;
            }>;
            startedAt: number;
            state:
              "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
          };
        },
        Name
      >;
      status: FunctionReference<
        "query",
        "internal",
        {
          declared?: Array<{
            backfill: { fnHandle: string; name: string };
            cliModule: string;
            hasVerify: boolean;
            name: string;
          }>;
          limit?: number;
          names?: Array<string>;
          rollouts?: Array<string>;
        },
        {
          history: Array<{
            adaptive: boolean;
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            by?: string;
            changed: number;
            commands: {
              cancel: string;
              pause: string;
              resume: string;
              retryFailed: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            delayMs: number;
            endedAt?: number;
            error?: string;
            estimateFrom?: "creationTime";
            estimatedTotal: number | null;
            etaMs: number | null;
            failed: number;
            failedDocumentId?: string;
            failures: Array<{ at: number; documentId: string; error: string }>;
            isDone: boolean;
            mode: "all" | "retryFailed" | "verify";
            name: string;
            next: Array<string>;
            note?: string;
            onError: "stop" | "skip";
            parallelism?: number;
            percent: number | null;
            processed: number;
            rate: number | null;
            runId: string;
            slices?: Array<{
              batchSize: number;
              batches: number;
              cursor: string | null;
              error?: string;
              from: number | null;
              index: number;
              position: number | null;
              processed: number;
              state: "running" | "paused" | "done" | "failed" | "canceled";
              to: number | null;
            }>;
            startedAt: number;
            state:
              "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
          }>;
          migrations: Array<{
            adaptive: boolean;
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            by?: string;
            changed: number;
            commands: {
              cancel: string;
              pause: string;
              resume: string;
              retryFailed: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            delayMs: number;
            endedAt?: number;
            error?: string;
            estimateFrom?: "creationTime";
            estimatedTotal: number | null;
            etaMs: number | null;
            failed: number;
            failedDocumentId?: string;
            failures: Array<{ at: number; documentId: string; error: string }>;
            isDone: boolean;
            mode: "all" | "retryFailed" | "verify";
            name: string;
            next: Array<string>;
            note?: string;
            onError: "stop" | "skip";
            parallelism?: number;
            percent: number | null;
            processed: number;
            rate: number | null;
            runId: string;
            slices?: Array<{
              batchSize: number;
              batches: number;
              cursor: string | null;
              error?: string;
              from: number | null;
              index: number;
              position: number | null;
              processed: number;
              state: "running" | "paused" | "done" | "failed" | "canceled";
              to: number | null;
            }>;
            startedAt: number;
            state:
              "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
          }>;
          rollouts: Array<{
            backfill: {
              name: string;
              run: {
                adaptive: boolean;
                attemptStartedAt: number;
                batchSize: number;
                batches: number;
                by?: string;
                changed: number;
                commands: {
                  cancel: string;
                  pause: string;
                  resume: string;
                  retryFailed: string;
                  start: string;
                  startOver: string;
                  watch: string;
                };
                cursor: string | null;
                delayMs: number;
                endedAt?: number;
                error?: string;
                estimateFrom?: "creationTime";
                estimatedTotal: number | null;
                etaMs: number | null;
                failed: number;
                failedDocumentId?: string;
                failures: Array<{
                  at: number;
                  documentId: string;
                  error: string;
                }>;
                isDone: boolean;
                mode: "all" | "retryFailed" | "verify";
                name: string;
                next: Array<string>;
                note?: string;
                onError: "stop" | "skip";
                parallelism?: number;
                percent: number | null;
                processed: number;
                rate: number | null;
                runId: string;
                slices?: Array<{
                  batchSize: number;
                  batches: number;
                  cursor: string | null;
                  error?: string;
                  from: number | null;
                  index: number;
                  position: number | null;
                  processed: number;
                  state: "running" | "paused" | "done" | "failed" | "canceled";
                  to: number | null;
                }>;
                startedAt: number;
                state:
                  | "running"
                  | "paused"
                  | "done"
                  | "failed"
                  | "canceled"
                  | "unknown";
              } | null;
            };
            hasVerify: boolean;
            name: string;
            next: {
              command: string;
              detail: string;
              open: boolean;
              to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            } | null;
            phase: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            transitions: Array<{
              at: number;
              by?: string;
              from:
                "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
              reason?: string;
              to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            }>;
            updatedAt?: number;
            verify: {
              batches: number;
              checked: number;
              cursor: string | null;
              endedAt?: number;
              error?: string;
              firstMismatchIds: Array<string>;
              mismatches: number;
              startedAt: number;
              state: "running" | "paused" | "done" | "failed" | "canceled";
            } | null;
          }>;
          rolloutsOmitted?: number;
        },
        Name
      >;
      step: FunctionReference<
        "mutation",
        "internal",
        { failed?: string; name: string },
        {
          adaptive: boolean;
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          by?: string;
          changed: number;
          commands: {
            cancel: string;
            pause: string;
            resume: string;
            retryFailed: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          delayMs: number;
          endedAt?: number;
          error?: string;
          estimateFrom?: "creationTime";
          estimatedTotal: number | null;
          etaMs: number | null;
          failed: number;
          failedDocumentId?: string;
          failures: Array<{ at: number; documentId: string; error: string }>;
          isDone: boolean;
          mode: "all" | "retryFailed" | "verify";
          name: string;
          next: Array<string>;
          note?: string;
          onError: "stop" | "skip";
          parallelism?: number;
          percent: number | null;
          processed: number;
          rate: number | null;
          runId: string;
          slices?: Array<{
            batchSize: number;
            batches: number;
            cursor: string | null;
            error?: string;
            from: number | null;
            index: number;
            position: number | null;
            processed: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
            to: number | null;
          }>;
          startedAt: number;
          state:
            "running" | "paused" | "done" | "failed" | "canceled" | "unknown";
        },
        Name
      >;
    };
    rollouts: {
      advance: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          cliModule: string;
          reason?: string;
          rollout: {
            backfill: { fnHandle: string; name: string };
            hasVerify: boolean;
            name: string;
          };
          to: string;
        },
        {
          backfill: {
            name: string;
            run: {
              adaptive: boolean;
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              by?: string;
              changed: number;
              commands: {
                cancel: string;
                pause: string;
                resume: string;
                retryFailed: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              delayMs: number;
              endedAt?: number;
              error?: string;
              estimateFrom?: "creationTime";
              estimatedTotal: number | null;
              etaMs: number | null;
              failed: number;
              failedDocumentId?: string;
              failures: Array<{
                at: number;
                documentId: string;
                error: string;
              }>;
              isDone: boolean;
              mode: "all" | "retryFailed" | "verify";
              name: string;
              next: Array<string>;
              note?: string;
              onError: "stop" | "skip";
              parallelism?: number;
              percent: number | null;
              processed: number;
              rate: number | null;
              runId: string;
              slices?: Array<{
                batchSize: number;
                batches: number;
                cursor: string | null;
                error?: string;
                from: number | null;
                index: number;
                position: number | null;
                processed: number;
                state: "running" | "paused" | "done" | "failed" | "canceled";
                to: number | null;
              }>;
              startedAt: number;
              state:
                | "running"
                | "paused"
                | "done"
                | "failed"
                | "canceled"
                | "unknown";
            } | null;
          };
          hasVerify: boolean;
          name: string;
          next: {
            command: string;
            detail: string;
            open: boolean;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          } | null;
          phase: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          transitions: Array<{
            at: number;
            by?: string;
            from: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            reason?: string;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          }>;
          updatedAt?: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
          } | null;
        },
        Name
      >;
      phase: FunctionReference<
        "query",
        "internal",
        { name: string },
        "schema" | "dualWrite" | "backfill" | "readNew" | "complete",
        Name
      >;
      rollback: FunctionReference<
        "mutation",
        "internal",
        { by?: string; cliModule?: string; name: string; reason?: string },
        {
          backfill: {
            name: string;
            run: {
              adaptive: boolean;
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              by?: string;
              changed: number;
              commands: {
                cancel: string;
                pause: string;
                resume: string;
                retryFailed: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              delayMs: number;
              endedAt?: number;
              error?: string;
              estimateFrom?: "creationTime";
              estimatedTotal: number | null;
              etaMs: number | null;
              failed: number;
              failedDocumentId?: string;
              failures: Array<{
                at: number;
                documentId: string;
                error: string;
              }>;
              isDone: boolean;
              mode: "all" | "retryFailed" | "verify";
              name: string;
              next: Array<string>;
              note?: string;
              onError: "stop" | "skip";
              parallelism?: number;
              percent: number | null;
              processed: number;
              rate: number | null;
              runId: string;
              slices?: Array<{
                batchSize: number;
                batches: number;
                cursor: string | null;
                error?: string;
                from: number | null;
                index: number;
                position: number | null;
                processed: number;
                state: "running" | "paused" | "done" | "failed" | "canceled";
                to: number | null;
              }>;
              startedAt: number;
              state:
                | "running"
                | "paused"
                | "done"
                | "failed"
                | "canceled"
                | "unknown";
            } | null;
          };
          hasVerify: boolean;
          name: string;
          next: {
            command: string;
            detail: string;
            open: boolean;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          } | null;
          phase: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          transitions: Array<{
            at: number;
            by?: string;
            from: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            reason?: string;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          }>;
          updatedAt?: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
          } | null;
        },
        Name
      >;
      stored: FunctionReference<
        "query",
        "internal",
        { name: string },
        {
          backfill: { fnHandle: string; name: string };
          cliModule: string;
          hasVerify: boolean;
          name: string;
        } | null,
        Name
      >;
      verify: FunctionReference<
        "mutation",
        "internal",
        {
          cliModule: string;
          rollout: {
            backfill: { fnHandle: string; name: string };
            hasVerify: boolean;
            name: string;
          };
        },
        {
          backfill: {
            name: string;
            run: {
              adaptive: boolean;
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              by?: string;
              changed: number;
              commands: {
                cancel: string;
                pause: string;
                resume: string;
                retryFailed: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              delayMs: number;
              endedAt?: number;
              error?: string;
              estimateFrom?: "creationTime";
              estimatedTotal: number | null;
              etaMs: number | null;
              failed: number;
              failedDocumentId?: string;
              failures: Array<{
                at: number;
                documentId: string;
                error: string;
              }>;
              isDone: boolean;
              mode: "all" | "retryFailed" | "verify";
              name: string;
              next: Array<string>;
              note?: string;
              onError: "stop" | "skip";
              parallelism?: number;
              percent: number | null;
              processed: number;
              rate: number | null;
              runId: string;
              slices?: Array<{
                batchSize: number;
                batches: number;
                cursor: string | null;
                error?: string;
                from: number | null;
                index: number;
                position: number | null;
                processed: number;
                state: "running" | "paused" | "done" | "failed" | "canceled";
                to: number | null;
              }>;
              startedAt: number;
              state:
                | "running"
                | "paused"
                | "done"
                | "failed"
                | "canceled"
                | "unknown";
            } | null;
          };
          hasVerify: boolean;
          name: string;
          next: {
            command: string;
            detail: string;
            open: boolean;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          } | null;
          phase: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          transitions: Array<{
            at: number;
            by?: string;
            from: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
            reason?: string;
            to: "schema" | "dualWrite" | "backfill" | "readNew" | "complete";
          }>;
          updatedAt?: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "paused" | "done" | "failed" | "canceled";
          } | null;
        },
        Name
      >;
    };
  };
