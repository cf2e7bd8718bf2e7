#!/usr/bin/env node
// D1 rows written and read per request type (issue 18; docs/FREE_PLAN.md, docs/BENCHMARKS.md).
//
// The unchanged Worker runs under `wrangler dev` behind bench/lib/counting-worker.ts, which adds up
// D1's own meta.rows_read / rows_written of every call a request makes (waitUntil work included).
// Each request type is sent N times to one check that stays up (so pruning, and any other work
// every n-th request, is amortized over the run), and the sweep that prunes the signed requests'
// nonces afterwards is added to the signed pings' share. Rows are what Cloudflare bills: counts,
// not timings, so the figures do not depend on the machine.
//
//   node bench/d1-rows.mjs            (BENCH_ROWS_N=1000 requests per type)
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { writeTempConfig } from "../test/helpers/temp-config.ts";
import { applyMigrations, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { adminClient } from "./lib/admin.mjs";
import { freezeConfig } from "./lib/freeze.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { triggerScheduled } from "./lib/scheduled.mjs";
import { signedHeaders } from "./lib/sign.mjs";
import { formatTable } from "./lib/table.mjs";

const N = Number(process.env.BENCH_ROWS_N ?? 1000);
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const vars = { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: randomBytes(32).toString("hex"), STATUS_CACHE_S: "0" };

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-rows-"));
process.env.TMPDIR = dir;
const envFile = join(dir, "empty.env");
writeFileSync(envFile, "");
let server;

async function tally(origin, reset = true) {
  return (await fetch(`${origin}/__bench/requests${reset ? "?reset=1" : ""}`)).json();
}

/** Sends `count` requests one after another (the rows do not depend on concurrency) and tallies them. */
async function measure(origin, name, count, send) {
  await tally(origin);
  for (let i = 0; i < count; i++) {
    const response = await send(i);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  }
  await new Promise((resolve) => setTimeout(resolve, 200)); // waitUntil work settles
  const t = await tally(origin);
  return { name, requests: count, rows_written: t.rows_written, rows_read: t.rows_read, d1_calls: t.d1_calls };
}

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The three requests of a backup (register, each part, complete), each type tallied over BACKUPS backups. */
async function backupRows(origin) {
  const BACKUPS = 20;
  const PART = 1024 * 1024;
  await admin(origin, "POST", "/api/v1/checks", { name: "db", slug: "db", kind: "backup", period_s: 86400 });
  const made = await admin(origin, "POST", "/api/v1/keys", { host: "bench", scopes: ["upload"], checks: ["db"] });
  const key = { keyId: made.key_id, secret: Buffer.from(made.secret, "hex") };
  const signed = (method, path, body = "") =>
    fetch(`${origin}${path}`, {
      method,
      body: body === "" ? undefined : body,
      headers: { ...signedHeaders(key, method, path, body), "Content-Type": "application/json" },
    });
  const totals = { register: [], part: [], complete: [] };
  for (let b = 0; b < BACKUPS; b++) {
    const data = randomBytes(Math.floor(2.5 * PART));
    const chunks = [0, 1, 2].map((i) => data.subarray(i * PART, Math.min((i + 1) * PART, data.length)));
    const manifest = {
      check: "db",
      size: data.length,
      sha256: sha(data),
      part_size: PART,
      parts: chunks.map((chunk, index) => ({ index, size: chunk.length, sha256: sha(chunk) })),
      compression: "gzip",
      encryption: "none",
      source: "postgres",
      host: "bench",
      meta: {},
    };
    await tally(origin);
    const created = await signed("POST", "/v1/backups", JSON.stringify(manifest));
    if (created.status !== 201) throw new Error(`register: HTTP ${created.status} ${await created.text()}`);
    const { id } = await created.json();
    totals.register.push(await tally(origin));
    for (const [index, chunk] of chunks.entries()) {
      const path = `/v1/backups/${id}/parts/${index}`;
      const put = await fetch(`${origin}${path}`, {
        method: "PUT",
        body: chunk,
        headers: signedHeaders(key, "PUT", path, chunk),
      });
      if (put.status !== 201) throw new Error(`part: HTTP ${put.status} ${await put.text()}`);
      totals.part.push(await tally(origin));
    }
    const done = await signed("POST", `/v1/backups/${id}/complete`);
    if (done.status !== 200) throw new Error(`complete: HTTP ${done.status} ${await done.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    totals.complete.push(await tally(origin));
  }
  const sum = (list, field) => list.reduce((total, t) => total + t[field], 0);
  return Object.entries({
    "signed POST /v1/backups (register, 3 parts)": totals.register,
    "signed PUT /v1/backups/<id>/parts/<i> (1 MiB)": totals.part,
    "signed POST /v1/backups/<id>/complete": totals.complete,
  }).map(([name, list]) => ({
    name,
    requests: list.length,
    rows_written: sum(list, "rows_written"),
    rows_read: sum(list, "rows_read"),
    d1_calls: sum(list, "d1_calls"),
  }));
}

/** One cron sweep with nothing due, as the counting wrapper tallies it. */
async function sweepRows(origin) {
  await triggerScheduled(origin, Date.now());
  const sweep = await (await fetch(`${origin}/__bench/last-sweep`)).json();
  return {
    rows_written: sweep.d1.reduce((sum, call) => sum + (call.rows_written ?? 0), 0),
    rows_read: sweep.d1.reduce((sum, call) => sum + (call.rows_read ?? 0), 0),
    d1_calls: sweep.d1.length,
  };
}

async function main() {
  console.log(JSON.stringify(machineInfo(os.loadavg())));
  mkdirSync(join(dir, "counting"));
  const config = await freezeConfig(
    writeTempConfig(join(dir, "counting"), { main: "bench/lib/counting-worker.ts" }),
    join(dir, "counting"),
  );
  await applyMigrations(join(dir, "state"), config);
  server = await startWranglerDev({ config, persistTo: join(dir, "state"), envFile, testScheduled: true, vars });
  const origin = server.url;

  const plain = await admin(origin, "POST", "/api/v1/checks", {
    name: "plain",
    slug: "plain",
    period_s: 60,
    grace_s: 60,
  });
  await admin(origin, "POST", "/api/v1/checks", { name: "signed", slug: "signed", period_s: 60, grace_s: 60 });
  const created = await admin(origin, "POST", "/api/v1/keys", { host: "bench", scopes: ["ping"], checks: ["signed"] });
  const key = { keyId: created.key_id, secret: Buffer.from(created.secret, "hex") };
  // The first ping brings each check up: the flip and its alert are not what a steady ping costs.
  await fetch(`${origin}/ping/${plain.uuid}`);
  const path = "/v1/ping/signed";
  await fetch(`${origin}${path}`, { method: "POST", headers: signedHeaders(key, "POST", path, "") });

  const rows = [];
  rows.push(await measure(origin, "GET /ping/<uuid>", N, () => fetch(`${origin}/ping/${plain.uuid}`)));
  rows.push(
    await measure(origin, "POST /ping/<uuid> (1 KB body)", N, () =>
      fetch(`${origin}/ping/${plain.uuid}`, { method: "POST", body: "x".repeat(1024) }),
    ),
  );
  const signed = await measure(origin, "signed POST /v1/ping/<slug>", N, () =>
    fetch(`${origin}${path}`, { method: "POST", headers: signedHeaders(key, "POST", path, "") }),
  );
  // The nonces' expiry: a sweep once they are all outside the replay window.
  await tally(origin);
  await triggerScheduled(origin, Date.now() + 20 * 60_000);
  const sweep = await (await fetch(`${origin}/__bench/last-sweep`)).json();
  const prune = sweep.d1.filter((call) => /DELETE FROM "?nonces"?/i.test(call.sql));
  const pruneWritten = prune.reduce((sum, call) => sum + (call.rows_written ?? 0), 0);
  rows.push({
    ...signed,
    name: `${signed.name} + its nonce's expiry`,
    rows_written: signed.rows_written + pruneWritten,
  });
  rows.push(await measure(origin, "GET / (status page)", 100, () => fetch(origin)));
  rows.push(...(await backupRows(origin)));
  const idle = await sweepRows(origin);
  rows.push({ name: "one sweep, nothing due", requests: 1, ...idle });

  const table = rows.map((r) => ({
    ...r,
    written_per_request: Math.round((r.rows_written / r.requests) * 100) / 100,
    read_per_request: Math.round((r.rows_read / r.requests) * 100) / 100,
    d1_calls_per_request: Math.round((r.d1_calls / r.requests) * 100) / 100,
  }));
  console.log();
  console.log(
    formatTable(
      ["request", "n", "rows written / request", "rows read / request", "D1 calls / request"],
      table.map((r) => [r.name, r.requests, r.written_per_request, r.read_per_request, r.d1_calls_per_request]),
    ),
  );
  console.log(`nonce prune in the sweep: ${pruneWritten} rows written for ${N} nonces`);
  writeBenchOutput("d1-rows", {
    machine: machineInfo(os.loadavg()),
    n: N,
    rows: table,
    nonce_prune_rows_written: pruneWritten,
  });
  return 0;
}

await runBenchmark(main, async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
