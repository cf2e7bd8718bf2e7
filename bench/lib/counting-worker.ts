// The Lifeboat Worker, unchanged, behind a thin wrapper that counts what each cron sweep does:
// every D1 call (a statement's first/all/run/raw, or one batch) with the rows it read and wrote,
// every R2 call and every outbound fetch(): the things Cloudflare counts as subrequests.
// bench/alerts.mjs and bench/sweep.mjs run it as wrangler dev's entry point and read the last sweep's tally from
// GET /__bench/last-sweep, so "subrequests per sweep" is counted, not estimated.
// Requests are counted too, cumulatively until GET /__bench/requests?reset=1 (bench/d1-rows.mjs):
// D1 calls, rows read and written, including the work a request leaves to waitUntil.
import worker from "../../worker/index";
import type { Env } from "../../worker/env";
import { countingD1, rowTotals, type D1Call } from "../../test/helpers/counting-d1";

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
        ...rowTotals(requests.d1),
        calls: new URL(request.url).searchParams.has("calls") ? requests.d1 : undefined,
      };
      if (new URL(request.url).searchParams.has("reset")) requests = { count: 0, d1: [] };
      return Response.json(tally);
    }
    requests.count++;
    return worker.fetch(request, { ...env, DB: countingD1(env.DB, requests.d1, () => meterRows) }, ctx);
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
      const counted = {
        ...env,
        DB: countingD1(env.DB, tally.d1, () => meterRows),
        BUCKET: countingCalls(env.BUCKET, tally.r2),
      };
      await worker.scheduled(controller, counted);
    } finally {
      tally.worker_ms = Date.now() - started;
      globalThis.fetch = realFetch;
      last = tally;
    }
  },
} satisfies ExportedHandler<Env>;

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
