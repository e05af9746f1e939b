/**
 * Recipes: `up`/`down` (and what the new shape retires) for the changes made
 * most often, to spread into `migrations.reshape()`:
 *
 * ```ts
 * export const contactEmail = migrations.reshape("users.contactEmail", {
 *   table: "users",
 *   ...renameField("email", "contactEmail"),
 *   triggers,
 * });
 * export const usersContactEmail = contactEmail.backfill;
 * ```
 * Standalone, each is typed by the table's documents at the `reshape()` call
 * (TypeScript checks a spread before it knows reshape's table): a field the
 * table does not have, or a value of the wrong type, is a type error there, at
 * the end of a long message. Taken from `migrations.recipes(table)` (the same
 * functions, typed by the app's schema and that table), the error is at the
 * argument that is wrong:
 *
 * ```ts
 * ...migrations.recipes("users").renameField("email", "contactEmail")
 * ```
 */
import type {
  DocumentByName,
  GenericDataModel,
  IndexNames,
  NamedTableInfo,
  TableNamesInDataModel,
} from "convex/server";
import {
  v,
  type GenericValidator,
  type Infer,
  type Validator,
  type Value,
  type VOptional,
} from "convex/values";
import { validate } from "convex-helpers/validators";
import type { RequiredFieldOf } from "./declarative.js";

type Loose = Record<string, unknown>;

/**
 * Adds a field with a default: documents without it get `value` (or what
 * `value(doc)` answers). Writes that set it keep theirs.
 * ```ts
 * ...addField("plan", "free")
 * ...migrations.recipes("users").addField("plan", (user) => (user.email ? "pro" : "free"))
 * ```
 * Its function's document is typed by the table, and the value checked
 * against the field's type at the argument, when the recipe comes from
 * `migrations.recipes(table)`; standalone, the function's parameter needs an
 * annotation, and the value is checked at `reshape()`.
 */
export function addField<Field extends string, V extends Value, Doc extends Loose = Loose>(
  field: Field,
  value: V | ((doc: Doc) => V),
) {
  return {
    up: <D extends Doc & { [K in Field]?: unknown }>(doc: D) =>
      doc[field] === undefined
        ? ({ [field]: typeof value === "function" ? value(doc) : value } as {
            [K in Field]: V;
          })
        : undefined,
    newFields: [field] as const,
  };
}

/**
 * Renames a field: `from` is copied to `to` on every write that sets `from`,
 * and back (`down`) on writes that set only `to`. The new shape has `to` and
 * no `from`; the contract pass after complete removes `from`.
 * ```ts
 * ...renameField("email", "contactEmail")
 * ```
 */
export function renameField<From extends string, To extends string>(from: From, to: To) {
  return {
    up: <D extends { [K in From]?: unknown }>(doc: D) =>
      doc[from] === undefined
        ? undefined
        : ({ [to]: doc[from] } as { [K in To]: Exclude<D[From], undefined> }),
    down: <D extends { [K in To]?: unknown }>(doc: D) =>
      doc[to] === undefined
        ? undefined
        : ({ [from]: doc[to] } as { [K in From]: Exclude<D[To], undefined> }),
    retire: [from] as [From],
    newFields: [to] as const,
    sources: { [to]: from } as Record<To, From>,
  };
}

/**
 * Splits a field into several: `split(value)` answers the parts, and `join`
 * (optional) puts them back together for writes that set only the parts.
 * ```ts
 * ...splitField("name", ["firstName", "lastName"], splitName, joinName)
 * ```
 */
export function splitField<
  From extends string,
  V extends Value,
  Into extends string,
  Parts extends { [K in Into]: Value },
>(from: From, into: readonly Into[], split: (value: V) => Parts, join?: (parts: Parts) => V) {
  const down = join
    ? <D extends { [K in Into]?: unknown }>(doc: D) => {
        const parts: Loose = {};
        for (const key of into) {
          if (doc[key] === undefined) return undefined;
          parts[key] = doc[key];
        }
        return { [from]: join(parts as Parts) } as { [K in From]: V };
      }
    : undefined;
  return {
    up: <D extends { [K in From]?: unknown }>(doc: D) =>
      doc[from] === undefined ? undefined : split(doc[from] as V),
    down,
    retire: [from] as [From],
    // NoInfer: spread inline into reshape(), its spec's string-typed `newFields` and `sources`
    // would widen the parts to `string`, and the typed read would lose its shape (`_id` optional).
    newFields: into as readonly NoInfer<Into>[],
    sources: Object.fromEntries(into.map((part) => [part, from])) as Record<
      NoInfer<Into>,
      NoInfer<From>
    >,
  };
}

/**
 * Changes a field's type in place: a value that `validator` does not accept
 * is converted with `convert`. During the rollout the schema holds both types
 * (a union); the typed read has the new one.
 * ```ts
 * ...retypeField("age", v.number(), (age: string) => Number.parseInt(age, 10))
 * ```
 */
