/** The command line of `npx convex-rollouts watch`, and the Convex CLI line it runs. */

export const USAGE = `Usage: npx convex-rollouts watch [--prod] [module] ['{names: [...]}'] [-- convex run flags]

Draws live progress of your migrations and rollouts from the Convex CLI's watch:
  npx convex run <module>:status --watch
Per migration a progress bar (processed/estimated, rate, ETA, state, error); per
rollout its phase strip and the next gate with its command. Redrawn in place on a
terminal; one frame after another otherwise.

  module      the file that exports migrations.api() (default: migrations)
  '{...}'     arguments for status, e.g. '{rollouts: ["users.fullName"]}'
  --prod      watch the production deployment
  -- ...      anything after -- goes to \`convex run\` as is (--url, --admin-key, ...)

The Convex CLI is run as \`npx convex\`; set CONVEX_ROLLOUTS_CONVEX to run another.`;

export type WatchArgs = {
  /** The module that exports the status verb. */
  module: string;
  /** JSON5 arguments for status, as the Convex CLI takes them. */
  statusArgs?: string;
  /** Flags for `convex run`. */
  flags: string[];
};

/** Reads `watch [--prod] [module] [args] [-- flags]`; "help" for --help or no command. */
export function parseWatchArgs(argv: string[]): WatchArgs | "help" | { error: string } {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    return "help";
  }
  if (command !== "watch") {
    return { error: `Unknown command "${command}": the command is watch.\n\n${USAGE}` };
  }
  const split = rest.indexOf("--");
  const own = split === -1 ? rest : rest.slice(0, split);
  const flags = split === -1 ? [] : rest.slice(split + 1);
  const positional: string[] = [];
  for (const arg of own) {
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--prod") flags.unshift("--prod");
    else if (arg.startsWith("-")) {
      return { error: `Unknown flag ${arg}; pass flags for convex run after --.\n\n${USAGE}` };
    } else positional.push(arg);
  }
  // Arguments look like an object; a module never does.
  const isArgs = (arg: string) => arg.trim().startsWith("{");
  const module =
    positional[0] !== undefined && !isArgs(positional[0]) ? positional.shift() : undefined;
  const statusArgs =
    positional[0] !== undefined && isArgs(positional[0]) ? positional.shift() : undefined;
  if (positional.length > 0) {
    return {
      error: `Unexpected ${positional.join(" ")}: give a module, then arguments.\n\n${USAGE}`,
    };
  }
  if (module !== undefined && !/^[\w/.-]+$/.test(module)) {
    return { error: `"${module}" is not a module path like migrations or admin/migrations.` };
  }
  return {
    module: (module ?? "migrations").replace(/\.(ts|js)$/, ""),
    ...(statusArgs !== undefined ? { statusArgs } : {}),
    flags,
  };
}

/** The Convex CLI line: `<convex> run <module>:status [args] --watch [flags]`. */
export function convexRunLine(args: WatchArgs, convex: string[] = ["npx", "convex"]): string[] {
  return [
    ...convex,
    "run",
    `${args.module}:status`,
    ...(args.statusArgs !== undefined ? [args.statusArgs] : []),
    "--watch",
    ...args.flags,
  ];
}
