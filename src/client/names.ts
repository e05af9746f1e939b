/** Turning names and references into what the component needs. */
import { createFunctionHandle, makeFunctionReference } from "convex/server";
import { rolloutError } from "../shared/errors.js";
import type { MigrationAddress } from "../shared/validators.js";

/** A function handle the component can call, or `UnknownMigration` if no such function exists. */
export async function addressOf(name: string): Promise<MigrationAddress> {
  try {
    return { name, fnHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)) };
  } catch {
    throw rolloutError(
      "UnknownMigration",
      `There is no function named "${name}". Migration names are "file:export", ` +
        `e.g. "migrations:setDefault"; check the spelling and that it is deployed.`,
      { name },
    );
  }
}

/** The export of a function name: "setDefault" for "migrations:setDefault". */
export function exportOf(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}

/** The module of a function name: "migrations" for "migrations:setDefault". */
export function moduleOf(name: string): string {
  return name.includes(":") ? name.slice(0, name.indexOf(":")) : "migrations";
}
