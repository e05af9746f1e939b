/**
 * Declarative rollouts: a rollout declared by its conversion (`up`, optional
 * `down`, optional new-shape validator) instead of a hand-written backfill and
 * verify. From it the package makes the backfill (a registered mutation, which
 * the app exports as `reshape()`'s `backfill`), the verify, the write path on
 * the app's convex-helpers `Triggers`, and a typed read of the new shape.
 */
import {
  makeFunctionReference,
  type DocumentByName,
  type GenericDataModel,
  type GenericDatabaseWriter,
  type GenericMutationCtx,
  type RegisteredMutation,
  type TableNamesInDataModel,
} from "convex/server";
import {
  convexToJson,
  v,
  type GenericValidator,
  type Value,
  type ObjectType,
  type PropertyValidators,
  type VObject,
} from "convex/values";
import type { Change } from "convex-helpers/server/triggers";
import { validate } from "convex-helpers/validators";
import type { ComponentApi } from "../component/_generated/component.js";
import { describeError, rolloutError } from "../shared/errors.js";
import { canonicalName } from "../shared/names.js";
import type { OnError, Phase } from "../shared/validators.js";
import { CHANGED_ELSEWHERE, type AnyDoc } from "./batch.js";
import { contractOf, type Contract } from "./contract.js";
import {
  changedKeys,
  isEmpty,
  isSettled,
  planWrite,
  sameValue,
  settlePatch,
  type Conversion,
  type Convert,
  type Fields,
} from "./conversion.js";
import type { RunResult } from "./index.js";
import {
  backfillMove,
  moveAgrees,
  onSourceWrite,
  onTargetWrite,
  readMoved,
  sourceWriteMatters,
  targetWriteMatters,
  type Move,
  type MoveSpec,
} from "./move.js";
import { Rollout } from "./rollout.js";
import { cachedPhase, stateOf, type TxState } from "./transaction.js";
import type { MigrationArgs, MigrationRef, PhaseCtx } from "./types.js";

/** The context a trigger gets: the app's mutation context, its writes wrapped with triggers. */
export type TriggerCtx<DataModel extends GenericDataModel> = {
  db: GenericDatabaseWriter<DataModel>;
  /** The writer the triggers wrap (convex-helpers passes it to every trigger): writes around them. */
  innerDb?: GenericDatabaseWriter<DataModel>;
  runQuery: GenericMutationCtx<DataModel>["runQuery"];
};

/**
 * The app's `Triggers` from convex-helpers (`new Triggers<DataModel>()`), whose
 * `wrapDB` its mutations use: `customMutation(mutation, customCtx(triggers.wrapDB))`.
 */
export type AppTriggers<DataModel extends GenericDataModel> = {
  register<T extends TableNamesInDataModel<DataModel>>(
    table: T,
    trigger: (ctx: TriggerCtx<DataModel>, change: Change<DataModel, T>) => Promise<void>,
  ): void;
};

/** Fields of a table's documents that a conversion may set (`undefined` removes one). */
export type FieldsOf<Doc> = {
  [K in Exclude<keyof Doc, "_id" | "_creationTime">]?: Doc[K] | undefined;
};

/** A new-shape validator: fields, or an object validator of the document. */
export type ShapeValidator =
  PropertyValidators | VObject<Record<string, unknown>, PropertyValidators>;

type ValidatedFields<V> =
  V extends VObject<infer Type, PropertyValidators>
    ? Type
    : V extends PropertyValidators
      ? ObjectType<V>
      : never;

/**
 * A document in the new shape. With a validator: the stored document with the
 * validator's fields in its types. Without: every field `up` sets is present
 * (and no longer `undefined`); a field it sets to `undefined` is gone. A new
 * field whose source (`sources`, from the recipes) is optional in the table is
 * optional too: a document without the source stays without it.
 */
export type NewShape<
  Doc,
  Up,
  Validator = undefined,
  Retired extends PropertyKey = never,
  Sources = Record<never, never>,
> = Omit<FollowSources<ShapeOf<Doc, Up, Validator>, Doc, Sources>, Retired>;

