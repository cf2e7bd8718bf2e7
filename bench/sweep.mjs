#!/usr/bin/env node
// Two figures for the cron sweep on `wrangler dev` (local workerd + local D1):
//
// 1. D1 rows read by one sweep, by D1's own meta.rows_read (the billing metric), at BENCH_SWEEP_CHECKS
//    (100,000) checks with 1 % due, against issue 8's bound 2 × due + 100; also at a tenth of the
//    checks (10,000, 1 %) to show it follows the due count, and with none due. The Worker runs behind
//    bench/lib/counting-worker.ts, which meters every D1 round trip of the sweep; checks are seeded
//    straight into D1 (one INSERT … SELECT), all `up`, the due ones with alert_after a second ago.
//    The figure is the down-marking UPDATE (markOverdue: the only step that looks at every check's
//    deadline); the whole sweep's rows are reported too, per statement.
//
// 2. CPU time of one sweep with BENCH_SWEEP_SMALL (50) checks — the Free
//    plan's 10 ms. workerd runs the Worker and miniflare's D1 on one thread, so no counter separates
//    them: the dev server's workerd CPU (from /proc) around each sweep, less an empty scheduled() of
//    bench/bare-worker.js (the runtime's cost of an invocation), is an upper bound; taking out what
//    the sweep's number of D1 round trips costs the simulator alone (bench/lib/d1-floor-worker.js)
//    estimates the Worker's own CPU, the part Cloudflare counts (webhook POSTs are taken out the same
//    way). BENCH_SWEEP_RUNS (40) sweeps each of: quiet (all 50 up, nothing due: every minute of a
//    healthy setup); all 50 time out at once with no channel; and the same with two webhook channels
//    and a growing backlog, so the sweep also delivers its bound of alerts.
//
// Prints tables; writes bench/out/sweep.json. Run: `npm run bench -- sweep` or `npx node bench/sweep.mjs`.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeTempConfig } from "../test/helpers/temp-config.ts";
import { applyMigrations, REPO_ROOT, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { adminClient } from "./lib/admin.mjs";
import { baselineConfig } from "./lib/configs.mjs";
import { freezeConfig } from "./lib/freeze.mjs";
import { cpuBetween, groupCpuByPid, machineBusySeconds } from "./lib/proc.mjs";
import { startTimingReceiver } from "./lib/receiver.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { triggerScheduled } from "./lib/scheduled.mjs";
import { median, round2, round3 } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";

const BIG = Number(process.env.BENCH_SWEEP_CHECKS ?? 100_000);
const SMALL = Number(process.env.BENCH_SWEEP_SMALL ?? 50);
const RUNS = Number(process.env.BENCH_SWEEP_RUNS ?? 40);
const FREE_PLAN_CPU_MS = 10;

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const vars = { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: randomBytes(32).toString("hex"), ALLOW_INSECURE_CHANNELS: "true" };

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-sweep-"));
process.env.TMPDIR = dir; // miniflare's scratch dirs go with `dir`
const envFile = join(dir, "empty.env");
writeFileSync(envFile, "");
const servers = [];
let receiver;

async function main() {
  const loadBefore = os.loadavg();
  console.log(
    `machine: ${os.availableParallelism()} CPU (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`,
  );
  // ------------------------------------------------------------------ 1. rows read
  // The Worker behind the counting wrapper, bundled once, so edits to worker/ meanwhile restart nothing.
  mkdirSync(join(dir, "counting"));
  const counting = await freezeConfig(
    writeTempConfig(join(dir, "counting"), { main: "bench/lib/counting-worker.ts" }),
    join(dir, "counting"),
  );
  await applyMigrations(join(dir, "rows"), counting);
  const counted = await startWranglerDev({
    config: counting,
    persistTo: join(dir, "rows"),
    envFile,
    logLevel: process.env.BENCH_LOG_LEVEL ?? "warn",
    testScheduled: true,
    vars,
  });
  servers.push(counted);
  const rows = [];
  for (const [checks, duePercent] of [
    [BIG / 10, 1],
    [BIG, 1],
    [BIG, 0],
  ]) {
    rows.push(
      await rowsRead(counted.url, checks, duePercent).catch((error) => {
        writeFileSync(join(REPO_ROOT, "bench/out/sweep-dev.log"), counted.logs());
        throw new Error(`${error.message} (dev server log: bench/out/sweep-dev.log)`);
      }),
    );
  }
  await counted.stop();

  console.log();
  console.log(
    formatTable(
      [
        "checks",
        "due",
        "markOverdue rows_read",
        "per due",
        "bound 2×due+100",
        "× bound",
        "whole sweep rows_read",
        "D1 calls",
      ],
      rows.map((r) => [
        r.checks.toLocaleString("en"),
        r.due,
        r.mark_overdue_rows_read,
        r.due ? (r.mark_overdue_rows_read / r.due).toFixed(2) : "",
        r.bound,
        (r.mark_overdue_rows_read / r.bound).toFixed(3),
        r.sweep_rows_read,
        r.d1_calls,
      ]),
    ),
  );
  const big = rows[1];
  console.log(`\nwhole sweep at ${BIG.toLocaleString("en")} checks, ${big.due} due, by statement:`);
  console.log(
    formatTable(
      ["D1 call", "rows_read", "rows_written"],
      big.calls.map((c) => [
        `${c.method}${c.statements > 1 ? `(${c.statements})` : ""}: ${c.sql.slice(0, 80)}`,
        c.rows_read ?? "n/a",
        c.rows_written ?? "n/a",
      ]),
    ),
  );

  // ------------------------------------------------------------------ 2. CPU per sweep
  receiver = await startTimingReceiver();
  await applyMigrations(join(dir, "cpu"), counting);
  const lifeboat = await startWranglerDev({
    config: counting,
    persistTo: join(dir, "cpu"),
    envFile,
    logLevel: "warn",
    testScheduled: true,
    vars,
  });
  servers.push(lifeboat);
  await fetch(`${lifeboat.url}/__bench/meter-rows?on=0`, { method: "POST" }); // count calls, read no extra rows
  const bare = await startWranglerDev({
    config: join(REPO_ROOT, "bench/wrangler.bare.toml"),
    persistTo: join(dir, "bare"),
    envFile,
    logLevel: "warn",
    testScheduled: true,
  });
  servers.push(bare);
  const floorConfig = baselineConfig(join(dir, "floor-config"), {
    name: "lifeboat-bench-d1-floor",
    main: "bench/lib/d1-floor-worker.js",
    d1: true,
  });
  await applyMigrations(join(dir, "floor"), floorConfig);
  const floor = await startWranglerDev({
    config: floorConfig,
    persistTo: join(dir, "floor"),
    envFile,
    logLevel: "warn",
  });
  servers.push(floor);
  const cpu = await cpuPerSweep(lifeboat, bare, floor);

  console.log(`\nCPU per sweep, ${SMALL} checks, ${RUNS} sweeps each (means; workerd user+system time from /proc):`);
  console.log(
    formatTable(
      [
        "sweep",
        "workerd ms",
        "− empty invocation",
        "D1 calls",
        "− their D1 floor",
        "= Worker estimate",
        "wall ms",
        "other CPU %",
      ],
      cpu.rows.map((r) => [
        r.label,
        r.workerd_ms.toFixed(2),
        r.bare_ms.toFixed(2),
        r.d1_calls,
        r.d1_floor_ms.toFixed(2),
        r.fetches,
        r.fetch_floor_ms.toFixed(2),
        r.worker_estimate_ms.toFixed(2),
        r.wall_ms.toFixed(1),
        r.other_cpu_percent,
      ]),
    ),
  );
  console.log(
    "(workerd ms: both workerd processes — the runtime, which runs the Worker and miniflare's D1 on one thread, and\n" +
      " wrangler's proxy — around one scheduled invocation; − empty invocation: the same for bench/bare-worker.js's\n" +
      " empty scheduled(); − D1 / fetch floor: that many D1 round trips / webhook POSTs from bench/lib/d1-floor-worker.js,\n" +
      " less a bare request;\n" +
      " workerd ms − empty invocation is an upper bound of the sweep's own CPU, the estimate takes the simulator out)",
  );

  const out = {
    benchmark: "sweep",
    at: new Date().toISOString(),
    machine: machineInfo(loadBefore),
    rows_read: rows,
    cpu_per_sweep: cpu,
  };
  console.log();
  writeBenchOutput("sweep", out);
  const problems = [...rows.flatMap((r) => r.problems), ...cpu.problems];
  for (const problem of problems) console.error(`problem: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

/** SQL through the counting wrapper's bench-only endpoint. */
async function sql(origin, query, params = []) {
  const response = await fetch(`${origin}/__bench/sql`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sql: query, params }),
  });
  if (!response.ok) throw new Error(`${query.slice(0, 60)}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()).results;
}

async function rowsRead(origin, checks, duePercent) {
  const now = Date.now();
  const every = duePercent ? Math.round(100 / duePercent) : 0;
  for (const table of ["notifications", "flips", "pings", "checks"]) await sql(origin, `DELETE FROM ${table}`);
  await sql(
    origin,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
     INSERT INTO checks (uuid, slug, name, grace_s, period_s, status, last_ping_at, next_due_at, alert_after, revision, created_at, updated_at)
     SELECT printf('00000000-0000-4000-8000-%012d', i), 'bulk-' || i, 'bulk ' || i, 60, 3600, 'up', ?1, ?1,
       CASE WHEN ?3 > 0 AND i % ?3 = 0 THEN ?1 - 1000 ELSE ?1 + 3600000 END, 'r', ?1, ?1
     FROM n`,
    [now, checks, every],
  );
  const due = every ? Math.floor(checks / every) : 0;
  const t0 = performance.now();
  await triggerScheduled(origin, now);
  const wallMs = performance.now() - t0;
  const tally = await (await fetch(`${origin}/__bench/last-sweep`)).json();
  if (tally?.scheduled_time !== now) throw new Error("the tally is not this sweep's");
  const [{ down }] = await sql(origin, "SELECT count(*) AS down FROM checks WHERE status = 'down'");
  const mark = tally.d1.find((c) => c.sql.startsWith("UPDATE checks SET status = 'down'"));
  const problems = [];
  if (down !== due) problems.push(`${checks} checks: ${down} went down, expected ${due}`);
  if (!mark) problems.push("no markOverdue UPDATE among the sweep's D1 calls");
  const row = {
    checks,
    due,
    went_down: down,
    bound: 2 * due + 100,
    mark_overdue_rows_read: mark?.rows_read ?? NaN,
    sweep_rows_read: tally.d1.reduce((sum, c) => sum + (c.rows_read ?? 0), 0),
    sweep_rows_written: tally.d1.reduce((sum, c) => sum + (c.rows_written ?? 0), 0),
    unmetered_d1_calls: tally.d1.filter((c) => c.rows_read === null).length,
    d1_calls: tally.d1.length,
    wall_ms: round2(wallMs),
    calls: tally.d1,
    problems,
  };
  console.log(
    `${checks.toLocaleString("en")} checks, ${due} due: markOverdue read ${row.mark_overdue_rows_read} rows, ` +
      `the whole sweep ${row.sweep_rows_read} in ${row.d1_calls} D1 calls (${row.wall_ms} ms)`,
  );
  return row;
}

async function cpuPerSweep(lifeboat, bare, floor) {
  const problems = [];
  const checks = [];
  for (let i = 0; i < SMALL; i++)
    checks.push(await admin(lifeboat.url, "POST", "/api/v1/checks", { name: `small ${i}`, period_s: 60, grace_s: 60 }));
  const pingAll = async () => {
    for (const check of checks) {
      const response = await fetch(check.ping_url);
      if (!response.ok) throw new Error(`ping: HTTP ${response.status}`);
      await response.text();
    }
    await sleep(500); // the pings' own alerts (up again) go out in waitUntil; let them finish
  };
  await pingAll();

  /** CPU (ms) of `server`'s workerd processes while `work` runs, and the rest of the machine's (% of a CPU). */
  async function cpuAround(server, work) {
    const workerd = (map) => new Map([...map].filter(([, p]) => p.name === "workerd"));
    const before = groupCpuByPid(server.pid);
    const machine = machineBusySeconds();
    const self = process.cpuUsage();
    const t0 = performance.now();
    await work();
    const wall = performance.now() - t0;
    const after = groupCpuByPid(server.pid);
    const used = cpuBetween(workerd(before), workerd(after));
    const selfUsed = process.cpuUsage(self);
    const other =
      machineBusySeconds() - machine - cpuBetween(before, after).seconds - (selfUsed.user + selfUsed.system) / 1e6;
    if (!used.stable) problems.push("a workerd process restarted during a CPU measurement");
    return { ms: used.seconds * 1000, wall, other: (other * 1000) / wall };
  }
  const sweep = async (time) => {
    const run = await cpuAround(lifeboat, () => triggerScheduled(lifeboat.url, time));
    const tally = await (await fetch(`${lifeboat.url}/__bench/last-sweep`)).json();
    return { ...run, d1: tally.d1.length, fetches: tally.fetches.length };
  };
  const fetched = (url) => async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    await response.text();
  };
  // /proc counts CPU in 10 ms ticks, so one run reads 0 or 10: the mean over RUNS is exact to 10 ms / RUNS.
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

  // Warm-up: the first calls compile code paths.
  await triggerScheduled(lifeboat.url, Date.now());
  await triggerScheduled(bare.url, Date.now());
  await fetched(`${floor.url}/calls?n=10`)();

  const quiet = [];
  const empty = [];
  const start = Date.now();
  for (let i = 0; i < RUNS; i++) {
    quiet.push(await sweep(start + (i % 50) * 1000)); // within the minute after the pings: nothing is due
    empty.push(await cpuAround(bare, () => triggerScheduled(bare.url, start + i * 60_000)));
  }
  // All 50 overdue at once: first with no channel (the down-marking and the outbox's bookkeeping
  // only), then with two webhook channels and a growing backlog (each sweep also delivers its bound).
  const stormQuiet = [];
  for (let i = 0; i < RUNS; i++) {
    await pingAll();
    stormQuiet.push(await sweep(Date.now() + 10 * 60_000));
  }
  for (let i = 0; i < 2; i++)
    await admin(lifeboat.url, "POST", "/api/v1/channels", { kind: "webhook", url: `${receiver.url}/hook/sweep-${i}` });
  const storm = [];
  for (let i = 0; i < RUNS; i++) {
    await pingAll();
    storm.push(await sweep(Date.now() + 10 * 60_000));
  }
  const listed = await admin(lifeboat.url, "GET", "/api/v1/checks?limit=100");
  const down = listed.checks.filter((c) => c.status === "down").length;
  if (down !== SMALL) problems.push(`after the storm sweeps, ${down} of ${SMALL} checks are down`);

  // What the D1 simulator costs for as many round trips as each situation made, less a bare request.
  const floorMs = new Map();
  for (const calls of new Set([...quiet, ...stormQuiet, ...storm].map((r) => r.d1))) {
    const runs = [];
    const bareFetch = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await cpuAround(floor, fetched(`${floor.url}/calls?n=${calls}`)));
      bareFetch.push(await cpuAround(bare, fetched(`${bare.url}/`)));
    }
    floorMs.set(calls, mean(runs.map((r) => r.ms)) - mean(bareFetch.map((r) => r.ms)));
  }
  // And what the runtime's HTTP client costs for as many webhook POSTs (to a receiver that is not counted).
  const fetchMs = new Map([[0, 0]]);
  for (const fetches of new Set([...quiet, ...stormQuiet, ...storm].map((r) => r.fetches).filter((n) => n > 0))) {
    const runs = [];
    const bareFetch = [];
    const to = encodeURIComponent(`${receiver.url}/hook/floor`);
    for (let i = 0; i < RUNS; i++) {
      runs.push(await cpuAround(floor, fetched(`${floor.url}/fetches?n=${fetches}&to=${to}`)));
      bareFetch.push(await cpuAround(bare, fetched(`${bare.url}/`)));
    }
    fetchMs.set(fetches, mean(runs.map((r) => r.ms)) - mean(bareFetch.map((r) => r.ms)));
  }

  const emptyMs = mean(empty.map((r) => r.ms));
  const rows = [
    ["quiet: 50 up, none due", quiet],
    ["50 go down, no channel", stormQuiet],
    ["50 go down, 2 channels, alerts sent", storm],
  ].map(([label, runs]) => {
    const workerdMs = mean(runs.map((r) => r.ms));
    const d1Floor = mean(runs.map((r) => floorMs.get(r.d1)));
    const fetchFloor = mean(runs.map((r) => fetchMs.get(r.fetches)));
    return {
      label,
      runs: runs.length,
      workerd_ms: round3(workerdMs),
      bare_ms: round3(emptyMs),
      upper_bound_ms: round3(workerdMs - emptyMs),
      d1_calls: median(runs.map((r) => r.d1)),
      fetches: median(runs.map((r) => r.fetches)),
      d1_floor_ms: round3(d1Floor),
      fetch_floor_ms: round3(fetchFloor),
      worker_estimate_ms: round3(workerdMs - emptyMs - d1Floor - fetchFloor),
      wall_ms: round2(median(runs.map((r) => r.wall))),
      other_cpu_percent: Math.round(median(runs.map((r) => r.other)) * 100),
    };
  });
  return {
    what:
      "workerd_ms: user+system CPU of the dev server's workerd processes around one GET /cdn-cgi/handler/scheduled, " +
      "mean over the runs. bare_ms: the same for bench/bare-worker.js's empty scheduled(). upper_bound_ms = workerd_ms " +
      "− bare_ms: the sweep with SQLite and miniflare's D1 simulator (same process and thread). d1_floor_ms: as many " +
      "D1 round trips (indexed lookups) from bench/lib/d1-floor-worker.js, less a bare fetch; fetch_floor_ms: as many " +
      "webhook-sized POSTs to the receiver, likewise. worker_estimate_ms = upper_bound_ms − d1_floor_ms − " +
      "fetch_floor_ms: the Worker's own JS, as Cloudflare would count it (I/O waits are not CPU).",
    checks: SMALL,
    channels: 2,
    free_plan_cpu_ms: FREE_PLAN_CPU_MS,
    rows,
    problems,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await runBenchmark(main, async () => {
  for (const server of servers) await server.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});
