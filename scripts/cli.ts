/** Command-line flags for the scripts (`npm run demo`, `npm run bench`). */
import { parseArgs, type ParseArgsConfig } from "node:util";

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** A mistake on the command line: reported without a stack trace. */
export class UsageError extends Error {}

/** Parses the flags (which include `help`), printing `usage` and exiting on `--help`. */
export function parseFlags<const Options extends FlagOptions>(options: Options, usage: string) {
  let values: ReturnType<typeof parseArgs<{ options: Options }>>["values"];
  try {
    values = parseArgs({ options }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** A number flag of at least `min`. */
export function numberFlag(name: string, value: string, min: number): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < min) {
    throw new UsageError(`--${name} must be a number ≥ ${min}; got "${value}".`);
  }
  return x;
}

/**
 * Runs a script's main; a usage error prints its message, anything else its
 * stack. Then exits: the component's monitor schedules its next check a
 * minute ahead while runs are live (and a failed batch its retry seconds
 * ahead), which convex-test holds as a real timer. Once main is done nothing
 * is left for those to find, and waiting for them would keep the process up
 * a minute after the last line.
 */
export function runMain(main: () => Promise<boolean>, what: string): void {
  main().then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`${error.message} See --help.`);
      else console.error(`\nThe ${what} failed:`, error);
      process.exit(1);
    },
  );
}
