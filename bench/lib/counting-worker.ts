// The Lifeboat Worker, unchanged, behind a thin wrapper that counts what each cron sweep does:
// every D1 call (a statement's first/all/run/raw, or one batch), every R2 call and every outbound
// fetch(): the things Cloudflare counts as subrequests.
// bench/alerts.mjs runs it as wrangler dev's entry point and reads the last sweep's tally from
// GET /__bench/last-sweep, so "subrequests per sweep" is counted, not estimated.
// Only the scheduled handler is counted: requests (pings, the admin API) pass straight through.
import worker from "../../worker/index";
import type { Env } from "../../worker/env";

type D1Call = { method: string; statements: number; sql: string };
type SweepTally = { d1: D1Call[]; r2: string[]; fetches: string[]; worker_ms: number; scheduled_time: number };

let last: SweepTally | null = null;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (new URL(request.url).pathname === "/__bench/last-sweep") return Response.json(last);
    return worker.fetch(request, env, ctx);
  },

  async scheduled(controller: ScheduledController, env: Env) {
    const tally: SweepTally = { d1: [], r2: [], fetches: [], worker_ms: 0, scheduled_time: controller.scheduledTime };
    const realFetch = globalThis.fetch;
    // Transport calls the global fetch at send time, so swapping it here sees every delivery.
    globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      tally.fetches.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    };
    // Date.now() in workerd moves only across I/O; the sweep is nearly all I/O, so this is close to wall time.
    const started = Date.now();
    try {
      const counted = { ...env, DB: countingD1(env.DB, tally.d1), BUCKET: countingCalls(env.BUCKET, tally.r2) };
      await worker.scheduled(controller, counted);
    } finally {
      tally.worker_ms = Date.now() - started;
      globalThis.fetch = realFetch;
      last = tally;
    }
  },
} satisfies ExportedHandler<Env>;

/** The first words of a statement, enough to tell which query of the code it is. */
const summary = (query: string) => query.replace(/\s+/g, " ").trim().slice(0, 90);

/**
 * env.DB with each D1 round trip recorded. Statements are proxied; batch() gets the real ones back,
 * since D1 checks what it is given.
 */
function countingD1(db: D1Database, calls: D1Call[]): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
          const method = target[prop] as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => {
            calls.push({ method: prop, statements: 1, sql });
            return method.apply(target, args);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    sqlOf.set(proxy, sql);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), summary(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const sql = statements.map((s) => sqlOf.get(s) ?? "?").join(" ; ");
          calls.push({ method: "batch", statements: statements.length, sql });
          return target.batch(statements.map((s) => real.get(s) ?? s));
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A binding whose every method call (R2: get, put, delete, list, head, …) is recorded by name. */
function countingCalls<T extends object>(binding: T, calls: string[]): T {
  return new Proxy(binding, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return value.apply(target, args);
      };
    },
  });
}
