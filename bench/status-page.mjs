#!/usr/bin/env node
// The public status page with 50 checks on `wrangler dev` (local workerd + local D1), against a
// bare Worker that answers "OK" on the same runtime and dev server:
//   1. bare route        GET /   bench/bare-worker.js
//   2. status page       GET /   rendered on every request (STATUS_CACHE_S=0): one D1 batch + JSX
//   3. status page       GET /   cached as deployed (STATUS_CACHE_S=30): the isolate's memo
// 50 checks (25 heartbeats, 25 nightly backup checks, 5 groups) are created through the admin API;
// their 90 days of history (backups, a few incidents) are written with `wrangler d1 execute`
// between two starts of the dev server, because backups only arrive through signed agent uploads.
// BENCH_REQUESTS (200) sequential requests per scenario after a warm-up that fills the memo of
// finished days, BENCH_ROUNDS (3) interleaved rounds, medians reported; also the dev server's CPU
// time per request (its processes, from /proc). Prints a table; writes bench/out/status-page.json.
// Run: `npm run bench -- status-page` or `npx node bench/status-page.mjs` (Node >= 22.18).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { frozenWorkerConfig } from "../test/helpers/frozen-worker.ts";
import { applyMigrations, groupMembers, REPO_ROOT, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { adminClient } from "./lib/admin.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { formatTable } from "./lib/table.mjs";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHECKS = 50;
const DAY = 86_400_000;

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-status-"));
const envFile = join(dir, "empty.env");
writeFileSync(envFile, "");
const servers = [];

async function start(config, persistTo, vars = {}) {
  const server = await startWranglerDev({ config, persistTo, envFile, logLevel: "warn", vars });
  servers.push(server);
  return server;
}

async function stop(server) {
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
}

async function main() {
  console.log(
    `machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? "?"}), load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  const config = await frozenWorkerConfig(join(dir, "frozen"));
  const persistTo = join(dir, "lifeboat");
  await applyMigrations(persistTo, config);
  const vars = { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: randomBytes(32).toString("hex") };

  // 1. The checks, through the admin API as an operator would make them.
  let lifeboat = await start(config, persistTo, { ...vars, STATUS_CACHE_S: "0" });
  const checks = [];
  for (let i = 0; i < CHECKS; i++) {
    const kind = i % 2 ? "backup" : "heartbeat";
    checks.push(
      await admin(lifeboat.url, "POST", "/api/v1/checks", {
        name: `${kind === "backup" ? "Nightly backup" : "Cron job"} ${i}`,
        kind,
        public: true,
        group: `Group ${i % 5}`,
      }),
    );
  }
  await stop(lifeboat);

  // 2. Their history, straight into the local D1 while no server holds it.
  const now = Date.now();
  const sql = [];
  for (const [i, check] of checks.entries()) {
    const id = `(SELECT id FROM checks WHERE uuid = '${check.uuid}')`;
    sql.push(`UPDATE checks SET created_at = ${now - 120 * DAY}, status = 'up', last_ping_at = ${now - 3_600_000},
      next_due_at = ${now + 20 * 3_600_000}, alert_after = ${now + 21 * 3_600_000} WHERE uuid = '${check.uuid}';`);
    if (check.kind === "backup") {
      for (let d = 95; d >= 0; d--) {
        if (i % 5 === 1 && d === 10 + i) continue; // a fifth of them missed one night
        const at = now - d * DAY - 3_600_000;
        sql.push(`INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption, source, host, received_at, completed_at)
          VALUES ('bk_${randomBytes(10).toString("hex")}', ${id}, 'complete', 1000000, 'x', 1, 1, 'gzip', 'none', 'postgres', 'h', ${at}, ${at + 600_000});`);
      }
    } else if (i % 5 === 0) {
      const at = now - (i + 1) * DAY;
      sql.push(
        `INSERT INTO flips (check_id, from_status, to_status, reason, created_at, processed_at) VALUES (${id}, 'up', 'down', 'timeout', ${at}, ${at});`,
      );
      sql.push(
        `INSERT INTO flips (check_id, from_status, to_status, reason, created_at, processed_at) VALUES (${id}, 'down', 'up', 'ping', ${at + 7_200_000}, ${at});`,
      );
    }
  }
  writeFileSync(join(dir, "seed.sql"), sql.join("\n"));
  const seeded = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "d1",
      "execute",
      "DB",
      "--local",
      "--persist-to",
      persistTo,
      "--config",
      config,
      "--file",
      join(dir, "seed.sql"),
    ],
    { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}${seeded.stdout}`);

  // 3. The servers to compare.
  const bare = await start(join(REPO_ROOT, "bench/wrangler.bare.toml"), join(dir, "bare"));
  lifeboat = await start(config, persistTo, { ...vars, STATUS_CACHE_S: "0" });
  const cachedServer = await start(config, persistTo, { ...vars, STATUS_CACHE_S: "30" });

  // Warm-up: the first renders fill the memo of finished days (bounded per render).
  let html = "";
  for (let i = 0; i < 40; i++) {
    html = await (await fetch(`${lifeboat.url}/`)).text();
    if (!html.includes("not computed yet")) break;
  }
  if (html.includes("not computed yet")) throw new Error("the memo of finished days never filled");
  const htmlBytes = Buffer.byteLength(html);
  const scripts = (html.match(/<script/gi) ?? []).length;
  const bars = (html.match(/<rect/g) ?? []).length;

  const scenarios = [
    { name: "bare", label: 'bare Worker, GET / → "OK"', server: bare },
    { name: "render", label: "status page, rendered every time", server: lifeboat },
    { name: "cached", label: "status page, cached (as deployed)", server: cachedServer },
  ];
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const results = {};
    for (const s of scenarios) results[s.name] = await sequential(s.server, REQUESTS);
    rounds.push(results);
    console.log(
      `round ${round}/${ROUNDS}: ${scenarios.map((s) => `${s.name} p50 ${results[s.name].p50_ms} ms`).join(", ")}`,
    );
  }
  const rows = scenarios.map((s) => {
    const all = rounds.map((r) => r[s.name]);
    const med = (field) => median(all.map((r) => r[field]));
    return {
      ...s,
      p50_ms: med("p50_ms"),
      p90_ms: med("p90_ms"),
      cpu_ms: med("cpu_ms_per_request"),
      errors: all.reduce((n, r) => n + r.errors, 0),
    };
  });
  const base = rows[0];
  console.log();
  console.log(
    formatTable(
      ["scenario", "p50 ms", "p90 ms", "× bare (p50)", "CPU ms/req", "CPU × bare", "errors"],
      rows.map((r) => [
        r.label,
        r.p50_ms.toFixed(2),
        r.p90_ms.toFixed(2),
        (r.p50_ms / base.p50_ms).toFixed(2),
        r.cpu_ms.toFixed(2),
        (r.cpu_ms / base.cpu_ms).toFixed(2),
        r.errors,
      ]),
    ),
  );
  console.log(
    `\nHTML for ${CHECKS} checks: ${htmlBytes} bytes (${bars} bars drawn), JavaScript: ${scripts} script elements, 0 bytes`,
  );

  const out = {
    benchmark: "status-page",
    at: new Date().toISOString(),
    machine: {
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? null,
      loadavg: os.loadavg(),
      node: process.version,
    },
    config: { checks: CHECKS, requests: REQUESTS, rounds: ROUNDS },
    html_bytes: htmlBytes,
    script_elements: scripts,
    bars,
    results: Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          label: r.label,
          p50_ms: r.p50_ms,
          p90_ms: r.p90_ms,
          cpu_ms_per_request: r.cpu_ms,
          errors: r.errors,
          rounds: rounds.map((x) => x[r.name]),
        },
      ]),
    ),
    ratios: {
      render_to_bare_p50: round2(rows[1].p50_ms / base.p50_ms),
      cached_to_bare_p50: round2(rows[2].p50_ms / base.p50_ms),
    },
  };
  mkdirSync(join(REPO_ROOT, "bench/out"), { recursive: true });
  writeFileSync(join(REPO_ROOT, "bench/out/status-page.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/out/status-page.json");
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

/** `count` GETs of / one after another (a visitor at a time): latency percentiles and server CPU. */
async function sequential(server, count) {
  const times = [];
  let errors = 0;
  const before = groupTicks(server.pid);
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await fetch(`${server.url}/`);
    await response.arrayBuffer();
    times.push(performance.now() - start);
    if (response.status !== 200) errors++;
  }
  const ticks = groupTicks(server.pid) - before;
  times.sort((a, b) => a - b);
  return {
    p50_ms: round2(times[Math.floor(count * 0.5)]),
    p90_ms: round2(times[Math.floor(count * 0.9)]),
    cpu_ms_per_request: round2(((ticks / CLK_TCK) * 1000) / count),
    errors,
  };
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** user + system CPU ticks of every live process of a dev server's process group. */
function groupTicks(pgid) {
  let ticks = 0;
  for (const pid of groupMembers(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* exited */
    }
  }
  return ticks;
}

const round2 = (x) => Math.round(x * 100) / 100;
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

await runBenchmark(main, async () => {
  for (const server of [...servers]) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
