/**
 * One spelling per migration. Convex accepts a function by several names
 * ("migrations:setDefault", "migrations.js:setDefault", " migrations:setDefault "),
 * and the component keys runs, cursors and the failure ledger by name: two
 * spellings must never become two migrations running over the same table.
 */

/** The canonical form of a function name: "dir/module:export", no extension, no "./". */
export function canonicalName(name: string): string {
  const trimmed = name.trim();
  const colon = trimmed.lastIndexOf(":");
  const module = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const exported = colon === -1 ? null : trimmed.slice(colon + 1);
  const path = module.replace(/^\.\//, "").replace(/\.(js|ts|jsx|tsx|mjs|cjs)$/, "");
  return exported === null ? path : `${path}:${exported === "" ? "default" : exported}`;
}

/**
 * The one name of `known` that `name` misspells by case or separators only ("users.emaildomain",
 * "users_emailDomain" for "users.emailDomain"), for a "did you mean"; null when none or several.
 */
export function closeName(name: string, known: readonly string[]): string | null {
  const key = (text: string) => text.toLowerCase().replace(/[\s._:/-]/g, "");
  const matches = known.filter((candidate) => candidate !== name && key(candidate) === key(name));
  return matches.length === 1 ? matches[0]! : null;
}
