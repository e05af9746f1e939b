/**
 * How a migration made by `define()` answers the component's steps: describe
 * itself, run a batch (or a dry run of one), retry ledger documents, or run a
 * rollout's verify check on a page. Step answers are for the component only.
 */
import type { GenericDataModel, GenericMutationCtx, TableNamesInDataModel } from "convex/server";
import { rolloutError } from "../shared/errors.js";
import { PROTOCOL_VERSION } from "../shared/protocol.js";
import type { Description, OnError, Step } from "../shared/validators.js";
import {
  boundsOf,
  checkCursor,
  creationSpan,
  dryRunBatch,
  retryDocs,
  runBatch,
  verifyBatch,
  type AnyDoc,
  type BatchSpec,
} from "./batch.js";

export type StepContext<DataModel extends GenericDataModel> = {
  spec: BatchSpec<DataModel, TableNamesInDataModel<DataModel>>;
  /** The batch size `define()` or the client fixes; null lets runs choose their own. */
  batchSize: number | null;
  onError: OnError;
  /** The slices `define()` asks for; undefined is one chain. */
  parallelism?: number;
  /** The verify check of a rollout declared on the same `Rollouts` instance. */
  verifyOf: (
    rollout: string,
  ) =>
    ((doc: AnyDoc, ctx: GenericMutationCtx<DataModel>) => boolean | Promise<boolean>) | undefined;
};

export async function answerStep<DataModel extends GenericDataModel>(
  ctx: GenericMutationCtx<DataModel>,
  step: Step,
  { spec, batchSize, onError, parallelism, verifyOf }: StepContext<DataModel>,
): Promise<unknown> {
  switch (step.kind) {
    case "describe": {
      await checkCursor(ctx, spec, step.cursor);
      const span = step.cursor === null ? await creationSpan(ctx, spec) : undefined;
      const description: Description = {
        protocol: PROTOCOL_VERSION,
        table: spec.table,
        batchSize,
        onError,
        ...(parallelism !== undefined ? { parallelism } : {}),
        ...(spec.customRange !== undefined ? { customRange: true } : {}),
        ...(step.bounds ? { bounds: await boundsOf(ctx, spec.table) } : {}),
        ...(span !== undefined ? { span } : {}),
      };
      return description;
    }
    case "batch":
      if (step.dryRun) return await dryRunBatch(ctx, spec, step.cursor, step.batchSize);
      return await runBatch(ctx, spec, step.cursor, step.batchSize, step);
    case "retry":
      return await retryDocs(ctx, spec, step.ids, step.skip);
    case "verify": {
      const check = verifyOf(step.rollout);
      if (check === undefined) {
        throw rolloutError("InvalidArgument", `${step.rollout} has no verify function.`, {
          rollout: step.rollout,
        });
      }
      return await verifyBatch(ctx, spec.table, check, step.cursor, step.batchSize);
    }
  }
}
