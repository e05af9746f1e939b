/**
 * `npm run fuzz`: explores NEW random seeds for every property and model test, apart from
 * `npm test` (which runs only the fixed seeds of `test/seeds.ts`, so a landing never fails on a
 * seed nobody chose).
 *
 *   npm run fuzz                          # 1,000 schedules per model
 *   npm run fuzz -- --runs 5000           # 5,000 schedules per model
 *   npm run fuzz -- --minutes 30          # as many as 30 minutes allow, shared by the models
 *   npm run fuzz -- --model reshapeModel  # one model (a comma-separated list for several)
 *   npm run fuzz -- --chunk 50            # schedules per vitest process (default 100)
 *
 * Each chunk is one `vitest run` of the model's random test with `FC_SEED` set to a fresh seed
 * and `FC_RUNS` to the chunk. A failing chunk prints the exact replay line (with fast-check's
 * `FC_PATH` of the shrunk case); add its seed to the model's list in `test/seeds.ts` with the
 * fix. The models take turns, so a time budget covers each. Exit code 1 when anything failed.
 */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { MODELS, replayLine, type FuzzModel } from "../test/seeds.js";

type Options = { runs: number; minutes?: number; chunk: number; models: FuzzModel[] };

const USAGE =
  "usage: npm run fuzz -- [--runs N] [--minutes M] [--chunk K] [--model " +
  `${Object.keys(MODELS).join(",")}]`;

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 1_000, chunk: 100, models: Object.keys(MODELS) as FuzzModel[] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const number = Number(value);
    const positive = value !== undefined && Number.isFinite(number) && number > 0;
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === "--model" && value !== undefined) {
      const names = value.split(",");
      const unknown = names.filter((name) => !(name in MODELS));
      if (unknown.length > 0) fail(`unknown model ${unknown.join(", ")}`);
      options.models = names as FuzzModel[];
    } else if (flag === "--runs" && positive) {
      options.runs = Math.ceil(number);
    } else if (flag === "--minutes" && positive) {
      options.minutes = number;
      options.runs = Number.POSITIVE_INFINITY;
    } else if (flag === "--chunk" && positive) {
      options.chunk = Math.ceil(number);
    } else {
      fail(`bad argument ${flag ?? ""} ${value ?? ""}`);
    }
    i++;
  }
  return options;
}

function fail(message: string): never {
  console.error(`fuzz: ${message}\n${USAGE}`);
  process.exit(2);
}

/** fast-check's own replay parameters, from its failure report: `{ seed: 1, path: "0:1" }`. */
function failurePath(output: string): string | undefined {
  return /path:\s*"([^"]+)"/.exec(output)?.[1];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

type Tally = { clean: number; chunks: number; failures: string[] };

function runChunk(model: FuzzModel, seed: number, runs: number): { ok: boolean; output: string } {
  const { file, test } = MODELS[model];
  const result = spawnSync(
    "node_modules/.bin/vitest",
    ["run", file, "-t", escapeRegExp(test), "--reporter=dot"],
    {
      env: { ...process.env, FC_SEED: String(seed), FC_RUNS: String(runs), FC_PATH: "" },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return { ok: result.status === 0, output: `${result.stdout}\n${result.stderr}` };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const deadline =
    options.minutes !== undefined
      ? Date.now() + options.minutes * 60_000
      : Number.POSITIVE_INFINITY;
  const tally = {} as Record<FuzzModel, Tally>;
  for (const model of options.models) tally[model] = { clean: 0, chunks: 0, failures: [] };
  const budget = options.minutes !== undefined ? `${options.minutes} min` : `${options.runs} each`;
  console.log(`fuzz: ${options.models.join(", ")}; budget ${budget}; ${options.chunk} per chunk`);
  // Models take turns, one chunk each, so a time budget is shared among them.
  for (;;) {
    const pending = options.models.filter(
      (model) => tally[model].clean < options.runs && tally[model].failures.length === 0,
    );
    if (pending.length === 0 || Date.now() >= deadline) break;
    for (const model of pending) {
      if (Date.now() >= deadline) break;
      const runs = Math.min(options.chunk, options.runs - tally[model].clean);
      const seed = randomInt(0, 0x7fffffff);
      const started = Date.now();
      const { ok, output } = runChunk(model, seed, runs);
      const seconds = Math.round((Date.now() - started) / 1000);
      tally[model].chunks++;
      if (ok) {
        tally[model].clean += runs;
        console.log(`fuzz: ${model} seed ${seed}: ${runs} schedules clean (${seconds} s)`);
      } else {
        const replay = replayLine(model, seed, runs, failurePath(output));
        tally[model].failures.push(replay);
        console.log(output.split("\n").slice(-80).join("\n"));
        console.log(`fuzz: ${model} seed ${seed} FAILED (${seconds} s). Replay:\n  ${replay}`);
      }
    }
  }
  console.log("fuzz: schedules run clean per model");
  for (const model of options.models) {
    const { clean, chunks, failures } = tally[model];
    console.log(`  ${model}: ${clean} clean in ${chunks} chunk(s), ${failures.length} failed`);
    for (const replay of failures) console.log(`    replay: ${replay}`);
  }
  process.exit(options.models.some((model) => tally[model].failures.length > 0) ? 1 : 0);
}

main();