export function retypeField<Field extends string, New extends GenericValidator, Old extends Value>(
  field: Field,
  validator: New,
  convert: (old: Old) => Infer<New>,
) {
  return {
    up: <D extends { [K in Field]?: unknown }>(doc: D) =>
      doc[field] === undefined || validate(validator, doc[field])
        ? undefined
        : ({ [field]: convert(doc[field]) } as { [K in Field]: Infer<New> }),
    // Optional: a document without the field stays without it and passes verify; the
    // contract step requires it only where the app's schema does.
    validator: { [field]: v.optional(validator) } as { [K in Field]: VOptional<New> },
    sources: { [field]: field } as Record<Field, Field>,
  };
}

/**
 * Removes a field: from dualWrite on every write drops it, and the backfill
 * drops it from the rest. Stop reading it before dualWrite.
 * ```ts
 * ...removeField("nickname")
 * ```
 */
export function removeField<Field extends string>(field: Field) {
  return {
    up: <D extends { [K in Field]?: unknown }>(doc: D) =>
      doc[field] === undefined
        ? undefined
        : ({ [field]: undefined } as { [K in Field]: undefined }),
    retire: [field] as [Field],
  };
}

/**
 * Moves a field to another table: one row there per document, found by
 * `index` on `key` (the field holding the document's id), the value under
 * `as` (default: the same name). From dualWrite on, every write of the field
 * is copied over in its transaction, and (until complete) every write of it
 * in the other table is copied back, so new code may write only there from
 * readNew on. The backfill copies the rest; the verify checks the two agree;
 * `moved(ctx, doc)` reads it where it is the truth in the phase. The field is
 * retired: the contract pass after complete removes it from the documents.
 * The other table's other fields must be optional while rows are created.
 * ```ts
 * ...moveField("bio", { to: "profiles", index: "by_user", key: "userId" })
 * ```
 */
export function moveField<
  Field extends string,
  const To extends string,
  const Index extends string,
  const Key extends string,
  const As extends string = Field,
>(field: Field, where: { to: To; index: Index; key: Key; as?: As }) {
  return {
    // Nothing changes on the document itself until the contract pass.
    up: <D extends { [K in Field]?: unknown }>(_doc: D): Record<never, never> | undefined =>
      undefined,
    retire: [field] as [Field],
    move: {
      field,
      to: where.to,
      index: where.index,
      key: where.key,
      as: (where.as ?? field) as string extends As ? Field : As,
    },
  };
}

/** A field of a table's documents that a recipe may name: any but the system fields. */
type FieldOf<Doc> = Exclude<keyof Doc, "_id" | "_creationTime"> & string;

/** A field the table's documents may lack: the only kind a conversion may remove. */
type OptionalFieldOf<Doc> = Exclude<FieldOf<Doc>, RequiredFieldOf<Doc>>;

/** What a field holds when it is set. */
type ValueOf<Doc, Field extends keyof Doc> = Exclude<Doc[Field], undefined>;

/** The fields that can hold `Field`'s values and whose values `Field` can hold. */
type FieldsHolding<Doc, Field extends keyof Doc> = {
  [K in FieldOf<Doc>]: [ValueOf<Doc, Field>] extends [Doc[K]]
    ? [ValueOf<Doc, K>] extends [Doc[Field]]
      ? K
      : never
    : never;
}[FieldOf<Doc>];

/**
 * The recipes for one table of the app (`migrations.recipes("users")`): the
 * same functions as above, typed by the app's DataModel and that table, so a
 * mistake is a type error at the argument that is wrong, not at `reshape()`:
 * a field the table does not have, a value (or a function's answer, or a new
 * validator's type) the field cannot hold, a table, index or key `moveField`'s
 * target does not have. Each answers what the standalone recipe answers.
 * (Their answers are `NoInfer`: spread inline, `reshape()`'s spec is their
 * contextual type, and its string-typed fields would otherwise widen the
 * names the call infers.)
 */
export type TableRecipes<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
  Doc extends DocumentByName<DataModel, T> = DocumentByName<DataModel, T>,
