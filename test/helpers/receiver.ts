import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { answerAsService } from "./stand-ins";

/**
 * A local HTTP receiver that stands in for alert endpoints (no third-party server is reachable
 * here). Each test uses its own inbox name:
 *   POST /hook/<inbox>          records the request, answers with the inbox's configured status
 *   PUT  /_control/<inbox>      {"status": 500}, {"hang": true} or {"delay_ms": 300} changes how
 *                               the inbox answers; {"location": "…"} adds that header and
 *                               {"body": "…"} replaces the answer's "ok"
 *   GET  /_requests/<inbox>     what the inbox received, oldest first
 *   POST /slack/…, /discord/…, /telegram/…, /ntfy/, /pagerduty/…
 *                               stand-ins that answer like those services (stand-ins.ts says which
 *                               inbox each records under); /_control/ works for them too
 */
export type Recorded = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  status: number;
  /** Webhook inboxes: how many of their requests were open when this one arrived, itself included. */
  in_flight?: number;
};

export async function startReceiver(port = 0): Promise<{ url: string; server: Server }> {
  const inboxes = new Map<string, Recorded[]>();
  const behaviour = new Map<
    string,
    { status?: number; hang?: boolean; delay_ms?: number; location?: string; body?: string }
  >();
  const open = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const [, route, inbox = ""] = (req.url ?? "").split("?")[0]!.split("/");
    if (route === "_control" && req.method === "PUT") {
      behaviour.set(inbox, JSON.parse(body || "{}"));
      return res.writeHead(204).end();
    }
    if (route === "_requests") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(inboxes.get(inbox) ?? []));
    }
    if (route === "hook") {
      const how = behaviour.get(inbox) ?? {};
      if (how.hang) return; // never answers: the sender's timeout must fire
      const inFlight = (open.get(inbox) ?? 0) + 1;
      open.set(inbox, inFlight);
      const list = inboxes.get(inbox) ?? [];
      const status = how.status ?? 200;
      list.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: flat(req.headers),
        body,
        at: Date.now(),
        status,
        in_flight: inFlight,
      });
      inboxes.set(inbox, list);
      if (how.delay_ms) await new Promise((resolve) => setTimeout(resolve, how.delay_ms));
      open.set(inbox, open.get(inbox)! - 1);
      return res.writeHead(status, how.location ? { Location: how.location } : {}).end(how.body ?? "ok");
    }
    const request = { method: req.method ?? "", path: req.url ?? "", headers: flat(req.headers), body };
    const standIn = answerAsService(route ?? "", request, (name) => behaviour.get(name) ?? {});
    if (standIn === "hang") return;
    if (standIn) {
      if (standIn.inbox !== null) {
        const list = inboxes.get(standIn.inbox) ?? [];
        list.push({ ...request, at: Date.now(), status: standIn.status });
        inboxes.set(standIn.inbox, list);
      }
      return res.writeHead(standIn.status, { "Content-Type": standIn.contentType }).end(standIn.body);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function flat(headers: IncomingMessage["headers"]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
}
