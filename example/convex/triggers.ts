/**
 * The app's convex-helpers Triggers, and its mutations wrapped with them: a
 * write through these runs every trigger registered on its table in the same
 * transaction (declarative rollouts register their write path here).
 *
 * App code imports its builders from ./functions, which also loads the
 * rollouts' declarations: Convex runs each function with only the modules it
 * imports, and a trigger registers when its declaration's module is loaded.
 */
import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { Triggers } from "convex-helpers/server/triggers";
import type { DataModel } from "./_generated/dataModel";
import {
  internalMutation as rawInternalMutation,
  mutation as rawMutation,
} from "./_generated/server";

export const triggers = new Triggers<DataModel>();
export const mutation = customMutation(rawMutation, customCtx(triggers.wrapDB));
export const internalMutation = customMutation(rawInternalMutation, customCtx(triggers.wrapDB));