> = {
  /**
   * {@link addField}: `value` (or what the function, given the table's
   * document, answers) of the field's type.
   */
  addField<Field extends FieldOf<Doc>>(
    field: Field,
    value: ValueOf<Doc, Field> | ((doc: Doc) => ValueOf<Doc, Field>),
  ): NoInfer<ReturnType<typeof addField<One<Field>, ValueOf<Doc, Field>, Doc>>>;
  /**
   * {@link renameField}: both names fields of the table, each able to hold
   * the other's values (both are written, both ways, during the rollout).
   * Its `up` is typed at the table's document: the standalone one's answer
   * depends on its generic document, which `reshape()` cannot infer from.
   */
  renameField<From extends FieldOf<Doc>, To extends FieldsHolding<Doc, From>>(
    from: From,
    to: To,
  ): NoInfer<
    Omit<ReturnType<typeof renameField<One<From>, One<To>>>, "up"> & {
      up: (doc: Doc) => { [K in One<To>]: ValueOf<Doc, From> } | undefined;
    }
  >;
  /** {@link splitField}, `split` given the field's value, each part of its field's type. */
  splitField<
    From extends FieldOf<Doc>,
    Into extends FieldOf<Doc>,
    Parts extends { [K in Into]: ValueOf<Doc, K> },
  >(
    from: From,
    into: readonly Into[],
    split: (value: ValueOf<Doc, From>) => Parts,
    join?: (parts: Parts) => ValueOf<Doc, From>,
  ): NoInfer<ReturnType<typeof splitField<One<From>, ValueOf<Doc, From>, Into, Parts>>>;
  /**
   * {@link retypeField}: the new validator's type must be one the field may
   * hold (the widened schema holds the old and the new during the rollout);
   * `convert` is given the old values, the field's type minus the new one.
   */
  retypeField<
    Field extends FieldOf<Doc>,
    New extends Validator<ValueOf<Doc, Field>, "required", string>,
  >(
    field: Field,
    validator: New,
    convert: (old: Exclude<ValueOf<Doc, Field>, Infer<New>>) => Infer<New>,
  ): NoInfer<ReturnType<typeof retypeField<One<Field>, New, ValueOf<Doc, Field>>>>;
  /**
   * {@link removeField}, an optional field of the table: the schema refuses a document without
   * a required one, so make it optional (`v.optional`) before removing it.
   */
  removeField<Field extends OptionalFieldOf<Doc>>(
    field: Field,
  ): NoInfer<ReturnType<typeof removeField<One<Field>>>>;
  /**
   * {@link moveField}: `to` a table of the app, `index` one of its indexes,
   * `key` the field that index starts with, `as` a field of its documents
   * that can hold the value (needed when the field's own name is not one).
   */
  moveField<
    Field extends FieldOf<Doc>,
    const To extends TableNamesInDataModel<DataModel>,
    const Index extends OfOneTable<To, IndexNames<NamedTableInfo<DataModel, To>> & string>,
    const Key extends OfOneTable<To, LeadingField<NamedTableInfo<DataModel, To>, Index>>,
    const As extends FieldsAccepting<DocumentByName<DataModel, To>, ValueOf<Doc, Field>> = Field &
      FieldsAccepting<DocumentByName<DataModel, To>, ValueOf<Doc, Field>>,
  >(
    field: Field,
    where: { to: To; index: Index; key: Key } & AsOf<
      Field,
      FieldsAccepting<DocumentByName<DataModel, To>, ValueOf<Doc, Field>>,
      As
    >,
  ): NoInfer<ReturnType<typeof moveField<One<Field>, One<To>, Index, Key, As>>>;
};

/** The fields of `Target`'s documents that can hold a value of type `V`. */
type FieldsAccepting<Target, V> = {
  [K in FieldOf<Target>]: [V] extends [Target[K]] ? K : never;
}[FieldOf<Target>];

/**
 * The field an index of a table starts with: `moveField` finds a document's row with
 * `withIndex(index, (q) => q.eq(key, id))`, which Convex accepts only on the index's first field.
 * (A wrong index is at every index's name: any of their first fields is taken, so the only error
 * is on `index`.)
 */
type LeadingField<
  TableInfo extends { indexes: Record<string, readonly string[]> },
  Index,
> = Index extends keyof TableInfo["indexes"]
  ? TableInfo["indexes"][Index] extends readonly [infer First extends string, ...unknown[]]
    ? First
    : never
  : never;

/**
 * `moveField`'s `as`: optional when the field's name is a field of the other
 * table (`Target`), else required (inferred through the conditional; missing,
 * `As` is never and the error names the fields it may be).
 */
type AsOf<Field, Target, As> = Field extends Target
  ? { as?: As }
  : { as: [As] extends [never] ? Target : As };

/** True when `U` is a union of several types. */
type IsUnion<U, Whole = U> = U extends unknown ? ([Whole] extends [U] ? false : true) : never;

/**
 * A name the call gave, or never. A name the table (or the app) does not have
 * leaves its parameter at every name (TypeScript falls back to the
 * constraint, a union); the recipe then answers for no name, so `reshape()`
 * reports no second error for the one at the argument.
 */
type One<Name> = true extends IsUnion<Name> ? never : Name;

/**
 * `Constraint`, checked only when `To` is one table. A `to` that is no table
 * of the app leaves `To` at every table's name (TypeScript falls back to the
 * constraint): its index and key are not checked then, so the only error is
 * on `to`.
 */
type OfOneTable<To, Constraint> = true extends IsUnion<To> ? string : Constraint;

/**
 * The recipes of `migrations.recipes(table)`: the standalone functions
 * themselves (one implementation), only their signatures typed by the table.
 */
export function recipesFor<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(): TableRecipes<DataModel, T> {
  const recipes = { addField, renameField, splitField, retypeField, removeField, moveField };
  return recipes as unknown as TableRecipes<DataModel, T>;
}
