#!/usr/bin/env node
/**
 * `npm run codegen:offline`: regenerate the committed `_generated` folders
 * without a Convex deployment, using nothing outside this repository.
 *
 * `convex codegen` bundles the functions and sends them to a deployment, which
 * evaluates them and answers with an analysis (every function's kind,
 * visibility and validators, every component's definition); the CLI then
 * writes `_generated` from that analysis with its own templates. This script
 * plays the deployment's part: a small HTTP server on 127.0.0.1 (a free port,
 * nothing else) that answers the two requests codegen makes,
 *
 *   POST /api/get_config_hashes    the deployment's config (the functions dir)
 *   POST /api/deploy2/start_push   the analysis of the pushed bundles
 *
 * evaluating the bundles in this Node process. It runs the installed `convex`
 * CLI against that server (`codegen --url http://127.0.0.1:<port>
 * --admin-key <any> --typecheck disable`), so the files are written exactly as
 * a deployment would have them written.
 *
 *   node scripts/codegen-offline.mjs            the component, the drop-in
 *                                               component, `npm run build`,
 *                                               then the example app
 *   node scripts/codegen-offline.mjs -- <args>  one `convex codegen <args>`
 *
 * Limits: the analysis covers queries, mutations, actions and component
 * definitions. HTTP routes, crons and schemas are reported as absent (codegen
 * does not write them into `_generated`), and convex.json's
 * `codegen.staticApi` / `staticDataModel` (which need them) are not supported.
 * Bundles run in Node, not in Convex's runtime: a module whose top level needs
 * the runtime cannot be analysed here.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

const HOST = "127.0.0.1";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const convexCli = join(root, "node_modules", "convex", "bin", "main.js");

/** What `npm run codegen:offline` runs, in order: components first, the app last. */
const FULL_RUN = [
  { codegen: ["--component-dir", "./src/component"] },
  { codegen: ["--component-dir", "./src/migrations/component"] },
  // The example app imports the built package's `_generated/component.js`.
  { npm: ["run", "build"] },
  { codegen: [] }, // the app in convex.json's "functions"
];

/**
 * Evaluated bundles are written here: inside the repository (so that bundles
 * with external packages resolve them from its node_modules), ignored by git,
 * and removed at the end.
 */
const scratch = join(root, "node_modules", ".cache", `codegen-offline-${process.pid}`);

function log(message) {
  console.error(`[codegen-offline] ${message}`);
}

// ---------------------------------------------------------------------------
// The analysis a deployment would return for a push.

/** A JSON value with every object's keys in sorted order, as the backend returns validators. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const sorted = {};
  for (const key of Object.keys(value).sort()) sorted[key] = canonical(value[key]);
  return sorted;
}

function validatorJson(exporter) {
  if (typeof exporter !== "function") return null;
  const json = exporter();
  return typeof json === "string" ? JSON.stringify(canonical(JSON.parse(json))) : null;
}

/** The registered Convex functions among a module's exports. */
function functionsOf(moduleExports) {
  const found = [];
  for (const [name, exported] of Object.entries(moduleExports)) {
    if (exported === null || !["function", "object"].includes(typeof exported)) continue;
    const udfType = exported.isQuery
      ? "Query"
      : exported.isMutation
        ? "Mutation"
        : exported.isAction
          ? "Action"
          : undefined;
    if (udfType === undefined) continue; // HTTP actions, routers, crons, plain values
    found.push({
      name,
      pos: null,
      udfType,
      visibility: { kind: exported.isPublic ? "public" : "internal" },
      args: validatorJson(exported.exportArgs),
      returns: validatorJson(exported.exportReturns),
    });
  }
  return found;
}

/**
 * What a child component exports when its definition names nothing: every
 * public function, in a tree of module path segments.
 */
function publicFunctionTree(functionsByModule) {
  const tree = new Map();
  for (const [modulePath, { functions }] of Object.entries(functionsByModule)) {
    const udfModule = modulePath.replace(/\.js$/, "");
    for (const f of functions) {
      if (f.visibility.kind !== "public") continue;
      let node = tree;
      for (const segment of udfModule.split("/")) {
        if (!node.has(segment)) node.set(segment, new Map());
        node = node.get(segment);
      }
      node.set(f.name, `_reference/function/${udfModule}:${f.name}`);
    }
  }
  const toBranch = (map) => ({
    type: "branch",
    branch: [...map].map(([key, child]) => [
      key,
      typeof child === "string" ? { type: "leaf", leaf: child } : toBranch(child),
    ]),
  });
  return toBranch(tree);
}

