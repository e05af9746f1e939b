/**
 * What each top-level transaction used, split by component, captured from
 * inside convex-test without touching the code under test.
 *
 * convex-test keeps per-transaction usage in a `TransactionMetricsTracker`
 * (node_modules/convex-test/dist/transactionMetrics.js): one tracker per
 * top-level transaction, with a stack of layers that nested `runQuery` /
 * `runMutation` calls push and pop (a child starts from its parent's usage; a
 * commit folds all of it back, a rollback only the reads). Its `track*` methods
 * are called from the syscalls, synchronously, inside the calling function's
 * execution context, whose `componentPath` says whose database is used ("" is
 * the app, "rollouts" and "migrations" the components). So:
 *
 * - the tracker's prototype is wrapped: each `track*` call is also counted per
 *   component path, on a stack of layers kept in lockstep with the tracker's
 *   own (same fold rules); when the root layer commits or rolls back, its
 *   totals and the per-component split are recorded with the name of the
 *   top-level function;
 * - the execution context is convex-test's private `AsyncLocalStorage`; it is
 *   found by wrapping `AsyncLocalStorage.prototype.run` and recognising the
 *   store convex-test puts in it (`componentPath`, `udfPath`, `udfType`,
 *   `paginatedQueries`). The first such store entered after a root layer is
 *   pushed is the top-level function of that transaction (top-level
 *   transactions are serialized by convex-test's lock);
 * - the Convex runtime calls `globalThis.Convex.syscall` / `.asyncSyscall`
 *   on every database operation: wrapping that object times each operation's
 *   synchronous part, which is where convex-test evaluates queries.
 *
 * `install()` must run before the first `convexTest()` call (for the ALS hook)
 * and `wrapSyscalls()` right after it (convex-test installs `globalThis.Convex`
 * on its first call).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";

export type Counts = {
  documentsRead: number;
  bytesRead: number;
  databaseQueries: number;
  documentsWritten: number;
  bytesWritten: number;
  functionsScheduled: number;
};

const READ_KEYS = ["documentsRead", "bytesRead", "databaseQueries"] as const;

export function zeroCounts(): Counts {
  return {
    documentsRead: 0,
    bytesRead: 0,
    databaseQueries: 0,
    documentsWritten: 0,
    bytesWritten: 0,
    functionsScheduled: 0,
  };
}

export function addCounts(into: Counts, from: Counts): Counts {
  for (const key of Object.keys(into) as (keyof Counts)[]) into[key] += from[key];
  return into;
}

/** One top-level transaction, as it ended. */
export type TxRecord = {
  /** The top-level function: "module:export", or "custom" for convex-test's own `t.run`s. */
  fn: string;
  /** Its component path: "" for the app. */
  component: string;
  type: string;
  /** False when its root layer rolled back (every query does; a failed mutation does). */
  committed: boolean;
  /** convex-test's own totals for the transaction (the root layer). */
  total: Counts;
  /** When it ended (`performance.now()`). */
  endedAt: number;
  /** The same usage, by the component path whose database was used. */
  byComponent: Record<string, Counts>;
};

type ExecStore = {
  componentPath: string;
  udfPath: string;
  udfType: string;
  paginatedQueries: number;
};

type Layers = Record<string, Counts>;

type TxState = {
  stack: Layers[];
  top?: { fn: string; component: string; type: string };
};

type TrackerInternals = {
  _layers: { metrics: Record<string, number> }[];
  __bench?: TxState;
};

type SyscallStat = { calls: number; ms: number };

/** What a sink receives. */
export type Sink = (record: TxRecord) => void;

let execStorage: AsyncLocalStorage<unknown> | null = null;
let awaitingTop: TxState | null = null;
let sink: Sink | null = null;
let syscalls = new Map<string, SyscallStat>();
let installed = false;
let syscallsWrapped = false;

const memory = { rss: 0, heapUsed: 0 };

