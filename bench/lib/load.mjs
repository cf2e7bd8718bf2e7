// A small closed-loop HTTP load generator: N connections (keep-alive), each sending its next
// request as soon as the previous answer is read. No external tools; node:http only.
import { Agent, request as httpRequest } from "node:http";
import { performance } from "node:perf_hooks";

/**
 * @typedef {{ method?: string, path: string, headers?: Record<string, string>, body?: string | Buffer }} Req
 * @typedef {{ requests: number, errors: number, seconds: number, rps: number,
 *             p50_ms: number, p90_ms: number, p99_ms: number, max_ms: number, first_error: string | null }} Result
 */

/**
 * Warms up for `warmupS`, then measures for `durationS` seconds.
 * `makeRequest(connection, n)` builds each request (so signed requests get a fresh nonce each).
 * `around.before()` / `around.after()` run just before and after the measured phase (e.g. to
 * read the server's CPU time); what `after` returns is attached to the result as `extra`.
 * @param {{ origin: string, connections: number, durationS: number, warmupS: number,
 *           makeRequest: (connection: number, n: number) => Req,
 *           around?: { before: () => void, after: () => unknown } }} options
 * @returns {Promise<Result & { extra?: unknown }>}
 */
export async function measure({ origin, connections, durationS, warmupS, makeRequest, around }) {
  const url = new URL(origin);
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  try {
    if (warmupS > 0) await phase(url, agent, connections, warmupS, makeRequest);
    around?.before();
    const result = await phase(url, agent, connections, durationS, makeRequest);
    return around ? { ...result, extra: around.after() } : result;
  } finally {
    agent.destroy();
  }
}

async function phase(url, agent, connections, seconds, makeRequest) {
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let last = start;
  async function loop(connection) {
    while (performance.now() < end) {
      const req = makeRequest(connection, n++);
      const t0 = performance.now();
      try {
        const { status, body } = await send(url, agent, req);
        if (status < 200 || status >= 300) {
          errors++;
          firstError ??= `${req.method ?? "GET"} ${req.path} → HTTP ${status}: ${body.slice(0, 200)}`;
        }
      } catch (error) {
        errors++;
        firstError ??= `${req.method ?? "GET"} ${req.path} → ${error instanceof Error ? error.message : error}`;
      }
      const t1 = performance.now();
      latencies.push(t1 - t0);
      last = t1;
    }
  }
  await Promise.all(Array.from({ length: connections }, (_, c) => loop(c)));
  const elapsed = (last - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    requests: latencies.length,
    errors,
    seconds: round(elapsed),
    rps: Math.round(latencies.length / elapsed),
    p50_ms: round(pct(50)),
    p90_ms: round(pct(90)),
    p99_ms: round(pct(99)),
    max_ms: round(sorted.length ? sorted[sorted.length - 1] : NaN),
    first_error: firstError,
  };
}

/** One request on the keep-alive agent; resolves with the status and the (small) body. */
function send(url, agent, req) {
  return new Promise((resolve, reject) => {
    const body = req.body ?? null;
    const headers = { ...req.headers };
    if (body !== null) headers["Content-Length"] = String(Buffer.byteLength(body));
    const r = httpRequest(
      { host: url.hostname, port: url.port, method: req.method ?? "GET", path: req.path, headers, agent },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    r.setTimeout(30_000, () => r.destroy(new Error("no answer within 30 s")));
    r.on("error", reject);
    r.end(body ?? undefined);
  });
}
