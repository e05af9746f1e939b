/**
 * The Chromium that browser tests drive, found and launched headless.
 *
 * Why this file: `npm ci && npm test` has to pass on a machine with Node and npm and nothing else:
 * no system browser, no apt, and no network beyond the npm registry, so no `playwright install`
 * (it downloads browsers from elsewhere). `@sparticuz/chromium` ships a headless Chromium inside
 * its npm package, brotli-compressed, and unpacks it at run time; it is the fallback that always
 * exists. Its 143.x line is the last whose `engines` allows Node 20.
 *
 * Order: `CHROMIUM_PATH` if set (and only it); else Debian's /usr/bin/chromium if present; else
 * the npm package's build. If none launches, the error says what each attempt answered.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import sparticuz from "@sparticuz/chromium";
import { chromium, type Browser } from "playwright-core";

const SYSTEM = "/usr/bin/chromium";

// Without these, Chromium keeps trying the network this machine does not have.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The npm package's Chromium, unpacked once per version into its own folder under the temp dir.
 * The package itself unpacks to $TMPDIR/chromium and reuses whatever is there, even a half-written
 * file or another version's; here it unpacks into a fresh folder that is then renamed into place,
 * so a partial unpack never lands and two test runs at once cannot clobber each other.
 */
async function unpackedChromium(): Promise<string> {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve("@sparticuz/chromium")), "..", "..");
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
  };
  const base = join(tmpdir(), "convex-rollouts-chromium");
  const dir = join(base, version);
  if (existsSync(join(dir, "chromium"))) return join(dir, "chromium");
  mkdirSync(base, { recursive: true });
  const scratch = mkdtempSync(join(base, `${version}-unpacking-`));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = scratch; // where the package unpacks (it reads os.tmpdir())
  try {
    await sparticuz.executablePath(join(root, "bin"));
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another run unpacked it first
  }
  return join(dir, "chromium");
}

type Candidate = { name: string; path: () => Promise<string>; args: string[] };

function candidates(): Candidate[] {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv)
    return [{ name: `CHROMIUM_PATH (${fromEnv})`, path: () => Promise.resolve(fromEnv), args: [] }];
  const found: Candidate[] = [];
  if (existsSync(SYSTEM))
    found.push({ name: SYSTEM, path: () => Promise.resolve(SYSTEM), args: [] });
  found.push({
    name: "@sparticuz/chromium (from npm)",
    path: unpackedChromium,
    args: sparticuz.args,
  });
  return found;
}

/** A headless Chromium, from the first candidate that launches. */
export async function launchChromium(): Promise<Browser> {
  const failures: string[] = [];
  for (const candidate of candidates()) {
    try {
      const executablePath = await candidate.path();
      return await chromium.launch({
        executablePath,
        headless: true,
        args: [...candidate.args, ...FLAGS],
      });
    } catch (error) {
      failures.push(
        `- ${candidate.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  throw new Error(
    `No Chromium could be launched for the browser tests:\n${failures.join("\n")}\n` +
      `Run \`npm ci\` (it installs @sparticuz/chromium) or set CHROMIUM_PATH to a Chromium binary.`,
  );
}
