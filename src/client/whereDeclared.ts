/**
 * Where a rollout's declaration is, for the verbs that move it (issue 18 #11).
 *
 * A deployment runs a function with only the modules its own file imports. So a verb may be
 * asked about a rollout whose declaring module it does not load, and a `reshape()` without `fn`
 * cannot know the module it is declared in. The rules, in the order they are tried:
 *
 * 1. Declared on this instance, in a module this function loaded: that declaration. A
 *    `reshape()` without `fn` on an instance without `cliModule` is declared beside `api()`, as
 *    the README says: its backfill is `<the verbs' module>:<export>` when a CLI verb asks (the
 *    verbs know their own module), what the component stored when it was first moved otherwise,
 *    and `migrations:<export>` before that.
 * 2. Not loaded here, but moved before (by a function that loaded it): what the component stored
 *    then (`rollouts.stored`): its backfill, whether it verifies, its verbs' module.
 * 3. Neither: `UnknownRollout`, naming the module to import.
 */
import type { GenericQueryCtx, GenericDataModel } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import { rolloutError } from "../shared/errors.js";
import { closeName } from "../shared/names.js";
import { moduleOf } from "./names.js";
import type { DeclaredRollout } from "../shared/validators.js";
import type { RunQueryCtx } from "./types.js";

/** A declaration with the module its CLI verbs live in, as the component keeps it. */
export type StoredDeclaration = DeclaredRollout & { cliModule: string };

/**
 * The module of the CLI verbs a call came through, by the context of that call: `api()`'s verbs
 * record it (from `ctx.meta.getFunctionMetadata()`) before they call the instance. Kept by
 * context object, so nothing outlives the call.
 */
const verbsModules = new WeakMap<object, string>();

/** Records, for this call, the module of the CLI verb that runs it. */
export async function rememberVerbsModule(ctx: {
  meta: Pick<GenericQueryCtx<GenericDataModel>["meta"], "getFunctionMetadata">;
}): Promise<void> {
  const { name } = await ctx.meta.getFunctionMetadata();
  verbsModules.set(ctx, moduleOf(name));
}

/** The module of the CLI verb this call came through, if it came through one. */
export function verbsModuleOf(ctx: object): string | undefined {
  return verbsModules.get(ctx);
}

/** What the component stored of a rollout when it was last moved, or null. */
export async function storedDeclaration(
  ctx: RunQueryCtx,
  component: ComponentApi,
  name: string,
): Promise<StoredDeclaration | null> {
  return await ctx.runQuery(component.rollouts.stored, { name });
}

/** The refusal for a rollout neither loaded here nor ever moved. */
export function notDeclaredHere(name: string, known: string[], module: string | undefined) {
  const here = module !== undefined ? `${module}.ts` : "the file that exports migrations.api()";
  const close = closeName(name, known);
  return rolloutError(
    "UnknownRollout",
    `No rollout named "${name}" is declared in the modules this function loads, and none by ` +
      `that name was ever moved. ` +
      (close !== null ? `Did you mean "${close}"? ` : "") +
      (known.length > 0 ? `Declared here: ${known.join(", ")}. ` : "") +
      `A deployment runs a function with only the modules its file imports: declare ${name} in ` +
      `${here}, or import the file that declares it there (import "./users";), with the ` +
      `Rollouts instance in a module of its own that both import.`,
    { name, ...(close !== null ? { didYouMean: close } : {}) },
  );
}
