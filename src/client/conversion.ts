/**
 * The conversion rules of a declarative rollout, as pure functions of a
 * document, the keys a write changed and the phase: what the write path, the
 * backfill, the verify and the typed read each do with `up` and `down`.
 *
 * Which shape did a write set? `up` reads the old shape and `down` the new
 * one; a proxy records which fields each reads (their sources). A write that
 * changed one of `up`'s sources wrote the old shape: `up` converts it. One
 * that changed only new-shape fields wrote the new shape: `down` fills the old
 * one (until complete), and `up` never overwrites what it wrote. A field `up`
 * both reads and sets (a default, a type changed in place) is old-shape when
 * `up` would still change it.
 */
import { convexToJson, type Value } from "convex/values";
import { rolloutError } from "../shared/errors.js";
import type { Phase } from "../shared/validators.js";

export type Fields = Record<string, unknown>;
/** A conversion: the fields to set on a document, or nothing when there are none. */
export type Convert = (doc: never) => object | undefined | null | void;

/** What a conversion returned for a document, and which of its fields it read. */
export type Traced = { fields: Fields; reads: Set<string> };

const SYSTEM_FIELDS = new Set(["_id", "_creationTime"]);

/** Runs `fn` on `doc`, recording the fields it reads. It must not write. */
export function traced(rollout: string, which: "up" | "down", fn: Convert, doc: Fields): Traced {
  const reads = new Set<string>();
  const view = new Proxy(doc, {
    get(target, key, receiver) {
      if (typeof key === "string") reads.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      if (typeof key === "string") reads.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      // Spreading or listing the document reads all of it.
      for (const key of Reflect.ownKeys(target)) if (typeof key === "string") reads.add(key);
      return Reflect.ownKeys(target);
    },
    set() {
      throw rolloutError(
        "InvalidArgument",
        `${which} of ${rollout} assigned to the document; return the fields to set instead.`,
        { rollout },
      );
    },
  });
  const result: unknown = fn(view as never);
  if (result === undefined || result === null) return { fields: {}, reads };
  if (typeof result !== "object" || Array.isArray(result) || result instanceof Promise) {
    throw rolloutError(
      "InvalidArgument",
      `${which} of ${rollout} must return the fields to set (an object) or nothing; ` +
        `it returned ${result instanceof Promise ? "a Promise (it must not be async)" : typeof result}.`,
      { rollout },
    );
  }
  for (const key of Object.keys(result)) {
    if (SYSTEM_FIELDS.has(key)) {
      throw rolloutError(
        "InvalidArgument",
        `${which} of ${rollout} returned ${key}, a system field; return only your own fields.`,
        { rollout, field: key },
      );
    }
  }
  return { fields: result as Fields, reads };
}

/** The fields of `fields` whose value differs from the document's: what a patch would change. */
export function changes(fields: Fields, doc: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!sameValue(doc[key], value)) out[key] = value;
  }
  return out;
}

/** The fields a write changed: every field of an insert; those that differ in an update or replace. */
export function changedKeys(oldDoc: Fields | null, newDoc: Fields): Set<string> {
  const keys = new Set<string>();
  for (const key of Object.keys(newDoc)) {
    if (!SYSTEM_FIELDS.has(key) && (oldDoc === null || !sameValue(oldDoc[key], newDoc[key]))) {
      keys.add(key);
    }
  }
  if (oldDoc !== null) {
    for (const key of Object.keys(oldDoc)) if (!(key in newDoc)) keys.add(key);
  }
  return keys;
}

export function isEmpty(fields: Fields): boolean {
  return Object.keys(fields).length === 0;
}

/** Equal as Convex values (objects compared field by field, whatever their key order). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameJson(convexToJson(a as Value), convexToJson(b as Value));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const bo = b as Record<string, unknown>;
  const ao = a as Record<string, unknown>;
  return ka.every((key) => key in bo && sameJson(ao[key], bo[key]));
}

/** Phases in which the new shape is the one readers trust. */
export function newIsTruth(phase: Phase): boolean {
  return phase === "readNew" || phase === "complete";
}

/**
 * A declarative rollout's conversion. `newFields` and `retire` are what the
 * spec says of the two shapes beyond what `up` shows on one document: `up`
 * answers nothing for a document without its source, and a clear must still
 * know which new fields follow it.
 */
export type Conversion = {
  rollout: string;
  up: Convert;
  down?: Convert;
  /** New-shape fields the spec names (recipes' `newFields`, the validator's fields). */
  newFields?: readonly string[];
  /** Old-shape fields the new shape no longer has. */
  retire?: readonly string[];
};

/** A document seen through a conversion: what `up` and `down` answer, and which fields are which shape's. */
type Shapes = {
  up: Traced;
  /** The fields `up` would change. */
  upPatch: Fields;
  down: Traced | null;
  /** Fields of the old shape: `up` reads them and `down` does not (sources, fields changed in place). */
  isOld: (key: string) => boolean;
  /** Fields of the new shape that `up` derives without reading them. */
  newKeys: string[];
  /** Fields `up` reads and sets (a default, a type changed in place): one field, both shapes. */
  inPlace: (key: string) => boolean;
};

