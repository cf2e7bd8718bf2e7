// The Lifeboat Worker, unchanged, behind a thin wrapper that counts what each cron sweep does:
// every D1 call (a statement's first/all/run/raw, or one batch) with the rows it read and wrote,
// every R2 call and every outbound fetch(): the things Cloudflare counts as subrequests.
// bench/alerts.mjs and bench/sweep.mjs run it as wrangler dev's entry point and read the last sweep's tally from
// GET /__bench/last-sweep, so "subrequests per sweep" is counted, not estimated.
// Requests are counted too, cumulatively until GET /__bench/requests?reset=1 (bench/d1-rows.mjs):
// D1 calls, rows read and written, including the work a request leaves to waitUntil.
import worker from "../../worker/index";
import type { Env } from "../../worker/env";

type D1Call = {
  method: string;
  statements: number;
  sql: string;
  /** null: a first()/raw() of a statement that is not a plain SELECT, whose meta D1 does not return */
  rows_read: number | null;
  rows_written: number | null;
};
type SweepTally = { d1: D1Call[]; r2: string[]; fetches: string[]; worker_ms: number; scheduled_time: number };

let last: SweepTally | null = null;
let requests = { count: 0, d1: [] as D1Call[] };
// Off for CPU measurements: the extra all() that reads a first()/raw() SELECT's meta costs CPU.
let meterRows = true;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const path = new URL(request.url).pathname;
    if (path === "/__bench/last-sweep") return Response.json(last);
    if (path === "/__bench/meter-rows" && request.method === "POST") {
      meterRows = new URL(request.url).searchParams.get("on") !== "0";
      return Response.json({ meterRows });
    }
    // Seeding and inspecting state for bench/sweep.mjs (100,000 checks do not go through the API).
    // This wrapper only ever runs under a local `wrangler dev`; it is never deployed.
    if (path === "/__bench/sql" && request.method === "POST") {
      const { sql, params = [] } = await request.json<{ sql: string; params?: unknown[] }>();
      const result = await env.DB.prepare(sql)
        .bind(...params)
        .all();
      return Response.json({ results: result.results, meta: result.meta });
    }
    if (path === "/__bench/requests") {
      const tally = {
        requests: requests.count,
        d1_calls: requests.d1.length,
        rows_read: requests.d1.reduce((sum, call) => sum + (call.rows_read ?? 0), 0),
        rows_written: requests.d1.reduce((sum, call) => sum + (call.rows_written ?? 0), 0),
        calls: new URL(request.url).searchParams.has("calls") ? requests.d1 : undefined,
      };
      if (new URL(request.url).searchParams.has("reset")) requests = { count: 0, d1: [] };
      return Response.json(tally);
    }
    requests.count++;
    return worker.fetch(request, { ...env, DB: countingD1(env.DB, requests.d1) }, ctx);
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

const READ_ONLY = /^\s*select\b/i;
type Meta = { rows_read?: number; rows_written?: number };

/**
 * env.DB with each D1 round trip recorded, with D1's own rows_read and rows_written (meta).
 * run(), all() and batch() return meta; first() and raw() drop it, so for those the same statement
 * is run once more with all(), only to read its meta — and only if it is a plain SELECT, which
 * reads the same rows twice and writes nothing; for any other first()/raw() (e.g. UPDATE …
 * RETURNING) the rows are unknown (null). What the Worker gets back is always the real call's.
 * Statements are proxied; batch() gets the real ones back, since D1 checks what it is given.
 */
function countingD1(db: D1Database, calls: D1Call[]): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();
  const record = (method: string, sql: string, metas: (Meta | null)[]) => {
    const known = metas.every((m) => m !== null);
    calls.push({
      method,
      statements: metas.length,
      sql,
      rows_read: known ? metas.reduce((sum, m) => sum + (m!.rows_read ?? 0), 0) : null,
      rows_written: known ? metas.reduce((sum, m) => sum + (m!.rows_written ?? 0), 0) : null,
    });
  };
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const sql = summary(query);
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), query);
        if (prop === "all" || prop === "run") {
          return async (...args: unknown[]) => {
            const result = (await (target[prop] as (...a: unknown[]) => Promise<D1Result>).apply(
              target,
              args,
            )) as D1Result;
            record(prop, sql, [result.meta as Meta]);
            return result;
          };
        }
        if (prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            const value = await (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            const meta = meterRows && READ_ONLY.test(query) ? ((await target.all()).meta as Meta) : null;
            record(prop, sql, [meta]);
            return value;
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
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => real.get(s) ?? s));
          const sql = statements.map((s) => sqlOf.get(s) ?? "?").join(" ; ");
          record(
            "batch",
            sql,
            results.map((r) => r.meta as Meta),
          );
          return results;
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