function isExecStore(store: unknown): store is ExecStore {
  return (
    typeof store === "object" &&
    store !== null &&
    "componentPath" in store &&
    "udfPath" in store &&
    "udfType" in store &&
    "paginatedQueries" in store
  );
}

function currentComponent(): string {
  const store = execStorage?.getStore();
  return isExecStore(store) ? store.componentPath : "";
}

function countsOf(layers: Layers, component: string): Counts {
  return (layers[component] ??= zeroCounts());
}

function cloneLayers(layers: Layers): Layers {
  return Object.fromEntries(Object.entries(layers).map(([k, c]) => [k, { ...c }]));
}

let lastSample = 0;

function sampleMemory() {
  lastSample = performance.now();
  const { rss, heapUsed } = process.memoryUsage();
  if (rss > memory.rss) memory.rss = rss;
  if (heapUsed > memory.heapUsed) memory.heapUsed = heapUsed;
}

/** Wraps convex-test's tracker and the ALS that holds its execution context. Idempotent. */
export function install(): void {
  if (installed) return;
  installed = true;

  // eslint-disable-next-line @typescript-eslint/unbound-method
  const run = AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.run = function <R, TArgs extends unknown[]>(
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    callback: (...args: TArgs) => R,
    ...args: TArgs
  ): R {
    if (isExecStore(store)) {
      // The one storage convex-test keeps its execution context in, kept for getStore().
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      execStorage = this;
      if (awaitingTop !== null) {
        awaitingTop.top = {
          fn: store.udfPath,
          component: store.componentPath,
          type: store.udfType,
        };
        awaitingTop = null;
      }
    }
    return run.call(this, store, callback, ...args) as R;
  } as typeof AsyncLocalStorage.prototype.run;

  const proto = TransactionMetricsTracker.prototype as unknown as Record<
    string,
    (this: TrackerInternals, ...args: never[]) => unknown
  >;
  const wrap = (
    name: string,
    before: ((self: TrackerInternals, args: unknown[]) => void) | null,
    after: ((self: TrackerInternals, args: unknown[]) => void) | null,
  ) => {
    const original = proto[name]!;
    proto[name] = function (this: TrackerInternals, ...args: never[]) {
      before?.(this, args);
      const result = original.apply(this, args);
      after?.(this, args);
      return result;
    };
  };

  wrap("startTransaction", null, (self) => {
    if (self._layers.length === 1) {
      const state: TxState = { stack: [{}] };
      self.__bench = state;
      awaitingTop = state;
    } else {
      const state = self.__bench!;
      state.stack.push(cloneLayers(state.stack[state.stack.length - 1]!));
    }
  });
  const track =
    (update: (counts: Counts, args: unknown[]) => void) =>
    (self: TrackerInternals, args: unknown[]) => {
      const state = self.__bench;
      if (state === undefined) return;
      update(countsOf(state.stack[state.stack.length - 1]!, currentComponent()), args);
    };
  wrap(
    "trackRead",
    null,
    track((c, [size]) => {
      c.documentsRead += 1;
      c.bytesRead += size as number;
    }),
  );
  wrap(
    "trackWrite",
    null,
    track((c, [size]) => {
      c.documentsWritten += 1;
      c.bytesWritten += size as number;
    }),
  );
  wrap(
    "trackIndexRange",
    null,
    track((c) => {
      c.databaseQueries += 1;
    }),
  );
  wrap(
    "trackScheduledFunction",
    null,
    track((c) => {
      c.functionsScheduled += 1;
    }),
  );
  wrap("commit", (self) => end(self, true), null);
  wrap("rollback", (self) => end(self, false), null);
}

