/**
 * A rollout as app code sees it: which phase is live, read inside the
 * caller's own transaction, and the verify check its pass runs.
 */
import type {
  DocumentByName,
  GenericDataModel,
  GenericDocument,
  GenericMutationCtx,
  TableNamesInDataModel,
} from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type { Phase } from "../shared/validators.js";
import { rolloutError } from "../shared/errors.js";
import { cachedPhase } from "./transaction.js";
import type { MigrationRef, PhaseCtx } from "./types.js";

/** Phases in which the app must also write the new shape. */
const WRITES_NEW: ReadonlySet<Phase> = new Set(["dualWrite", "backfill", "readNew", "complete"]);
/** Phases in which the app reads the new shape. */
const READS_NEW: ReadonlySet<Phase> = new Set(["readNew", "complete"]);

export type RolloutSpec<Doc, Ctx> = {
  /** The migration, made with `define()`, that converts the existing documents. */
  backfill: MigrationRef;
  /**
   * Optional gate before readNew: true when a document is in the new shape.
   * A pass over the whole backfill table must find no document for which it is false.
   */
  verify?: (doc: Doc, ctx: Ctx) => boolean | Promise<boolean>;
};

/**
 * What `rollout()` takes. With `table` (the backfill's table), `verify` gets
 * that table's documents; without it, any document. A union discriminated by
 * `table` rather than a generic: a generic would make TypeScript infer from
 * `backfill` (a reference into the generated `internal`, whose type includes
 * the very file declaring the rollout) and fail with "implicitly has type any".
 */
export type AnyRolloutSpec<DataModel extends GenericDataModel> =
  | (RolloutSpec<GenericDocument, GenericMutationCtx<DataModel>> & { table?: undefined })
  | {
      [T in TableNamesInDataModel<DataModel>]: RolloutSpec<
        DocumentByName<DataModel, T>,
        GenericMutationCtx<DataModel>
      > & { table: T };
    }[TableNamesInDataModel<DataModel>];

export class Rollout {
  constructor(
    /** The rollout's name, e.g. "users.fullName". */
    readonly name: string,
    private readonly component: ComponentApi,
  ) {}

  /**
   * The live phase, read in the caller's transaction: a mutation that reads it
   * and then writes is retried by Convex if the phase changes before it commits.
   * A rollout nobody has advanced is in `schema`; asking writes nothing.
   * Read from the component once per transaction, however often it is asked
   * (`advance` and `rollback` through the client forget it).
   * Takes a query or mutation context only: an action would read the phase in
   * a transaction of its own and could write the old shape after it changed.
   */
  async phase(ctx: PhaseCtx): Promise<Phase> {
    this.checkTransaction(ctx);
    return await cachedPhase(this, ctx);
  }

  /** One read of the phase from the component, uncached; `phase` is what app code calls. */
  async readPhase(ctx: PhaseCtx): Promise<Phase> {
    this.checkTransaction(ctx);
    return await ctx.runQuery(this.component.rollouts.phase, { name: this.name });
  }

  private checkTransaction(ctx: PhaseCtx): void {
    if (!("db" in ctx) || ctx.db === undefined) {
      throw rolloutError(
        "InvalidArgument",
        `Read the phase of ${this.name} in the query or mutation that acts on it, not in an ` +
          `action: an action's read is its own transaction, and the phase may change before ` +
          `its writes. Call a mutation from the action and ask there.`,
        { rollout: this.name },
      );
    }
  }

  /** True from dualWrite on: write the new shape (as well as the old, until complete). */
  async writesNew(ctx: PhaseCtx): Promise<boolean> {
    return WRITES_NEW.has(await this.phase(ctx));
  }

  /** True from readNew on: read the new shape. */
  async readsNew(ctx: PhaseCtx): Promise<boolean> {
    return READS_NEW.has(await this.phase(ctx));
  }
}
