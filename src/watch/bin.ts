#!/usr/bin/env node
/**
 * `npx convex-rollouts watch [--prod] [module]`: runs the Convex CLI's
 * `convex run <module>:status --watch`, reads each status it prints, and
 * draws it with `renderStatus`.
 */
import { spawn } from "node:child_process";
import type { Status } from "../shared/validators.js";
import { convexRunLine, parseWatchArgs, USAGE } from "./args.js";
import { JsonDocuments } from "./jsonStream.js";
import { renderStatus } from "./render.js";
import { Screen } from "./screen.js";

function main(): void {
  const parsed = parseWatchArgs(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if ("error" in parsed) {
    process.stderr.write(`${parsed.error}\n`);
    process.exitCode = 2;
    return;
  }
  const convex = process.env.CONVEX_ROLLOUTS_CONVEX?.split(" ").filter(Boolean);
  const [command, ...args] = convexRunLine(parsed, convex);
  const tty = process.stdout.isTTY === true;
  const screen = new Screen({ tty, write: (text) => process.stdout.write(text) });
  const documents = new JsonDocuments();
  // Not a terminal to the CLI, so it prints each result as JSON.
  const child = spawn(command!, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    for (const status of documents.push(chunk)) {
      const header = `${parsed.module}:status · ${new Date().toLocaleTimeString("en-GB")}`;
      const width = tty ? (process.stdout.columns || 100) - 1 : undefined;
      screen.draw([header, "", ...renderStatus(status as Status, { color: tty, width })]);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => screen.interrupt(text, process.stderr));
  child.on("error", (error) => {
    process.stderr.write(`Could not run ${command}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === "SIGINT" ? 0 : 1);
  });
}

main();
