/// <reference types="node" />
/**
 * The operators' console: status and controls the example's page calls. They
 * are public, so a browser can call them; each asks `authorize` who the caller
 * is before anything else, and refuses everyone the deployment has not listed.
 * Being signed in is not enough: every user of the app is signed in.
 *
 *   npx convex env set ROLLOUTS_OPERATORS "https://your-issuer|user_123"   # may act
 *   npx convex env set ROLLOUTS_VIEWERS "https://your-issuer|user_456"     # may read, errors hidden
 *
 * Entries are `tokenIdentifier`s (issuer|subject, which the auth provider
 * vouches for), separated by commas. An app with roles on its user documents
 * would look the caller up there instead.
 */
import type { UserIdentity } from "convex/server";
import type { Operator } from "convex-rollouts";
import { migrations } from "./migrations";

function listed(variable: string, identity: UserIdentity): boolean {
  const entries = (process.env[variable] ?? "").split(",").map((entry) => entry.trim());
  return entries.filter((entry) => entry !== "").includes(identity.tokenIdentifier);
}

export const { status, pause, resume, throttle, cancel, retryFailed, advance, rollback, verify } =
  migrations.operatorApi({
    authorize: async (ctx): Promise<Operator | null> => {
      const identity = await ctx.auth.getUserIdentity();
      if (identity === null) return null;
      const name = identity.name ?? identity.email ?? identity.subject;
      if (listed("ROLLOUTS_OPERATORS", identity)) return { role: "operator", name };
      if (listed("ROLLOUTS_VIEWERS", identity)) return { role: "viewer", name };
      return null;
    },
  });