type ShapeOf<Doc, Up, Validator> = [Validator] extends [undefined]
  ? Omit<Doc, SetKeys<Up> | RemovedKeys<Up>> & {
      [K in SetKeys<Up>]-?: Exclude<K extends keyof Doc ? Doc[K] : Up[K], undefined>;
    } & {
      [K in Exclude<keyof Up, SetKeys<Up> | RemovedKeys<Up> | keyof Doc>]?: Exclude<
        Up[K],
        undefined
      >;
    }
  : Omit<Doc, keyof ValidatedFields<Validator>> & ValidatedFields<Validator>;

/** Fields `up` removes: typed `undefined` and nothing else. */
type RemovedKeys<Up> = {
  [K in keyof Up]-?: [Exclude<Up[K], undefined>] extends [never] ? K : never;
}[keyof Up];

/**
 * Fields `up` always sets: required in what it answers. A field it may leave
 * out (optional in `Up`) keeps the stored document's type, so a conversion
 * TypeScript could not follow (`Up` at its constraint, every field optional)
 * claims no field present that may not be.
 */
type SetKeys<Up> = Exclude<
  { [K in keyof Up]-?: Record<never, never> extends Pick<Up, K> ? never : K }[keyof Up],
  RemovedKeys<Up>
>;

/**
 * A new-shape validator names only the table's fields: a field the table does
 * not have is typed `never`, so the error lands on that field.
 */
type FieldsOfTable<Validator, Doc> = Validator extends PropertyValidators
  ? { [K in Exclude<keyof Validator, keyof Doc>]: never }
  : Validator extends VObject<infer Type, PropertyValidators>
    ? [Exclude<keyof Type, keyof Doc>] extends [never]
      ? unknown
      : { fields: { [K in Exclude<keyof Type, keyof Doc>]: never } }
    : unknown;

/** The fields a table's documents must have. */
export type RequiredFieldOf<Doc> = {
  [K in keyof Doc]-?: undefined extends Doc[K] ? never : K;
}[keyof Doc];

/**
 * A conversion may remove only optional fields: the app's schema refuses a document without a
 * required one, so every write the conversion touched would fail. One that removes a required
 * field gets an `up` typed to say so, and the error lands on `up` (or the spread recipe).
 */
export type RemovesOnlyOptional<Up, Doc> = [
  Extract<RemovedKeys<Up>, RequiredFieldOf<Doc>>,
] extends [never]
  ? unknown
  : {
      up: (doc: never) => {
        [
          K in Extract<RemovedKeys<Up>, RequiredFieldOf<Doc>>
        ]: "required in the schema: make it optional (v.optional) before a conversion removes it";
      };
    };

/** True when the source field may be absent from the table's documents. */
type OptionalSource<Doc, Source> = Source extends keyof Doc
  ? undefined extends Doc[Source]
    ? true
    : false
  : true;

/** Each field with a source: optional exactly when its source is. */
type FollowSources<Shape, Doc, Sources> = Omit<Shape, keyof Sources> & {
  [
    K in keyof Sources & keyof Shape as OptionalSource<Doc, Sources[K]> extends true ? K : never
  ]?: Exclude<Shape[K], undefined>;
} & {
  [
    K in keyof Sources & keyof Shape as OptionalSource<Doc, Sources[K]> extends true ? never : K
  ]-?: Exclude<Shape[K], undefined>;
};

export type DeclarativeSpec<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
  Up,
  Validator,
  Retired extends PropertyKey = never,
  To extends TableNamesInDataModel<DataModel> = never,
  Sources extends Readonly<Record<string, string>> = Record<never, never>,
