/**
 * The contract step of a declarative rollout: once it is complete, the app
 * narrows its schema. Convex's staged validators (`defineTable(...).staged()`,
 * convex 1.47) check the existing documents and new writes against the narrow
 * shape in the background, while the widened one stays enforced; once
 * validated, the narrow shape moves into `defineTable`. Status shows this at
 * `complete` for the rollouts whose spec says what the new shape is.
 */
import type { GenericValidator } from "convex/values";
import type { RolloutStatus, Status } from "../shared/validators.js";

/** The schema change to stage once a rollout is complete. */
export type Contract = {
  table: string;
  /** Fields the new shape requires: staged without their `v.optional`. */
  require: string[];
  /** New fields a document may still lack (their source is optional): staged optional. */
  optional: string[];
  /** Fields the new shape no longer has: `field: undefined` in `.staged()`. */
  remove: string[];
  /** The steps, numbered, with the code to write and the commands to run. */
  text: string;
};

export function contractOf({
  rollout,
  fn,
  table,
  validator,
  tableValidator,
  newFields,
  sources,
  retire,
}: {
  rollout: string;
  fn: string;
  table: string;
  validator: GenericValidator | null;
  /** The table's validator in the app's schema: the validators of fields the declaration does not type. */
  tableValidator?: GenericValidator;
  newFields?: readonly string[];
  /** The old field each new field comes from. */
  sources?: Readonly<Record<string, string>>;
  retire: string[];
}): Contract | null {
  const declared = validator?.kind === "object" ? fieldsJson(validator) : {};
  const schema = tableValidator?.kind === "object" ? fieldsJson(tableValidator) : {};
  const fields = [...new Set([...(newFields ?? []), ...Object.keys(declared)])];
  if (fields.length === 0 && retire.length === 0) return null;
  // Absent stays absent: a field is staged optional where the declaration says so and the
  // app's schema allows it, or where it comes from a source the app's schema has optional.
  const tableOptional = (field: string) => schema[field]?.optional !== false;
  const optional = (field: string) => {
    const own = declared[field];
    if (own !== undefined) return own.optional && tableOptional(field);
    const source = sources?.[field];
    return source !== undefined && tableOptional(source);
  };
  const require = fields.filter((field) => !optional(field));
  const keep = fields.filter(optional);
  // The declaration's validators win over the widened schema's.
  const typeOf = (field: string) => {
    const json = declared[field] ?? schema[field];
    return json === undefined ? undefined : code(json.fieldType);
  };
  const staged = [
    ...require.map((field) => `${field}: ${typeOf(field) ?? "<its validator, not optional>"}`),
    ...keep.map((field) => `${field}: v.optional(${typeOf(field) ?? "<its validator>"})`),
    ...retire.map((field) => `${field}: undefined`),
  ].join(", ");
  const steps = [
    ...(retire.length > 0
      ? [`remove ${retire.join(", ")} from every document: npx convex run ${fn} '{"reset": true}'`]
      : []),
    `in convex/schema.ts, stage the narrow shape: defineTable({ ... }).staged({ ${staged} }), and deploy`,
    `once Convex reports ${table} validated, move those fields into defineTable, drop .staged() ` +
      `and the declaration of ${rollout}, and deploy`,
  ];
  return {
    table,
    require,
    optional: keep,
    remove: retire,
    text: steps.map((step, i) => `${i + 1}. ${step}`).join("\n"),
  };
}

/** The JSON form of a validator (`validator.json`). */
type Json = { type: string; [key: string]: unknown };
type FieldJson = { fieldType: Json; optional: boolean };

/** Each field of an object validator in its JSON form: its type, and whether it is optional. */
function fieldsJson(validator: GenericValidator): Record<string, FieldJson> {
  // Every Convex validator has its JSON form; GenericValidator's type does not say so.
  const json = (validator as GenericValidator & { json: Json }).json;
  return json.value as Record<string, FieldJson>;
}

function code(json: Json): string {
  const value = json.value;
  switch (json.type) {
    case "string":
    case "number":
    case "boolean":
    case "null":
    case "int64":
    case "bytes":
    case "any":
      return `v.${json.type === "int64" ? "int64" : json.type}()`;
    case "literal":
      return `v.literal(${JSON.stringify(value)})`;
    case "id":
      return `v.id(${JSON.stringify(json.tableName)})`;
    case "array":
      return `v.array(${code(value as Json)})`;
    case "union":
      return `v.union(${(value as Json[]).map(code).join(", ")})`;
    case "record":
      return `v.record(${code(json.keys as Json)}, ${code((json.values as FieldJson).fieldType)})`;
    case "object": {
      const fields = Object.entries(value as Record<string, FieldJson>).map(
        ([k, f]) => `${k}: ${f.optional ? `v.optional(${code(f.fieldType)})` : code(f.fieldType)}`,
      );
      return `v.object({ ${fields.join(", ")} })`;
    }
    default:
      return `<${json.type}>`;
  }
}

/** A rollout's status; at `complete`, with the contract step still to do, when it is known. */
export type RolloutStatusWithContract = RolloutStatus & {
  /** After complete: the schema change to stage (see `Contract.text`). */
  contract?: string;
};
export type StatusWithContracts = Omit<Status, "rollouts"> & {
  rollouts: RolloutStatusWithContract[];
};

/** Adds to each complete rollout the contract step its declaration knows. */
export function withContracts(
  status: Status,
  contractOfRollout: (name: string) => Contract | null | undefined,
): StatusWithContracts {
  return {
    ...status,
    rollouts: status.rollouts.map((rollout) => {
      const contract = rollout.phase === "complete" ? contractOfRollout(rollout.name) : null;
      return contract ? { ...rollout, contract: contract.text } : rollout;
    }),
  };
}
