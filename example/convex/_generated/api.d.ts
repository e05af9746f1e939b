/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as admin from "../admin.js";
import type * as dashboard from "../dashboard.js";
import type * as functions from "../functions.js";
import type * as migrations from "../migrations.js";
import type * as names from "../names.js";
import type * as posts from "../posts.js";
import type * as profiles from "../profiles.js";
import type * as triggers from "../triggers.js";
import type * as users from "../users.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  admin: typeof admin;
  dashboard: typeof dashboard;
  functions: typeof functions;
  migrations: typeof migrations;
  names: typeof names;
  posts: typeof posts;
  profiles: typeof profiles;
  triggers: typeof triggers;
  users: typeof users;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  rollouts: import("convex-rollouts/_generated/component.js").ComponentApi<"rollouts">;
};