> = {
  /** The table whose documents change shape. */
  table: T;
  /**
   * Old shape → new: the fields to set on a document (`undefined` removes one),
   * or nothing when it is already converted. Read only the old shape's fields,
   * and be pure: it runs on writes, batches, verify passes and reads.
   */
  up: (doc: DocumentByName<DataModel, T>) => Up | undefined | null | void;
  /**
   * New shape → old, for writes that set only the new shape (new code), from
   * dualWrite until readNew: the old fields to set. Without it, write the old
   * shape (or both) until complete; `up` never overwrites new fields a write set.
   */
  down?: (
    doc: DocumentByName<DataModel, T>,
  ) => FieldsOf<DocumentByName<DataModel, T>> | undefined | null | void;
  /** The new shape's fields (or document validator): verify checks every document against it. */
  validator?: Validator & FieldsOfTable<Validator, DocumentByName<DataModel, T>>;
  /**
   * Old-shape fields the new shape no longer has: the typed read leaves them
   * out, and from complete on the backfill run again (the contract pass)
   * removes them from every document, so the narrow schema can be staged.
   */
  retire?: readonly Retired[];
  /** The new shape's fields, for the staged schema status shows at complete. Default: the validator's. */
  newFields?: readonly string[];
  /**
   * The old field each new field comes from (the recipes give it): a document
   * without the source stays without the new field, so the contract step
   * stages the new field optional where the app's schema has the source optional.
   */
  sources?: Sources;
  /** A field moved to another table (from the `moveField` recipe): kept in step with it. */
  move?: MoveSpec<DataModel, To>;
  /** The app's convex-helpers `Triggers`: the write path is registered on them. */
  triggers: AppTriggers<DataModel>;
  /**
   * Where the app exports what `rollout()` returns, "file:export". Default: the
   * rollout's name in camelCase in the CLI module, e.g. "migrations:usersPlan"
   * for "users.plan".
   */
  fn?: string;
  /** Documents per backfill batch. Default: the client's `defaultBatchSize`, else adaptive. */
  batchSize?: number;
  /** What backfill runs do when `up` throws: "stop" (default), or "skip" and record it. */
  onError?: OnError;
};

/** Any declarative spec: what tells it apart from a hand-written one is `up`. */
export type AnyDeclarativeSpec = { table: string; up: Convert; backfill?: undefined };

/**
 * What `reshape()` returns: the rollout, with its phase reads and its typed
 * read, and the backfill the app exports under the name the component calls:
 * ```ts
 * export const plan = migrations.reshape("users.plan", { ... });
 * export const usersPlan = plan.backfill; // npx convex run migrations:usersPlan
 * ```
 * The backfill is an export of its own, typed exactly like a `define()`
 * migration's: Convex types a function through `internal` only from an export
 * whose type is `RegisteredMutation<...>` itself, so one that also carried
 * the reads would accept any arguments there.
 */
export type DeclarativeRollout<Doc, Shape, Moved = never> = {
  /**
   * The backfill migration, an internal mutation: export it as `fn` says
   * (`npx convex run migrations:usersPlan` starts or resumes it,
   * `'{dryRun: true}'` plans it; the component calls it batch by batch).
   */
  readonly backfill: RegisteredMutation<"internal", MigrationArgs, Promise<RunResult<Doc>>>;
  /** The rollout's name, e.g. "users.plan". */
  readonly name: string;
  /** The function name the component calls, e.g. "migrations:usersPlan". */
  readonly fn: string;
  readonly table: string;
  /** The live phase, read in the caller's transaction (see `Rollout.phase`). */
  phase(ctx: PhaseCtx): Promise<Phase>;
  /** True from dualWrite on. The triggers already write the new shape; this is for other code. */
  writesNew(ctx: PhaseCtx): Promise<boolean>;
  /** True from readNew on. */
  readsNew(ctx: PhaseCtx): Promise<boolean>;
  /**
   * The document in the new shape, converted in memory where it is not yet
   * (writes nothing); reads the phase once per transaction. Null stays null.
   */
  read<D extends Doc | null>(ctx: PhaseCtx, doc: D): Promise<D extends null ? null : Shape>;
  /** For many documents: one phase read, then a converter. */
  reader(ctx: PhaseCtx): Promise<(doc: Doc) => Shape>;
  /**
   * For a field moved to another table (`moveField`): its value where readers
   * should take it in this phase: the document's before readNew, the other
   * table's from then on.
   */
  moved(ctx: PhaseCtx, doc: Doc): Promise<Moved | undefined>;
  /** `doc` with everything `up` sets, in memory. */
  convert(doc: Doc): Shape;
  /** What verify checks: `up` has nothing left to change, and the validator holds. */
  isConverted(doc: Doc): boolean;
  /** The hand-written form's object, for APIs that take a `Rollout`. */
  readonly rollout: Rollout;
  /** The schema change to stage after complete, when the spec says what it is. */
  readonly contract: Contract | null;
};

