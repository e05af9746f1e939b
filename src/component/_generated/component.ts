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
    lib: {
      cancel: FunctionReference<
        "mutation",
        "internal",
        { name: string },
        {
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          changed: number;
          commands: {
            cancel: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          endedAt?: number;
          error?: string;
          failedDocumentId?: string;
          isDone: boolean;
          name: string;
          next: Array<string>;
          processed: number;
          startedAt: number;
          state: "running" | "done" | "failed" | "canceled";
        },
        Name
      >;
      cancelAll: FunctionReference<
        "mutation",
        "internal",
        {},
        Array<{
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          changed: number;
          commands: {
            cancel: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          endedAt?: number;
          error?: string;
          failedDocumentId?: string;
          isDone: boolean;
          name: string;
          next: Array<string>;
          processed: number;
          startedAt: number;
          state: "running" | "done" | "failed" | "canceled";
        }>,
        Name
      >;
      dryRun: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          cursor?: string | null;
          migration: { fnHandle: string; name: string };
          reset?: boolean;
        },
        {
          continueCursor: string;
          cursor: string | null;
          dryRun: true;
          errors: Array<{ error: string; id: string }>;
          examined: number;
          isDone: boolean;
          name: string;
          samples: Array<{ after: any; before: any; id: string }>;
          unchanged: number;
          wouldChange: number;
          wouldFail: number;
        },
        Name
      >;
      start: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          cliModule: string;
          cursor?: string | null;
          migration: { fnHandle: string; name: string };
          next?: Array<{ fnHandle: string; name: string }>;
          reset?: boolean;
          schedule?: boolean;
        },
        {
          started: boolean;
          status: {
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            changed: number;
            commands: {
              cancel: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            endedAt?: number;
            error?: string;
            failedDocumentId?: string;
            isDone: boolean;
            name: string;
            next: Array<string>;
            processed: number;
            startedAt: number;
            state: "running" | "done" | "failed" | "canceled";
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
        },
        {
          migrations: Array<{
            attemptStartedAt: number;
            batchSize: number;
            batches: number;
            changed: number;
            commands: {
              cancel: string;
              start: string;
              startOver: string;
              watch: string;
            };
            cursor: string | null;
            endedAt?: number;
            error?: string;
            failedDocumentId?: string;
            isDone: boolean;
            name: string;
            next: Array<string>;
            processed: number;
            startedAt: number;
            state: "running" | "done" | "failed" | "canceled";
          }>;
          rollouts: Array<{
            backfill: {
              name: string;
              run: {
                attemptStartedAt: number;
                batchSize: number;
                batches: number;
                changed: number;
                commands: {
                  cancel: string;
                  start: string;
                  startOver: string;
                  watch: string;
                };
                cursor: string | null;
                endedAt?: number;
                error?: string;
                failedDocumentId?: string;
                isDone: boolean;
                name: string;
                next: Array<string>;
                processed: number;
                startedAt: number;
                state: "running" | "done" | "failed" | "canceled";
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
            updatedAt: number;
            verify: {
              batches: number;
              checked: number;
              cursor: string | null;
              endedAt?: number;
              error?: string;
              firstMismatchIds: Array<string>;
              mismatches: number;
              startedAt: number;
              state: "running" | "done" | "failed" | "canceled";
            } | null;
          }>;
        },
        Name
      >;
      step: FunctionReference<
        "mutation",
        "internal",
        { name: string },
        {
          attemptStartedAt: number;
          batchSize: number;
          batches: number;
          changed: number;
          commands: {
            cancel: string;
            start: string;
            startOver: string;
            watch: string;
          };
          cursor: string | null;
          endedAt?: number;
          error?: string;
          failedDocumentId?: string;
          isDone: boolean;
          name: string;
          next: Array<string>;
          processed: number;
          startedAt: number;
          state: "running" | "done" | "failed" | "canceled";
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
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              changed: number;
              commands: {
                cancel: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              endedAt?: number;
              error?: string;
              failedDocumentId?: string;
              isDone: boolean;
              name: string;
              next: Array<string>;
              processed: number;
              startedAt: number;
              state: "running" | "done" | "failed" | "canceled";
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
          updatedAt: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "done" | "failed" | "canceled";
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
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              changed: number;
              commands: {
                cancel: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              endedAt?: number;
              error?: string;
              failedDocumentId?: string;
              isDone: boolean;
              name: string;
              next: Array<string>;
              processed: number;
              startedAt: number;
              state: "running" | "done" | "failed" | "canceled";
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
          updatedAt: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "done" | "failed" | "canceled";
          } | null;
        },
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
              attemptStartedAt: number;
              batchSize: number;
              batches: number;
              changed: number;
              commands: {
                cancel: string;
                start: string;
                startOver: string;
                watch: string;
              };
              cursor: string | null;
              endedAt?: number;
              error?: string;
              failedDocumentId?: string;
              isDone: boolean;
              name: string;
              next: Array<string>;
              processed: number;
              startedAt: number;
              state: "running" | "done" | "failed" | "canceled";
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
          updatedAt: number;
          verify: {
            batches: number;
            checked: number;
            cursor: string | null;
            endedAt?: number;
            error?: string;
            firstMismatchIds: Array<string>;
            mismatches: number;
            startedAt: number;
            state: "running" | "done" | "failed" | "canceled";
          } | null;
        },
        Name
      >;
    };
  };
