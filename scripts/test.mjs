#!/usr/bin/env node
/**
 * `npm test`: the build, then the typecheck, the lint and every vitest test at the same time.
 *
 * Each of the three needs the build (the example app and the package tests read `dist`), none
 * needs another. Run one after the other, the lint (one process, 1.5 minutes of type-aware
 * rules) and the typecheck left a core idle on a 2-core machine before vitest began.
 *
 * vitest prints as it runs; the typecheck and the lint print when they end: a line if they
 * passed, everything they said if they failed. Arguments go to vitest
 * (`npm test -- test/engine.test.ts`). Exits non-zero if any of the four failed.
 */
import { spawn } from "node:child_process";

const windows = process.platform === "win32";

/** Runs a command; answers its exit code and, unless `live`, what it printed. */
function run(command, args, { live = false } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: live ? "inherit" : ["ignore", "pipe", "pipe"],
      shell: windows,
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 1, output: String(error), started }));
    child.on("close", (code) => resolve({ code: code ?? 1, output, started }));
  });
}

/** Prints how a check ended, as soon as it ends (its output only when it failed). */
function report(name, { code, output, started }) {
  const seconds = Math.round((Date.now() - started) / 1000);
  if (code === 0) {
    console.log(`\n✓ npm run ${name} passed (${seconds} s)\n`);
  } else {
    console.log(`\n✗ npm run ${name} failed (exit ${code}, ${seconds} s):\n${output}\n`);
  }
  return code;
}

const build = await run("npm", ["run", "build"], { live: true });
if (build.code !== 0) process.exit(build.code);

const codes = await Promise.all([
  run("npm", ["run", "typecheck"]).then((ran) => report("typecheck", ran)),
  run("npm", ["run", "lint"]).then((ran) => report("lint", ran)),
  run("npx", ["vitest", "run", ...process.argv.slice(2)], { live: true }).then((ran) => ran.code),
]);
process.exit(codes.find((code) => code !== 0) ?? 0);
