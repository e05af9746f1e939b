// @vitest-environment node
/**
 * The packed tarball, as a fresh app gets it: `npm pack` the package, install
 * it in a temporary copy of the app in test/consumer, typecheck that app with
 * moduleResolution Bundler and NodeNext, and run the app's own vitest test,
 * which runs one migration through `convex-rollouts/test`.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { staleBuildInputs } from "./distFreshness.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = join(root, "test", "consumer");

type PackageJson = {
  name: string;
  version: string;
  bin?: string | Record<string, string>;
  types?: string;
  module?: string;
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const ours = readJson<PackageJson>(join(root, "package.json"));

/** The files `npm pack --json` reports for the tarball. */
type Packed = { filename: string; files: { path: string }[] };

type Ran = { code: number | null; stdout: string; stderr: string };

/** The environment of a child process, without what npm and vitest set for this run. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (
      /^(npm_package_|npm_lifecycle_|VITEST)/.test(key) ||
      ["npm_command", "npm_config_call", "npm_config_local_prefix", "INIT_CWD"].includes(key) ||
      ["NODE_ENV", "NODE_OPTIONS", "FORCE_COLOR", "TEST"].includes(key)
    ) {
      delete env[key];
    }
  }
  env.NO_COLOR = "1";
  return env;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function describeRun(what: string, ran: Ran): string {
  return `${what} exited ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
}

async function must(command: string, args: string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) throw new Error(describeRun(`${command} ${args.join(" ")} in ${cwd}`, ran));
  return ran;
}

/** The version the app gets of a dependency: the one in our node_modules, aliases kept. */
function sameVersionAsOurs(name: string): string {
  const spec = ours.devDependencies?.[name] ?? ours.dependencies?.[name];
  if (spec === undefined) {
    throw new Error(`test/consumer/package.json needs ${name}, which package.json does not have`);
  }
  const installed = readJson<PackageJson>(join(root, "node_modules", name, "package.json"));
  return spec.startsWith("npm:") ? `npm:${installed.name}@${installed.version}` : installed.version;
}

/** Every relative path that package.json's "exports", "types", "module" and "main" point to. */
function exportTargets(pkg: PackageJson): string[] {
  const targets: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") targets.push(value);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  walk([pkg.types, pkg.module, pkg.main, pkg.bin]);
  return [...new Set(targets.map((target) => target.replace(/^\.\//, "")))];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"));
}

/** True if a built module has no runtime code (a file of types only). */
function isTypesOnly(js: string): boolean {
  const code = js
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
    .trim();
  return /^(export \{\};?)?$/.test(code);
}

let tmp: string;
let app: string;
let packed: Packed;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "convex-rollouts-package-"));
  // `npm pack` would run prepack (the build) itself; pack without scripts, a fresh build.
  // `npm test` has just built: building again would delete dist while other test files
  // read it (readmeCompiles.test.ts). Run by hand after a change to src, this builds.
  const stale = staleBuildInputs(root);
  if (stale.length > 0) {
    console.log(`dist is older than ${stale[0]} (and ${stale.length - 1} more): building`);
    await must("npm", ["run", "build"], root);
  }
  const pack = await must(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp],
    root,
  );
  const [result] = JSON.parse(pack.stdout) as Packed[];
  if (result === undefined) throw new Error(`npm pack reported nothing:\n${pack.stdout}`);
  packed = result;

  app = join(tmp, "app");
  cpSync(fixture, app, {
    recursive: true,
    filter: (path) => !/[\\/](node_modules|\.offline-codegen-[^\\/]*)$/.test(path),
  });
  const manifest = readJson<PackageJson>(join(app, "package.json"));
  for (const deps of [manifest.dependencies ?? {}, manifest.devDependencies ?? {}]) {
    for (const name of Object.keys(deps)) {
      deps[name] =
        name === ours.name ? `file:${join(tmp, packed.filename)}` : sameVersionAsOurs(name);
    }
  }
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  await must(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
    app,
  );
}, 75_000);

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  // Removing the app's installed node_modules takes more than 10 s on a busy machine.
}, 60_000);

