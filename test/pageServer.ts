/**
 * The example's page for the browser tests: built with Vite, served on
 * 127.0.0.1 together with the part of Convex's HTTP API the page uses
 * (`POST /api/query`, `POST /api/mutation`, as `ConvexHttpClient` sends them),
 * answered by the example app running on convex-test.
 *
 * Like a deployment, the server runs only the app's PUBLIC functions, and
 * runs them as the identity the request's bearer token stands for (here a
 * lookup table instead of a signed JWT); no token is an anonymous client.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { makeFunctionReference, type UserIdentity } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { expect } from "vitest";
import { modules, type T } from "./harness.js";

export const ROOT = new URL("../", import.meta.url).pathname;

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
};

/** Builds the example's page into a fresh folder; answers the folder. */
export async function buildPage(name: string): Promise<string> {
  const out = join(tmpdir(), `rollouts-${name}-${process.pid}`);
  await build({
    configFile: join(ROOT, "example/web/vite.config.ts"),
    logLevel: "warn",
    build: { outDir: out },
  });
  return out;
}

type Flags = { isQuery?: boolean; isMutation?: boolean; isPublic?: boolean };

/** The app's registered function at `path` ("dashboard:status"), if it exists. */
async function registered(path: string): Promise<Flags | undefined> {
  const [file, name = "default"] = path.split(":");
  const load = modules[`../example/convex/${file}.ts` as keyof typeof modules];
  if (load === undefined) return undefined;
  const exports = (await load()) as Record<string, unknown>;
  return exports[name] as Flags | undefined;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of request) text += (chunk as Buffer).toString();
  return text;
}

function send(response: ServerResponse, status: number, json: unknown) {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(json));
}

/** One call of Convex's HTTP API, answered as a deployment would. */
async function answer(
  t: T,
  kind: "query" | "mutation",
  request: IncomingMessage,
  response: ServerResponse,
  identities: Record<string, Partial<UserIdentity>>,
  delayMs: number,
) {
  const { path, args } = JSON.parse(await body(request)) as { path: string; args: JSONValue[] };
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
  const identity = token === undefined ? undefined : identities[token];
  if (token !== undefined && identity === undefined) {
    return send(response, 401, { code: "InvalidAuthHeader", message: "Unknown token" });
  }
  const fn = await registered(path);
  const isKind = kind === "query" ? fn?.isQuery : fn?.isMutation;
  if (!fn || !isKind || !fn.isPublic) {
    // A browser cannot name an internal function: a deployment answers as if it did not exist.
    return send(response, 404, {
      code: "NotFound",
      message: `Could not find public function for '${path}'`,
    });
  }
  const as = identity === undefined ? t : t.withIdentity(identity);
  // A slower network, so a test can see an action pending.
  if (kind === "mutation" && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  const fnArgs = jsonToConvex(args[0] ?? {}) as Record<string, unknown>;
  try {
    const value: Value =
      kind === "query"
        ? await as.query(
            makeFunctionReference<"query", Record<string, unknown>, Value>(path),
            fnArgs,
          )
        : await as.mutation(
            makeFunctionReference<"mutation", Record<string, unknown>, Value>(path),
            fnArgs,
          );
    send(response, 200, { status: "success", value: convexToJson(value), logLines: [] });
  } catch (error) {
    const data = error instanceof ConvexError ? (error.data as JSONValue) : undefined;
    send(response, 560, {
      status: "error",
      errorMessage: error instanceof Error ? error.message : String(error),
      ...(data === undefined ? {} : { errorData: convexToJson(data) }),
      logLines: [],
    });
  }
}

export type Served = { origin: string; close: () => Promise<void> };

/** Serves the built page from `out` and the app on `t` to it, as `identities`' tokens say. */
export async function servePage(
  t: T,
  out: string,
  identities: Record<string, Partial<UserIdentity>>,
  { mutationDelayMs = 0 }: { mutationDelayMs?: number } = {},
): Promise<Served> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      if (request.method === "POST" && (path === "/api/query" || path === "/api/mutation")) {
        return await answer(
          t,
          path === "/api/query" ? "query" : "mutation",
          request,
          response,
          identities,
          mutationDelayMs,
        );
      }
      const file = join(out, path === "/" ? "index.html" : path);
      if (!file.startsWith(out) || !existsSync(file)) return response.writeHead(404).end();
      response.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      });
      response.end(readFileSync(file));
    })().catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A screenshot of `page`, checked against a blank page of the same size: a
 * page that rendered nothing compresses to almost nothing.
 *
 * Pages are left open until the browser closes: the npm Chromium runs as one
 * process (`--single-process`), and closing a page's context ends it.
 */
export async function screenshotNotBlank(browser: Browser, page: Page): Promise<Buffer> {
  const shot = await page.screenshot({ fullPage: true });
  const blank = await browser.newPage({ viewport: page.viewportSize() ?? undefined });
  const empty = await blank.screenshot({ fullPage: true });
  expect(shot.byteLength).toBeGreaterThan(empty.byteLength * 3);
  return shot;
}
