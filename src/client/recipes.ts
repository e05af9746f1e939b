/**
 * Recipes: `up`/`down` (and what the new shape retires) for the changes made
 * most often, to spread into `migrations.reshape()`:
 *
 * ```ts
 * export const usersEmail = migrations.reshape("users.contactEmail", {
 *   table: "users",
 *   ...renameField("email", "contactEmail"),
 *   triggers,
 * });
 * ```
 * Each is typed by the table's documents at the `reshape()` call: a field the
 * table does not have, or a value of the wrong type, is a type error there.
 */
import { v, type GenericValidator, type Infer, type Value, type VOptional } from "convex/values";
import { validate } from "convex-helpers/validators";

type Loose = Record<string, unknown>;

/**
 * Adds a field with a default: documents without it get `value` (or what
 * `value(doc)` answers). Writes that set it keep theirs.
 * ```ts
 * ...addField("plan", "free")
 * ...migrations.recipes("users").addField("plan", (user) => (user.email ? "pro" : "free"))
 * ```
 * Its function's document is typed by the table when the recipe comes from
 * `migrations.recipes(table)` (or when the parameter is annotated): spread
 * into `reshape()`, the call is checked before `reshape()` knows its table.
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
    newFields: into,
    sources: Object.fromEntries(into.map((part) => [part, from])) as Record<Into, From>,
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

/**
 * The recipes for one table's documents (`migrations.recipes("users")`): the
 * same as above, with `addField`'s function given the table's document.
 */
export function recipesFor<Doc extends Loose>() {
  return {
    addField: <Field extends string, V extends Value>(field: Field, value: V | ((doc: Doc) => V)) =>
      addField<Field, V, Doc>(field, value),
    renameField,
    splitField,
    retypeField,
    removeField,
    moveField,
  };
}