let pushes = 0;

async function analysePush(push) {
  if (push.appDefinition.unchangedModuleHashes?.length) {
    throw new Error("the push skipped unchanged modules, but this server reports none as known");
  }
  const pushDir = join(scratch, `push-${pushes++}`);
  /** Definition path ("" for the app) -> what the push sent for it. */
  const sent = new Map([
    ["", { ...push.appDefinition, modules: push.appDefinition.changedModules, app: true }],
    ...push.componentDefinitions.map((c) => [c.definitionPath, { ...c, modules: c.functions }]),
  ]);
  const analysis = {};
  const names = {}; // a component's name, which `app.use` takes as its default
  let definitions = 0;

  async function analyse(definitionPath) {
    if (analysis[definitionPath]) return;
    const def = sent.get(definitionPath);
    if (def === undefined) throw new Error(`the push has no definition "${definitionPath}"`);
    for (const dependency of def.dependencies) await analyse(dependency);

    const dir = join(pushDir, `definition-${definitions++}`);
    const write = (path, source) => {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, source);
      return pathToFileURL(file).href;
    };
    write("package.json", JSON.stringify({ type: "module" }));
    for (const m of def.modules) write(m.path, m.source);

    let metadata = {
      definitionType: { type: "app" },
      childComponents: [],
      httpMounts: {},
      exports: { type: "branch", branch: [] },
    };
    if (def.definition) {
      // The CLI rewrites a definition's imports of other components'
      // convex.config to extensionless `./_componentDeps/<base64url(path)>`
      // modules that the deployment provides: provide them, with an extension.
      let source = def.definition.source;
      for (const dependency of def.dependencies) {
        const specifier = `./_componentDeps/${Buffer.from(dependency).toString("base64url")}`;
        write(
          `${specifier}.js`,
          `export default ${JSON.stringify({
            componentDefinitionPath: dependency,
            defaultName: names[dependency],
          })};\n`,
        );
        for (const quote of ['"', "'"]) {
          source = source.replaceAll(
            `${quote}${specifier}${quote}`,
            `${quote}${specifier}.js${quote}`,
          );
        }
      }
      const definitionModule = await import(write(def.definition.path, source));
      const { name, ...rest } = definitionModule.default.export();
      metadata = rest;
      if (!def.app) names[definitionPath] = name;
    }

    const functions = {};
    for (const m of def.modules) {
      const bundled = m.path.startsWith("_deps/"); // shared chunks, not modules of the app
      functions[m.path] = {
        functions: bundled ? [] : functionsOf(await import(pathToFileURL(join(dir, m.path)).href)),
        httpRoutes: null,
        cronSpecs: null,
        sourceMapped: null,
      };
    }
    const exportsNothing = metadata.exports.branch.length === 0;
    const publicModules = Object.fromEntries(
      Object.entries(functions).filter(([path]) => !path.startsWith("_deps/")),
    );
    analysis[definitionPath] = {
      definition: {
        ...metadata,
        path: definitionPath,
        exports: !def.app && exportsNothing ? publicFunctionTree(publicModules) : metadata.exports,
      },
      schema: null,
      functions,
      udfConfig: {
        serverVersion: push.appDefinition.udfServerVersion,
        importPhaseRngSeed: null,
        importPhaseUnixTimestamp: null,
      },
    };
  }

  for (const definitionPath of sent.keys()) await analyse(definitionPath);

  /** The component tree as instantiated, from the app down. */
  const instantiate = (definitionPath, componentPath) => ({
    definitionPath,
    componentPath,
    args: {},
    childComponents: Object.fromEntries(
      analysis[definitionPath].definition.childComponents.map(({ name, path }) => [
        name,
        instantiate(path, componentPath === "" ? name : `${componentPath}/${name}`),
      ]),
    ),
    httpRoutes: { httpModuleRoutes: null, mounts: [] },
    exports: {},
  });

  return {
    environmentVariables: {},
    externalDepsId: null,
    componentDefinitionPackages: {},
    appAuth: [],
    analysis,
    app: instantiate("", ""),
    schemaChange: { allocatedComponentIds: null, schemaIds: null },
  };
}