/** What the client needs to know to register a declarative rollout on its instance. */
export type Declared = {
  exported: DeclarativeRollout<AnyDoc, AnyDoc>;
  rollout: Rollout;
  /** The spec the instance keeps: a backfill reference and a verify, as a hand-written one. */
  verify: (doc: AnyDoc, ctx: GenericMutationCtx<GenericDataModel>) => boolean | Promise<boolean>;
  backfillName: string;
  table: string;
  contract: Contract | null;
};

/**
 * Converting the same document from the same state more often than this in
 * one transaction is taken for a loop: conversions that undo each other (two
 * rollouts, or another trigger, fighting over a field) bring the document
 * back to a state it was converted from before. An app writing one document
 * many times (an import, an event replay) passes it through new states, and
 * is never counted as a loop. The count is per state, not per document: with
 * several triggers, convex-helpers queues them, and a trigger cannot tell an
 * app write from another trigger's.
 */
const MAX_CONVERSIONS_PER_STATE = 100;

function countConversion(state: TxState, rollout: string, doc: AnyDoc): void {
  const key = `${rollout}:${doc._id}:${JSON.stringify(convexToJson(doc as Value))}`;
  const conversions = (state.conversions.get(key) ?? 0) + 1;
  if (conversions > MAX_CONVERSIONS_PER_STATE) {
    throw rolloutError(
      "InvalidArgument",
      `${rollout} converted document ${doc._id} from the same state ` +
        `${MAX_CONVERSIONS_PER_STATE} times in one transaction: its up and down (or another ` +
        `trigger) keep undoing each other. Make up(down(doc)) and down(up(doc)) change nothing.`,
      { rollout, documentId: doc._id },
    );
  }
  state.conversions.set(key, conversions);
}

/**
 * Why the app's schema would reject the document with `patch` applied, or
 * null. Checked before the package writes: a write Convex refuses would fail
 * the app's whole transaction. Without the schema (the `schema` option), null.
 */
function schemaRejects(
  tableValidator: GenericValidator | undefined,
  doc: AnyDoc,
  patch: Fields,
): string | null {
  if (tableValidator === undefined) return null;
  const { _id, _creationTime, ...fields } = withFields(doc, patch);
  void _creationTime;
  if (validate(tableValidator, fields)) return null;
  return (
    `the converted document ${String(_id)} does not match the table's schema ` +
    `(converted fields: ${JSON.stringify(convexToJson(patch as Value))}); ` +
    `fix up or down, or widen the schema`
  );
}

/** The field names of an object validator. */
function fieldsOf(validator: GenericValidator | null): string[] {
  if (validator?.kind !== "object") return [];
  return Object.keys((validator as VObject<unknown, PropertyValidators>).fields);
}

/** "users.plan" → "usersPlan". */
export function exportNameOf(rollout: string): string {
  const parts = rollout.split(/[^A-Za-z0-9_$]+/).filter((part) => part !== "");
  return parts.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join("");
}