test("the tarball holds the built entry points and no tests", () => {
  const paths = packed.files.map((file) => file.path);
  for (const required of [
    "package.json",
    "dist/client/index.js",
    "dist/client/index.d.ts",
    "dist/test.js",
    "dist/test.d.ts",
    "dist/component/convex.config.js",
    "dist/component/convex.config.d.ts",
    "dist/component/_generated/component.d.ts",
  ]) {
    expect(paths, `the tarball lacks ${required}`).toContain(required);
  }
  for (const target of exportTargets(ours)) {
    expect(paths, `package.json points to ${target}, which the tarball lacks`).toContain(target);
  }
  expect(paths.filter((path) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(path))).toEqual([]);
  expect(paths.filter((path) => /^(test|example|scripts)\//.test(path))).toEqual([]);
  // A module in dist with no source is left over from an old build.
  const sources = new Set(paths.filter((path) => path.startsWith("src/")));
  const orphans = paths
    .filter((path) => /^dist\/.*\.js$/.test(path))
    .filter((path) => {
      const source = path.replace(/^dist\//, "src/").replace(/\.js$/, "");
      return !sources.has(`${source}.ts`) && !sources.has(`${source}.tsx`);
    });
  expect(orphans, "built modules with no source in src/").toEqual([]);
});

/**
 * A `test.ts` entry lists every module of its component that has runtime code
 * (convex-test loads them from that list), nothing else, and each is in the tarball.
 */
function expectEveryModuleListed(
  modules: Record<string, unknown>,
  componentDir: string,
  entry: string,
): string[] {
  const listed = Object.keys(modules).sort();
  const sources = filesUnder(join(root, "src", componentDir))
    .filter((path) => path.endsWith(".ts") && !path.endsWith(".test.ts"))
    .map((path) => `./${componentDir}/${path.replace(/\.ts$/, ".js")}`);
  const needed = sources.filter(
    (key) => !isTypesOnly(readFileSync(join(root, "dist", key.replace(/^\.\//, "")), "utf8")),
  );
  expect(
    listed.filter((key) => !sources.includes(key)),
    "listed, but no such source",
  ).toEqual([]);
  expect(
    needed.filter((key) => !listed.includes(key)),
    `in src/${componentDir}, but not in ${entry}`,
  ).toEqual([]);
  // And each one listed is in the tarball, where the built test.js imports it from.
  const paths = packed.files.map((file) => file.path);
  for (const key of listed) expect(paths).toContain(`dist/${key.replace(/^\.\//, "")}`);
  return paths;
}

test("convex-rollouts/test lists every component module with runtime code", async () => {
  const { modules } = await import("../src/test.js");
  expectEveryModuleListed(modules, "component", "src/test.ts");
});

test("convex-rollouts/migrations/test lists every module of the drop-in component", async () => {
  const { modules } = await import("../src/migrations/test.js");
  const paths = expectEveryModuleListed(modules, "migrations/component", "src/migrations/test.ts");
  for (const entry of [
    "dist/migrations/index.js",
    "dist/migrations/index.d.ts",
    "dist/migrations/test.js",
    "dist/migrations/component/convex.config.js",
    "dist/migrations/component/_generated/component.d.ts",
  ]) {
    expect(paths).toContain(entry);
  }
});

describe.concurrent("a fresh app on the tarball", () => {
  // The app's tsconfigs have skipLibCheck off: with it on, a type import in
  // the package's .d.ts files that does not resolve (say, a missing "exports"
  // entry) is silently `any`. TypeScript 7 (`tsc`, the typescript package
  // aliased as @typescript/native, as in our devDependencies) checks both
  // resolutions; TypeScript 6 (`tsc6`, from @typescript/typescript6) checks
  // that the .d.ts files TypeScript 7 emits also suit an older compiler.
  const checks = [
    { compiler: "@typescript/native", config: "bundler" },
    { compiler: "@typescript/native", config: "nodenext" },
    { compiler: "typescript", config: "bundler" },
  ];
  for (const { compiler, config } of checks) {
    test(`typechecks with moduleResolution ${config}, ${compiler}'s compiler`, async ({
      expect,
    }) => {
      const dir = join(app, "node_modules", compiler);
      const { bin } = readJson<PackageJson>(join(dir, "package.json"));
      const entry = typeof bin === "string" ? bin : Object.values(bin ?? {})[0];
      if (entry === undefined) throw new Error(`${compiler} has no bin`);
      const tsc = join(dir, entry);
      const version = await must(process.execPath, [tsc, "--version"], app);
      const ran = await run(
        process.execPath,
        [tsc, "-p", `tsconfig.${config}.json`, "--pretty", "false"],
        app,
      );
      expect(ran.code, describeRun(`tsc ${version.stdout.trim()}`, ran)).toBe(0);
      // TypeScript 6's compiler takes over a minute on this app when the cores are shared.
    }, 180_000);
  }

  test("installs npx convex-rollouts watch, which says how to use it", async ({ expect }) => {
    // What npx runs: the bin npm linked on install (its shebang, its mode).
    const bin = join(app, "node_modules", ".bin", "convex-rollouts");
    const ran = await run(bin, ["--help"], app);
    const output = describeRun("npx convex-rollouts --help", ran);
    expect(ran.code, output).toBe(0);
    expect(ran.stdout, output).toContain("Usage: npx convex-rollouts watch [--prod] [module]");
    const wrong = await run(bin, ["wach"], app);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Unknown command "wach"');
  }, 60_000);

  test("runs migrations with the app's own vitest, through convex-rollouts/test and convex-rollouts/migrations/test", async ({
    expect,
  }) => {
    const ran = await run("npx", ["--no", "vitest", "run"], app);
    const output = describeRun("the app's vitest run", ran);
    expect(ran.code, output).toBe(0);
    expect(ran.stdout, output).toMatch(/Test Files\s+2 passed/);
  }, 60_000);
});
