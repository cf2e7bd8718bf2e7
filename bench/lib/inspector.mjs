// The Worker's own isolate on `wrangler dev`, over the inspector protocol: wrangler's inspector
// proxy exposes only the user Worker — not miniflare's D1/R2 simulators, which run in the same
// workerd process and thread — so what it reports is the Worker's alone.
// (V8's sampling profiler is no use for CPU time here: under workerd it samples every ~15 ms of
// wall time, not at the interval asked for, and counts waits as busy.)
import { readFileSync } from "node:fs";

/** The --inspector-port a `wrangler dev` (by pid) was started with, from its command line. */
export function inspectorPortOf(pid) {
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const at = args.indexOf("--inspector-port");
  if (at < 0) throw new Error(`wrangler dev (pid ${pid}) has no --inspector-port`);
  return Number(args[at + 1]);
}

/** A Chrome DevTools Protocol session on the Worker's isolate (Node 22's global WebSocket). */
export async function connectInspector(port) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}`);
  // wrangler's inspector proxy wants an Origin it knows (DevTools sends one; Node's WebSocket does not).
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("inspector connection failed")), { once: true });
  });
  let next = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = message.id !== undefined && pending.get(message.id);
    if (!waiter) return; // events
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    else waiter.resolve(message.result);
  });
  return {
    send(method, params = {}) {
      const id = next++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { method, resolve, reject }));
    },
    close: () => socket.close(),
  };
}

/**
 * The Worker isolate's V8 heap right now (Runtime.getHeapUsage): exact, not sampled. It holds the
 * Worker's own JS objects; stream bodies in flight are native buffers of the runtime and not in it.
 */
export async function heapUsage(inspector) {
  const { usedSize, totalSize } = await inspector.send("Runtime.getHeapUsage");
  return { used: usedSize, total: totalSize };
}