/** Before the tracker pops a layer: fold ours the same way, or record the transaction. */
function end(self: TrackerInternals, committed: boolean) {
  const state = self.__bench;
  if (state === undefined) return;
  if (self._layers.length > 1) {
    const child = state.stack.pop()!;
    const parent = state.stack[state.stack.length - 1]!;
    if (committed) {
      state.stack[state.stack.length - 1] = child;
    } else {
      for (const [component, counts] of Object.entries(child)) {
        const into = countsOf(parent, component);
        for (const key of READ_KEYS) into[key] = counts[key];
      }
    }
    return;
  }
  if (awaitingTop === state) awaitingTop = null;
  // At most every 5 ms: process.memoryUsage() reads /proc and costs ~0.1 ms.
  if (performance.now() - lastSample >= 5) sampleMemory();
  if (sink === null) return;
  const metrics = self._layers[0]!.metrics;
  const total = zeroCounts();
  for (const key of Object.keys(total) as (keyof Counts)[]) total[key] = metrics[key] ?? 0;
  sink({
    fn: state.top?.fn ?? "?",
    component: state.top?.component ?? "?",
    type: state.top?.type ?? "?",
    committed,
    total,
    endedAt: performance.now(),
    byComponent: state.stack[0]!,
  });
}

/**
 * Times the synchronous part of every syscall. Call right after the first
 * `convexTest()`, which installs `globalThis.Convex`. Idempotent.
 */
export function wrapSyscalls(): void {
  if (syscallsWrapped) return;
  type Syscalls = {
    syscall: (op: string, args: string) => string;
    asyncSyscall: (op: string, args: string) => Promise<string>;
    jsSyscall: (op: string, args: unknown) => unknown;
  };
  const global = globalThis as unknown as { Convex?: Syscalls };
  const inner = global.Convex;
  if (inner === undefined) throw new Error("convexTest() has not installed globalThis.Convex yet.");
  syscallsWrapped = true;
  const timed =
    <A, R>(fn: (op: string, args: A) => R) =>
    (op: string, args: A): R => {
      const start = performance.now();
      try {
        return fn(op, args);
      } finally {
        const stat = syscalls.get(op) ?? { calls: 0, ms: 0 };
        stat.calls += 1;
        stat.ms += performance.now() - start;
        syscalls.set(op, stat);
      }
    };
  global.Convex = {
    get syscall() {
      return timed(inner.syscall);
    },
    get asyncSyscall() {
      return timed(inner.asyncSyscall);
    },
    get jsSyscall() {
      return inner.jsSyscall;
    },
  };
}

export type Captured = {
  transactions: TxRecord[];
  /** Synchronous time inside each syscall, by operation. */
  syscalls: Record<string, SyscallStat>;
  peakRss: number;
  peakHeapUsed: number;
  baseRss: number;
  baseHeapUsed: number;
};

let samplerTimer: ReturnType<typeof setInterval> | null = null;
let base = { rss: 0, heapUsed: 0 };
let records: TxRecord[] = [];

/** Starts capturing: transactions, syscall times and the memory high-water mark. */
export function startCapture(): void {
  (globalThis as { gc?: () => void }).gc?.();
  const now = process.memoryUsage();
  base = { rss: now.rss, heapUsed: now.heapUsed };
  memory.rss = now.rss;
  memory.heapUsed = now.heapUsed;
  records = [];
  syscalls = new Map();
  sink = (record) => records.push(record);
  samplerTimer = setInterval(sampleMemory, 25);
}

export function stopCapture(): Captured {
  if (samplerTimer !== null) clearInterval(samplerTimer);
  samplerTimer = null;
  sampleMemory();
  sink = null;
  // Copies: the counters go on counting whatever runs next.
  const timed = Object.fromEntries([...syscalls].map(([op, stat]) => [op, { ...stat }]));
  syscalls = new Map();
  return {
    transactions: records,
    syscalls: timed,
    peakRss: memory.rss,
    peakHeapUsed: memory.heapUsed,
    baseRss: base.rss,
    baseHeapUsed: base.heapUsed,
  };
}

/** Runs `fn` and answers the transactions it made (no memory or syscall capture). */
export async function captureTransactions<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; transactions: TxRecord[] }> {
  const previous = sink;
  const transactions: TxRecord[] = [];
  sink = (record) => transactions.push(record);
  try {
    return { result: await fn(), transactions };
  } finally {
    sink = previous;
  }
}