/** Builds a declarative rollout: its backfill (made with `define`), verify, triggers and reads. */
export function declareRollout(
  name: string,
  spec: AnyDeclarativeSpec & {
    down?: Convert;
    validator?: GenericValidator | PropertyValidators;
    retire?: readonly string[];
    newFields?: readonly string[];
    sources?: Readonly<Record<string, string>>;
    move?: Omit<Move, "from">;
    triggers: AppTriggers<GenericDataModel>;
    fn?: string;
    batchSize?: number;
    onError?: OnError;
  },
  component: ComponentApi,
  context: {
    cliModule: string | undefined;
    /** The table's validator in the app's schema, when the app gave it. */
    tableValidator?: GenericValidator;
    define: (migration: {
      table: string;
      migrateOne: (
        ctx: GenericMutationCtx<GenericDataModel>,
        doc: AnyDoc,
      ) => Promise<Fields | typeof CHANGED_ELSEWHERE | undefined>;
      batchSize?: number;
      onError?: OnError;
    }) => RegisteredMutation<"internal", MigrationArgs, Promise<RunResult>>;
  },
): Declared {
  const { table } = spec;
  const fn = canonicalName(spec.fn ?? `${context.cliModule ?? "migrations"}:${exportNameOf(name)}`);
  if (!fn.includes(":") || fn.endsWith(":")) {
    throw rolloutError(
      "InvalidArgument",
      `fn of ${name} must be "file:export", e.g. "migrations:${exportNameOf(name)}"; got "${spec.fn}".`,
      { rollout: name },
    );
  }
  const rollout = new Rollout(name, component);
  const validator =
    spec.validator === undefined
      ? null
      : isValidator(spec.validator)
        ? spec.validator
        : v.object(spec.validator);
  const retire = [...(spec.retire ?? [])];
  const conversion: Conversion = {
    rollout: name,
    up: spec.up,
    down: spec.down,
    newFields: [...(spec.newFields ?? []), ...fieldsOf(validator)],
    retire,
  };
  const { tableValidator } = context;
  const isConverted = (doc: AnyDoc) =>
    isEmpty(settlePatch(conversion, doc, "backfill")) &&
    (validator === null || validate(validator, doc, { allowUnknownFields: true }));
  const toShape = (doc: AnyDoc, phase: Phase): AnyDoc => {
    const fields = settlePatch(conversion, doc, phase);
    return isEmpty(fields) ? doc : withFields(doc, fields);
  };

  const move: Move | null = spec.move ? { ...spec.move, from: table } : null;
  const backfill = context.define({
    table,
    batchSize: spec.batchSize,
    onError: spec.onError,
    migrateOne: async (ctx, doc) => {
      const phase = await cachedPhase(rollout, ctx);
      // Copied over first: at complete, the contract pass below removes the field.
      const moved = move !== null && (await backfillMove(ctx.db, move, doc, phase));
      // A document whose only change was in the other table still counts as changed.
      const unchanged = moved ? CHANGED_ELSEWHERE : undefined;
      const fields = settlePatch(conversion, doc, phase);
      // After complete the backfill is the contract pass, removing the retired fields.
      if (phase === "complete") {
        for (const field of retire) if (doc[field] !== undefined) fields[field] = undefined;
      }
      if (isEmpty(fields)) return unchanged;
      const rejected = schemaRejects(tableValidator, doc, fields);
      // A plain error: the document's failure (the ledger with onError "skip"), not the batch's.
      if (rejected !== null) throw new Error(rejected);
      stateOf(ctx)?.echoes.set(`${name}:${doc._id}`, fields);
      return fields;
    },
  });

  // A conversion that throws, or that the app's schema rejects, must not fail the app's
  // write: the document is left as written, and the backfill and verify report it.
  const unconvertibleDoc = (id: unknown, of: string, error: unknown) => {
    console.error(
      `${name}: could not convert ${String(id)} of "${of}", left as written ` +
        `(the backfill and verify will report it): ${describeError(error)}`,
    );
  };

  spec.triggers.register(table, async (ctx, change) => {
    if (move && sourceWriteMatters(move, change)) {
      const phase = await cachedPhase(rollout, ctx);
      try {
        await onSourceWrite(ctx.innerDb ?? ctx.db, move, change, phase);
      } catch (error) {
        unconvertibleDoc(change.id, table, error);
      }
    }
    if (change.operation === "delete") return;
    const doc = change.newDoc as AnyDoc;
    const state = stateOf(ctx);
    const key = `${name}:${doc._id}`;
    const changed = changedKeys(change.oldDoc, doc);
    const echo = state?.echoes.get(key);
    if (echo !== undefined) {
      state!.echoes.delete(key);
      // Our own patch, seen by the triggers it fired: nothing more to do for it.
      if ([...changed].every((k) => k in echo && sameValue(echo[k], doc[k]))) return;
    }
    const unconvertible = (error: unknown) => unconvertibleDoc(doc._id, table, error);
    let patch: Fields;
    try {
      // A document in both shapes needs nothing, whatever the phase: no phase read, no write.
      if (isSettled(conversion, doc)) return;
      patch = planWrite(conversion, doc, changed, await cachedPhase(rollout, ctx));
    } catch (error) {
      return unconvertible(error);
    }
    if (isEmpty(patch)) return;
    const rejected = schemaRejects(tableValidator, doc, patch);
    if (rejected !== null) return unconvertible(rejected);
    if (state !== null) countConversion(state, name, doc);
    state?.echoes.set(key, patch);
    // Through the triggers' writer, so the app's other triggers see the conversion too.
    await ctx.db.patch(table as never, doc._id as never, patch as never);
  });

  if (move) {
    spec.triggers.register(move.to, async (ctx, change) => {
      if (!targetWriteMatters(move, change)) return;
      const phase = await cachedPhase(rollout, ctx);
      try {
        await onTargetWrite(ctx.innerDb ?? ctx.db, move, change, phase);
      } catch (error) {
        unconvertibleDoc(change.id, move.to, error);
      }
    });
  }
  const verify = move
    ? async (doc: AnyDoc, ctx: GenericMutationCtx<GenericDataModel>) =>
        isConverted(doc) && (await moveAgrees(ctx.db, move, doc, await cachedPhase(rollout, ctx)))
    : isConverted;

  const methods = {
    fn,
    table,
    rollout,
    phase: (ctx: PhaseCtx) => rollout.phase(ctx),
    writesNew: (ctx: PhaseCtx) => rollout.writesNew(ctx),
    readsNew: (ctx: PhaseCtx) => rollout.readsNew(ctx),
    read: async (ctx: PhaseCtx, doc: AnyDoc | null) =>
      doc === null ? null : toShape(doc, await cachedPhase(rollout, ctx)),
    reader: async (ctx: PhaseCtx) => {
      const phase = await cachedPhase(rollout, ctx);
      return (doc: AnyDoc) => toShape(doc, phase);
    },
    moved: async (ctx: PhaseCtx, doc: AnyDoc) =>
      move
        ? await readMoved(
            (ctx as GenericMutationCtx<GenericDataModel>).db,
            move,
            doc,
            await cachedPhase(rollout, ctx),
          )
        : undefined,
    convert: (doc: AnyDoc) => toShape(doc, "backfill"),
    isConverted,
    contract: null as Contract | null,
  };
  methods.contract = contractOf({
    rollout: name,
    fn,
    table,
    validator,
    tableValidator: context.tableValidator,
    newFields: spec.newFields,
    sources: spec.sources,
    retire,
  });
  // A plain object, not the function: exported itself, it is no Convex function (see the type).
  const exported = { ...methods, name, backfill };
  return {
    exported: exported as unknown as DeclarativeRollout<AnyDoc, AnyDoc>,
    rollout,
    verify,
    backfillName: fn,
    table,
    contract: methods.contract,
  };
}

/** A reference to the exported backfill, for the instance's bookkeeping. */
export function referenceTo(fn: string): MigrationRef {
  return makeFunctionReference<"mutation", MigrationArgs>(fn) as unknown as MigrationRef;
}

function withFields(doc: AnyDoc, fields: Fields): AnyDoc {
  const out: AnyDoc = { ...doc };
  for (const [k, value] of Object.entries(fields)) {
    if (value === undefined) delete out[k];
    else out[k] = value;
  }
  return out;
}

function isValidator(value: GenericValidator | PropertyValidators): value is GenericValidator {
  return "isConvexValidator" in value && value.isConvexValidator === true;
}
