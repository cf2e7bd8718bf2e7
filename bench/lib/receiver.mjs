// A webhook receiver for benchmarks, in the benchmark's own process: it stamps each request with
// performance.now() when the whole request has arrived, the same clock the benchmark reads just
// before sending a ping, so "ping → alert" is one subtraction with no clock skew between processes.
// POST /hook/<inbox> is recorded and answered with the inbox's status (200 unless set otherwise).
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";

/**
 * @typedef {{ inbox: string, at: number, status: number, headers: import("node:http").IncomingHttpHeaders, body: string }} Arrival
 */

export async function startTimingReceiver() {
  /** @type {Arrival[]} */
  const arrivals = [];
  /** @type {Map<string, number>} */
  const statuses = new Map();
  /** @type {Set<() => void>} */
  const listeners = new Set();

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const at = performance.now();
      const [, route, inbox = ""] = (req.url ?? "").split("?")[0].split("/");
      if (route !== "hook" || req.method !== "POST") return res.writeHead(404).end();
      const status = statuses.get(inbox) ?? 200;
      arrivals.push({ inbox, at, status, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status).end(status < 300 ? "ok" : "failing on purpose");
      for (const listener of listeners) listener();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  /**
   * The first arrival at index ≥ `from` that `match` accepts; rejects after `timeoutMs`.
   * Event-driven rather than polled, though the timestamp is taken on arrival either way.
   * @param {(a: Arrival) => boolean} match
   * @returns {Promise<Arrival>}
   */
  function waitFor(match, { from = 0, timeoutMs = 15_000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = arrivals.slice(from).find(match);
        if (!found) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching webhook within ${timeoutMs} ms (${arrivals.length - from} arrived meanwhile)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  return {
    url,
    arrivals,
    /** @param {string} inbox @param {number} status */
    setStatus: (inbox, status) => statuses.set(inbox, status),
    waitFor,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
