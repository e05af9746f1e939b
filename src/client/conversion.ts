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
function newIsTruth(phase: Phase): boolean {
  return phase === "readNew" || phase === "complete";
}

export type Conversion = { rollout: string; up: Convert; down?: Convert };

/**
 * What to patch after a write, so that the document holds both shapes (or
 * just the new one, from complete on). `changed` are the fields the write
 * changed. Empty when there is nothing to do. In `schema`, nothing is written.
 */
export function planWrite(
  conversion: Conversion,
  doc: Fields,
  changed: Set<string>,
  phase: Phase,
): Fields {
  if (phase === "schema") return {};
  const up = traced(conversion.rollout, "up", conversion.up, doc);
  const down = conversion.down ? traced(conversion.rollout, "down", conversion.down, doc) : null;
  const upPatch = changes(up.fields, doc);
  // Fields only `up` reads are the old shape's; fields `down` reads (or, with no
  // `down`, fields `up` sets without reading) are the new shape's.
  const oldKeys = [...up.reads].filter((key) => !down?.reads.has(key));
  const newKeys = down
    ? [...down.reads]
    : Object.keys(up.fields).filter((key) => !up.reads.has(key));
  // A field the write set (not one it removed) tells which shape it wrote.
  const wrote = (key: string) => changed.has(key) && doc[key] !== undefined;
  if (oldKeys.some(wrote)) return upPatch;
  if (newKeys.some(wrote)) {
    if (down && phase !== "complete") return changes(down.fields, doc);
    // The new shape was written and there is no way back to the old: fill only what is missing.
    return only(upPatch, (key) => doc[key] === undefined && !changed.has(key));
  }
  return readPatch(up, upPatch, doc, phase);
}

/**
 * What a reader sees added to the stored document: before readNew, everything
 * `up` would set (the old shape is the truth); from readNew on, only new-shape
 * fields that are missing, and fields `up` changes in place.
 */
export function readPatch(up: Traced, upPatch: Fields, doc: Fields, phase: Phase): Fields {
  if (!newIsTruth(phase)) return upPatch;
  return only(upPatch, (key) => up.reads.has(key) || doc[key] === undefined);
}

function only(fields: Fields, keep: (key: string) => boolean): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => keep(key)));
}

/** True when `up` and `down` have nothing to change: a write of this document needs no conversion. */
export function isSettled(conversion: Conversion, doc: Fields): boolean {
  if (!isEmpty(changes(traced(conversion.rollout, "up", conversion.up, doc).fields, doc))) {
    return false;
  }
  if (!conversion.down) return true;
  return isEmpty(changes(traced(conversion.rollout, "down", conversion.down, doc).fields, doc));
}