// ---------------------------------------------------------------------------
// The stand-in deployment.

function functionsDir() {
  const config = join(root, "convex.json");
  const functions = existsSync(config) ? JSON.parse(readFileSync(config, "utf8")).functions : null;
  return typeof functions === "string" ? functions : "convex/";
}

async function requestBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  const decode = {
    br: brotliDecompressSync,
    gzip: gunzipSync,
    deflate: inflateSync,
  }[request.headers["content-encoding"] ?? ""];
  return (decode ? decode(raw) : raw).toString("utf8");
}

const routes = {
  "/api/get_config_hashes": () => ({
    config: { functions: functionsDir() },
    moduleHashes: [],
    nodeDependencies: [],
    udfServerVersion: null,
  }),
  "/api/deploy2/start_push": (body) => analysePush(JSON.parse(body)),
};

const server = createServer((request, response) => {
  const reply = (status, value) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(value));
  };
  const route = request.method === "POST" ? routes[request.url ?? ""] : undefined;
  if (route === undefined) {
    log(`no answer for ${request.method} ${request.url}`);
    reply(404, { code: "NotFound", message: `codegen-offline does not serve ${request.url}` });
    return;
  }
  requestBody(request)
    .then(route)
    .then(
      (value) => reply(200, value),
      (error) => {
        log(`${request.url} failed: ${error?.stack ?? error}`);
        reply(400, { code: "OfflineCodegenFailed", message: String(error?.stack ?? error) });
      },
    );
});

// ---------------------------------------------------------------------------
// Running the CLI against it.

function run(command, args, env) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.on("error", fail);
    child.on("exit", (code, signal) =>
      code === 0 ? done() : fail(new Error(`${[command, ...args].join(" ")}: ${signal ?? code}`)),
    );
  });
}

function npm(args) {
  // Under `npm run`, npm says where its own entry point is; otherwise use the one on PATH.
  const npmCli = process.env.npm_execpath;
  if (npmCli && /\.[cm]?js$/.test(npmCli))
    return run(process.execPath, [npmCli, ...args], process.env);
  return run(process.platform === "win32" ? "npm.cmd" : "npm", args, process.env);
}

function codegen(args, url) {
  const env = { ...process.env, CI: "1" }; // no prompts, and no crash reports to Sentry
  // Nothing may point the CLI at a real deployment, or anywhere but here.
  for (const name of [
    "CONVEX_DEPLOYMENT",
    "CONVEX_DEPLOY_KEY",
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
  ]) {
    delete env[name];
  }
  env.CONVEX_VERSION_API_ORIGIN = url;
  const typecheck = args.some((a) => a.startsWith("--typecheck")) ? [] : ["--typecheck", "disable"];
  log(`convex codegen ${args.join(" ")}`.trim());
  return run(
    process.execPath,
    [convexCli, "codegen", "--url", url, "--admin-key", "codegen-offline", ...typecheck, ...args],
    env,
  );
}

async function main() {
  if (!existsSync(convexCli)) {
    throw new Error(`${convexCli} is missing: run npm ci first`);
  }
  const separator = process.argv.indexOf("--");
  const steps = separator === -1 ? FULL_RUN : [{ codegen: process.argv.slice(separator + 1) }];

  await new Promise((listening, fail) => {
    server.once("error", fail);
    server.listen(0, HOST, listening);
  });
  const { port } = server.address();
  const url = `http://${HOST}:${port}`;
  log(`answering codegen on ${url}`);
  try {
    for (const step of steps) {
      if (step.npm) {
        log(`npm ${step.npm.join(" ")}`);
        await npm(step.npm);
      } else {
        await codegen(step.codegen, url);
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((closed) => server.close(() => closed()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => log("done"),
  (error) => {
    log(error?.message ?? String(error));
    process.exitCode = 1;
  },
);
