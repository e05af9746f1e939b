/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as appCalls from "../appCalls.js";
import type * as batch from "../batch.js";
import type * as controls from "../controls.js";
import type * as decisions from "../decisions.js";
import type * as drivers from "../drivers.js";
import type * as ledger from "../ledger.js";
import type * as legacy from "../legacy.js";
import type * as lib from "../lib.js";
import type * as metrics from "../metrics.js";
import type * as monitor from "../monitor.js";
import type * as phases from "../phases.js";
import type * as rolloutStatus from "../rolloutStatus.js";
import type * as rollouts from "../rollouts.js";
import type * as runs from "../runs.js";
import type * as sliceDecisions from "../sliceDecisions.js";
import type * as slices from "../slices.js";
import type * as start from "../start.js";
import type * as verify from "../verify.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  appCalls: typeof appCalls;
  batch: typeof batch;
  controls: typeof controls;
  decisions: typeof decisions;
  drivers: typeof drivers;
  ledger: typeof ledger;
  legacy: typeof legacy;
  lib: typeof lib;
  metrics: typeof metrics;
  monitor: typeof monitor;
  phases: typeof phases;
  rolloutStatus: typeof rolloutStatus;
  rollouts: typeof rollouts;
  runs: typeof runs;
  sliceDecisions: typeof sliceDecisions;
  slices: typeof slices;
  start: typeof start;
  verify: typeof verify;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {};
