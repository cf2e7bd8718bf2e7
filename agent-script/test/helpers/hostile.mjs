// A hostile Lifeboat server for the agent's bats tests: it answers every request without checking
// any signature, and serves whatever the test put in its scenario file — a backup signed by another
// host, a plain-SQL dump with \! in it, a backup id with ../ in it, a download that never ends.
// Usage: node hostile.mjs ENV_FILE DIR. Writes URL=… to ENV_FILE once it listens on 127.0.0.1.
// DIR/scenario.json is read on every request (the test changes it between commands):
//   listing        body of GET /v1/checks/<slug>/backups
//   record         body of GET /v1/backups/<id>
//   content        a file name in DIR: the bytes of GET /v1/backups/<id>/content
//   stall_after    send this many bytes of the content, then nothing (the connection stays open)
//   create         body of POST /v1/backups (default: a fresh, well-formed id)
//   complete       body of POST /v1/backups/<id>/complete (default: status complete)
//   status, error  answer every request with this status and this body instead
// Every request line goes to DIR/requests.log, every body to DIR/bodies.log.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

const [envFile, dir] = process.argv.slice(2);
const scenario = () => {
  const file = join(dir, "scenario.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
};

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    appendFileSync(join(dir, "requests.log"), `${req.method} ${req.url}\n`);
    if (chunks.length > 0) appendFileSync(join(dir, "bodies.log"), `${Buffer.concat(chunks).toString("utf8")}\n`);
    answer(req, res, scenario());
  });
});

function answer(req, res, s) {
  const json = (status, body) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  if (s.status) {
    res.writeHead(s.status, { "Content-Type": "text/plain" });
    return res.end(s.error ?? "");
  }
  const path = req.url.split("?")[0];
  if (req.method === "GET" && /^\/v1\/checks\/[^/]+\/backups$/.test(path))
    return json(200, s.listing ?? { backups: [] });
  if (req.method === "GET" && /^\/v1\/backups\/[^/]+\/content$/.test(path)) return content(res, s);
  if (req.method === "GET" && /^\/v1\/backups\/[^/]+$/.test(path)) return json(200, s.record ?? {});
  if (req.method === "POST" && path === "/v1/backups") {
    return json(201, s.create ?? { id: `bk_${randomBytes(10).toString("hex")}`, missing: [0] });
  }
  if (req.method === "PUT") return json(201, { stored: true });
  if (req.method === "POST" && path.endsWith("/complete")) return json(200, s.complete ?? { status: "complete" });
  return json(200, { ok: true });
}

function content(res, s) {
  const bytes = readFileSync(join(dir, s.content));
  if (s.stall_after !== undefined) {
    // Headers and a little data, then silence: the agent must give up on its own.
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    res.write(bytes.subarray(0, s.stall_after));
    return;
  }
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
  res.end(bytes);
}

server.listen(0, "127.0.0.1", () => {
  writeFileSync(envFile, `HOSTILE_URL=http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
