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
        { limit?: number; names?: Array<string> },
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
  };