function shapesOf(conversion: Conversion, doc: Fields): Shapes {
  const up = traced(conversion.rollout, "up", conversion.up, doc);
  const down = conversion.down ? traced(conversion.rollout, "down", conversion.down, doc) : null;
  const declared = new Set([
    ...(conversion.newFields ?? []),
    ...Object.keys(up.fields),
    ...(down?.reads ?? []),
  ]);
  return {
    up,
    upPatch: changes(up.fields, doc),
    down,
    isOld: (key) => up.reads.has(key) && !down?.reads.has(key),
    newKeys: [...declared].filter((key) => !up.reads.has(key) && !SYSTEM_FIELDS.has(key)),
    inPlace: (key) => up.reads.has(key) && (declared.has(key) || key in up.fields),
  };
}

/** The new shape derived from the old: what `up` sets, and the new fields it no longer sets cleared. */
function fromOld(s: Shapes, doc: Fields): Fields {
  const out: Fields = { ...s.upPatch };
  for (const key of s.newKeys) {
    if (!(key in s.up.fields) && doc[key] !== undefined) out[key] = undefined;
  }
  return out;
}

/**
 * The old shape derived from the new (after a write the new shape decides).
 * A new shape cleared entirely clears the retired fields `up` reads (a clear
 * clears both, in every phase: the contract pass must not bring the value
 * back). Otherwise `down` fills the old shape until complete; without `down`,
 * before readNew, new fields the write left missing come from the old shape.
 * Fields changed in place follow `up` always.
 */
function fromNew(
  conversion: Conversion,
  s: Shapes,
  doc: Fields,
  changed: Set<string>,
  phase: Phase,
): Fields {
  const inPlace = only(s.upPatch, s.inPlace);
  if (s.newKeys.length > 0 && s.newKeys.every((key) => doc[key] === undefined)) {
    const retired = (conversion.retire ?? []).filter(
      (key) => s.up.reads.has(key) && doc[key] !== undefined,
    );
    return { ...inPlace, ...Object.fromEntries(retired.map((key) => [key, undefined])) };
  }
  if (s.down && phase !== "complete") return { ...inPlace, ...changes(s.down.fields, doc) };
  if (newIsTruth(phase)) return inPlace;
  return only(s.upPatch, (key) => s.inPlace(key) || (doc[key] === undefined && !changed.has(key)));
}

/**
 * What to patch after a write of a document, so that it holds both shapes
 * (the new one alone from complete on). The rule, for every kind of write
 * (an insert, a patch that sets or clears, a replace), is the table in
 * `src/client/README.md`:
 *
 * - the write set fields of one shape only: that shape decides, the other is
 *   derived from it (clears included);
 * - it set fields of both: the phase's truth decides (the old shape before
 *   readNew, the new one from readNew on);
 * - it only cleared fields (a patch to `undefined`, or a replace without
 *   them): the phase's truth decides. So a clear of the truth's shape clears
 *   the other, and a clear of the other shape alone is repaired from the
 *   truth (a replace carrying only the new shape at readNew keeps the old);
 * - it touched neither shape: the document is settled as the backfill would.
 *
 * `changed` are the fields the write changed (`changedKeys`). In `schema`
 * nothing is written.
 */
export function planWrite(
  conversion: Conversion,
  doc: Fields,
  changed: Set<string>,
  phase: Phase,
): Fields {
  if (phase === "schema") return {};
  const s = shapesOf(conversion, doc);
  const newKeys = new Set(s.newKeys);
  // A field changed in place is an old-shape write only when `up` still converts it.
  const isOld = (key: string) => s.isOld(key) && (!s.inPlace(key) || key in s.upPatch);
  const setOld = [...changed].some((key) => isOld(key) && doc[key] !== undefined);
  const setNew = [...changed].some((key) => newKeys.has(key) && doc[key] !== undefined);
  const touched = [...changed].some((key) => s.isOld(key) || newKeys.has(key));
  if (!touched) return settlePatch(conversion, doc, phase, s);
  const oldDecides = setOld !== setNew ? setOld : !newIsTruth(phase);
  return oldDecides ? fromOld(s, doc) : fromNew(conversion, s, doc, changed, phase);
}

/**
 * What the backfill (and the typed read, in memory) adds to a document no
 * write converted. Before readNew the old shape is the truth: the new shape
 * derived from it, clears included (a new field whose source is gone goes
 * too, so readers never see a value the old shape no longer has). From readNew on the new shape is: fields changed in place, and the
 * new shape derived only where it is missing entirely while a retired field
 * still holds the value (a document written around the triggers), so that
 * nothing new code cleared comes back, and the contract pass loses nothing.
 */
export function settlePatch(
  conversion: Conversion,
  doc: Fields,
  phase: Phase,
  s: Shapes = shapesOf(conversion, doc),
): Fields {
  if (!newIsTruth(phase)) return fromOld(s, doc);
  const retired = (conversion.retire ?? []).some((key) => doc[key] !== undefined);
  const missing = s.newKeys.every((key) => doc[key] === undefined);
  if (retired && missing) return s.upPatch;
  return only(s.upPatch, s.inPlace);
}

function only(fields: Fields, keep: (key: string) => boolean): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => keep(key)));
}

/**
 * True when the document holds both shapes in agreement (`up` derives nothing
 * new, `down` nothing old): a write of it needs no conversion and no phase read.
 */
export function isSettled(conversion: Conversion, doc: Fields): boolean {
  const s = shapesOf(conversion, doc);
  return isEmpty(fromOld(s, doc)) && (s.down === null || isEmpty(changes(s.down.fields, doc)));
}
