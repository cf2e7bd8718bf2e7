#!/usr/bin/env node
// Two figures for the alert path on `wrangler dev` (local workerd + local D1):
//
// 1. Ping → alert delay. One check, one webhook channel to a receiver in this process. The check is
//    flipped BENCH_ALERT_FLIPS (40) times, alternating `curl … URL/fail` (down) and `curl … URL`
//    (up); each flip alerts from the ping's waitUntil. Measured from just before curl is spawned
//    (execFile, no shell) to the receiver having the whole webhook. Baseline in the same run: the
//    same curl command for a ping that changes nothing (a second /fail while down, a second success
//    while up), so it triggers no alert: spawn → curl exited. The first BENCH_ALERT_WARMUP (4)
//    flips are not counted (first calls compile code paths).
// 2. Deliveries per sweep at the subrequest bound. 20 checks × 3 webhook channels go down while
//    the receivers answer 500, leaving 60 notifications pending; then the receivers answer 200 and
//    cron sweeps are triggered one at a time, a minute apart on the sweep clock. For each sweep:
//    webhooks that arrived (accepted), the Worker's own outbound fetch() calls and D1 calls
//    (counted by bench/lib/counting-worker.ts, which wraps the unchanged Worker), and wall time.
//    Last, the dearest backlog sweep found: 20 deliveries that all fail for good (HTTP 410).
//
// Prints a summary; writes bench/out/alerts.json. Run: `npx node bench/alerts.mjs` or `npm run bench -- alerts`.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeTempConfig } from "../test/helpers/temp-config.ts";
import { applyMigrations, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { freezeConfig } from "./lib/freeze.mjs";
import { startTimingReceiver } from "./lib/receiver.mjs";
import { triggerScheduled } from "./lib/scheduled.mjs";
import { formatTable } from "./lib/table.mjs";
import { adminClient } from "./lib/admin.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";

const FLIPS = Number(process.env.BENCH_ALERT_FLIPS ?? 40);
const WARMUP = Number(process.env.BENCH_ALERT_WARMUP ?? 4);
const CHECKS = 20;
const CHANNELS = 3;
const DELIVERIES_PER_RUN = 20; // worker/services/alert-pipeline/send.ts
const MAX_SWEEPS = 10;
const MAX_FLAP_THRESHOLD = 100; // worker/routes/api/check-schemas.ts
// The first ping (new → up) counts as a change too.
if (1 + WARMUP + FLIPS > MAX_FLAP_THRESHOLD)
  throw new Error(`BENCH_ALERT_FLIPS + BENCH_ALERT_WARMUP must stay under ${MAX_FLAP_THRESHOLD}: more is flapping`);

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const MASTER_KEY = randomBytes(32).toString("hex");
const vars = { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: MASTER_KEY, ALLOW_INSECURE_CHANNELS: "true" };

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-alerts-"));
// miniflare's scratch dirs follow TMPDIR: inside `dir`, they go when it goes, even after a kill.
process.env.TMPDIR = dir;
const envFile = join(dir, "empty.env"); // no .dev.vars: secrets come from --var only
writeFileSync(envFile, "");
const servers = [];
let receiver;

async function main() {
  const loadBefore = os.loadavg();
  console.log(
    `machine: nproc ${os.availableParallelism()} (${os.cpus()[0]?.model ?? "?"}), load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`,
  );
  receiver = await startTimingReceiver();

  // Part 1 runs the repo's wrangler.toml as is; --log-level warn keeps request logging out of the numbers.
  await applyMigrations(join(dir, "delay"));
  const plain = await startWranglerDev({ persistTo: join(dir, "delay"), envFile, logLevel: "warn", vars });
  servers.push(plain);
  const delay = await alertDelay(plain.url);
  await plain.stop();

  // Part 2 runs the same Worker behind the counting wrapper, from a temp copy of wrangler.toml.
  // Bundled once (bench/lib/freeze.mjs), so edits to worker/ meanwhile restart nothing.
  const config = await freezeConfig(writeTempConfig(dir, { main: "bench/lib/counting-worker.ts" }), dir);
  await applyMigrations(join(dir, "sweep"), config);
  const counted = await startWranglerDev({
    config,
    persistTo: join(dir, "sweep"),
    envFile,
    logLevel: "warn",
    testScheduled: true,
    vars,
  });
  servers.push(counted);
  const sweep = await sweepBound(counted.url);
  await counted.stop();

  const out = {
    benchmark: "alerts",
    at: new Date().toISOString(),
    machine: machineInfo(loadBefore),
    alert_delay: delay,
    sweep_bound: sweep,
  };
  writeBenchOutput("alerts", out);
  const problems = [...delay.problems, ...sweep.problems];
  for (const problem of problems) console.error(`problem: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

// ------------------------------------------------------------------------------------ part 1

async function alertDelay(origin) {
  console.log(`\n1. ping → webhook delay: ${FLIPS} flips (+${WARMUP} warm-up), curl spawned per ping`);
  await admin(origin, "POST", "/api/v1/channels", {
    kind: "webhook",
    name: "bench delay",
    url: `${receiver.url}/hook/delay`,
  });
  // More than flap_threshold (default 6) changes in an hour is flapping: one alert, then quiet.
  // This loop flips on purpose, so the check gets the highest threshold the API takes.
  const check = await admin(origin, "POST", "/api/v1/checks", {
    name: "bench delay",
    period_s: 3600,
    grace_s: 300,
    flap_threshold: MAX_FLAP_THRESHOLD,
  });
  await curlPing(check.ping_url); // the first ping brings the check up and alerts nobody

  const series = {
    alert_delay: [],
    flip_ping_round_trip: [],
    plain_ping_round_trip: [],
    curl_time_total_flip: [],
    curl_time_total_plain: [],
  };
  const problems = [];
  for (let i = 0; i < WARMUP + FLIPS; i++) {
    const down = i % 2 === 0;
    const url = down ? `${check.ping_url}/fail` : check.ping_url;
    const event = down ? "check.down" : "check.up";
    const from = receiver.arrivals.length;
    const flip = await curlPing(url);
    const hook = await receiver.waitFor((a) => a.inbox === "delay" && a.headers["x-lifeboat-event"] === event, {
      from,
    });
    // Let the waitUntil finish recording the delivery, so each measurement starts from idle.
    await deliveriesSettled(origin, check.uuid, i + 1);
    const again = await curlPing(url); // same request, no state change: no flip, no alert
    if (i < WARMUP) continue;
    series.alert_delay.push(hook.at - flip.t0);
    series.flip_ping_round_trip.push(flip.t1 - flip.t0);
    series.plain_ping_round_trip.push(again.t1 - again.t0);
    series.curl_time_total_flip.push(flip.curlMs);
    series.curl_time_total_plain.push(again.curlMs);
  }
  await sleep(300); // a late duplicate would arrive now
  const hooks = receiver.arrivals.filter((a) => a.inbox === "delay");
  if (hooks.length !== WARMUP + FLIPS)
    problems.push(`expected ${WARMUP + FLIPS} webhooks for ${WARMUP + FLIPS} flips, got ${hooks.length}`);

  const stats = Object.fromEntries(Object.entries(series).map(([name, values]) => [name, summarize(values)]));
  const ratio = round2(stats.alert_delay.p50_ms / stats.plain_ping_round_trip.p50_ms);
  console.log(table(stats));
  console.log(`alert delay p50 / plain ping round trip p50 = ${ratio}`);
  return {
    what:
      "alert_delay: performance.now() just before execFile('curl', ['-fsS','-m','10','-o','/dev/null','-w','%{time_total}', URL[/fail]]) " +
      "to the in-process receiver having the whole webhook POST. flip_ping_round_trip: same start to curl exited, for the " +
      "flipping ping. plain_ping_round_trip: the same command for a ping that changes no state (no alert). " +
      "curl_time_total_*: curl's own time_total (connect to last byte, without process start/exit).",
    client: "curl via execFile (no shell), a fresh process and connection per ping",
    flips: FLIPS,
    warmup_flips: WARMUP,
    webhooks_received: hooks.length,
    ...stats,
    ratio_alert_delay_p50_to_plain_ping_p50: ratio,
    problems,
  };
}

function curlPing(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = ["-fsS", "-m", "10", "-o", "/dev/null", "-w", "%{time_total}", url];
    execFile("curl", args, (error, stdout, stderr) => {
      const t1 = performance.now();
      if (error) return reject(new Error(`curl ${url}: ${stderr || error.message}`));
      resolve({ t0, t1, curlMs: Number(stdout) * 1000 });
    });
  });
}

/** Waits until the check has `n` delivery rows, all sent. */
async function deliveriesSettled(origin, checkUuid, n) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { deliveries } = await admin(origin, "GET", `/api/v1/checks/${checkUuid}/deliveries`);
    if (deliveries.length === n && deliveries.every((d) => d.status === "sent")) return;
    if (Date.now() > deadline) throw new Error(`deliveries not settled: ${JSON.stringify(deliveries.slice(0, 3))}`);
    await sleep(20);
  }
}

// ------------------------------------------------------------------------------------ part 2

async function sweepBound(origin) {
  const total = CHECKS * CHANNELS;
  console.log(`\n2. deliveries per sweep: ${CHECKS} checks × ${CHANNELS} webhook channels = ${total} down alerts`);
  const inboxes = Array.from({ length: CHANNELS }, (_, i) => `sweep-${i}`);
  const ours = (a) => inboxes.includes(a.inbox);
  const setAll = (status) => inboxes.forEach((inbox) => receiver.setStatus(inbox, status));
  const channels = [];
  for (const inbox of inboxes) {
    channels.push(
      await admin(origin, "POST", "/api/v1/channels", { kind: "webhook", url: `${receiver.url}/hook/${inbox}` }),
    );
  }
  const checks = [];
  for (let i = 0; i < CHECKS; i++) {
    const check = await admin(origin, "POST", "/api/v1/checks", { name: `sweep ${i}`, period_s: 3600 });
    await ping(check.ping_url); // up, no alert
    checks.push(check);
  }

  // Each failure alerts at once from the ping's waitUntil; the receivers refuse, so all stay pending.
  setAll(500);
  for (const check of checks) await ping(`${check.ping_url}/fail`);
  const pending = await deliveryLog(origin, channels, "down", (d) => d.status === "pending" && d.attempts >= 1);
  const refused = receiver.arrivals.filter(ours).length;
  let clock = Math.max(...pending.map((d) => Date.parse(d.next_attempt_at))) + 60_000; // every retry is due
  console.log(`${total} pending after ${refused} attempts answered 500`);

  setAll(200);
  const problems = [];
  const sweeps = [];
  for (let n = 1; n <= MAX_SWEEPS; n++, clock += 60_000) {
    const row = await sweepOnce(origin, clock, ours, `sweep ${n}`);
    sweeps.push({ sweep: n, ...row });
    if (row.deliveries_arrived > DELIVERIES_PER_RUN)
      problems.push(`sweep ${n} made ${row.deliveries_arrived} deliveries`);
    if (row.fetches !== row.deliveries_arrived)
      problems.push(`sweep ${n}: ${row.fetches} fetch() calls but ${row.deliveries_arrived} webhooks arrived`);
    if (row.deliveries_arrived === 0) break; // the backlog is empty; this last sweep is the idle cost
  }
  const accepted = receiver.arrivals.filter((a) => ours(a) && a.status === 200);
  const ids = new Set(accepted.map((a) => `${a.inbox} ${a.headers["x-lifeboat-delivery"]}`));
  if (accepted.length !== total || ids.size !== total)
    problems.push(`expected ${total} accepted webhooks, each once; got ${accepted.length} (${ids.size} distinct)`);
  const sent = await deliveryLog(origin, channels, "down", (d) => d.status === "sent");

  // The dearest backlog sweep: every delivery fails for good. The recoveries queue up against 500s
  // as above, then the receivers answer 410 (gone), and each permanent failure also marks its channel
  // broken: one more D1 UPDATE per row (services/alert-pipeline/send.ts, deliverDue's markBroken loop).
  setAll(500);
  for (const check of checks) await ping(check.ping_url);
  const pendingUp = await deliveryLog(origin, channels, "up", (d) => d.status === "pending" && d.attempts >= 1);
  clock = Math.max(clock, ...pendingUp.map((d) => Date.parse(d.next_attempt_at))) + 60_000;
  setAll(410);
  const gone = await sweepOnce(origin, clock, ours, "sweep, all 410");

  const busy = sweeps.filter((s) => s.deliveries_arrived > 0);
  return {
    what:
      "deliveries_arrived: webhooks the receiver got during the sweep. fetches: the Worker's global fetch() calls " +
      "during scheduled() (one per delivery). d1_calls: D1 round trips during scheduled(): each first/all/run/raw " +
      "of a statement is one, a batch() is one (d1_statements counts what it held). r2_calls: calls on env.BUCKET. " +
      "All counted by bench/lib/counting-worker.ts around the unchanged Worker. wall_ms: GET " +
      "/cdn-cgi/handler/scheduled until its answer (the handler awaits the whole sweep). worker_ms: Date.now() " +
      "around the sweep inside workerd.",
    checks: CHECKS,
    channels: CHANNELS,
    notifications: total,
    attempts_while_failing: refused,
    deliveries_per_run_bound: DELIVERIES_PER_RUN,
    sweeps,
    sweeps_to_drain: busy.length,
    max_deliveries_per_sweep: Math.max(...sweeps.map((s) => s.deliveries_arrived)),
    max_subrequests_per_sweep: {
      fetch: Math.max(...sweeps.map((s) => s.fetches)),
      d1: Math.max(...sweeps.map((s) => s.d1_calls)),
      r2: Math.max(...sweeps.map((s) => s.r2_calls)),
      all: Math.max(...sweeps.map((s) => s.fetches + s.d1_calls + s.r2_calls)),
    },
    all_sent_in_log: sent.length === total,
    permanent_failure_sweep: gone,
    problems,
  };
}

/** One cron sweep at `time` on the sweep clock, with what it sent and what the Worker counted. */
async function sweepOnce(origin, time, ours, label) {
  const from = receiver.arrivals.length;
  const t0 = performance.now();
  await triggerScheduled(origin, time);
  const wallMs = performance.now() - t0;
  const tally = await (await fetch(`${origin}/__bench/last-sweep`)).json();
  if (tally?.scheduled_time !== time) throw new Error(`${label}: the tally is not this sweep's`);
  await sleep(200); // the handler has returned; anything arriving now would be a straggler
  const arrived = receiver.arrivals.slice(from).filter(ours);
  const row = {
    deliveries_arrived: arrived.length,
    answered: [...new Set(arrived.map((a) => a.status))],
    fetches: tally.fetches.length,
    d1_calls: tally.d1.length,
    d1_statements: tally.d1.reduce((sum, call) => sum + call.statements, 0),
    d1_rows_read: tally.d1.reduce((sum, call) => sum + (call.rows_read ?? 0), 0),
    r2_calls: tally.r2.length,
    wall_ms: round2(wallMs),
    worker_ms: tally.worker_ms,
    d1: tally.d1.map((call) => `${call.method}${call.statements > 1 ? `(${call.statements})` : ""}: ${call.sql}`),
  };
  console.log(
    `${label}: ${row.deliveries_arrived} webhooks (HTTP ${row.answered.join("/") || "-"}), ${row.fetches} fetch() + ` +
      `${row.d1_calls} D1 calls (${row.d1_statements} statements) + ${row.r2_calls} R2 calls, ` +
      `${row.wall_ms} ms wall (${row.worker_ms} ms in the Worker)`,
  );
  return row;
}

/** Polls the channels' delivery logs until they hold CHECKS rows of `kind` each, all passing `ok`. */
async function deliveryLog(origin, channels, kind, ok) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = [];
    for (const channel of channels) {
      const { deliveries } = await admin(origin, "GET", `/api/v1/channels/${channel.uuid}/deliveries`);
      rows.push(...deliveries.filter((d) => d.kind === kind));
    }
    if (rows.length === CHECKS * channels.length && rows.every(ok)) return rows;
    if (Date.now() > deadline)
      throw new Error(`delivery log not as expected: ${rows.length} ${kind} rows, e.g. ${JSON.stringify(rows[0])}`);
    await sleep(50);
  }
}

async function ping(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`ping ${url}: HTTP ${response.status}`);
  await response.text();
}

// ------------------------------------------------------------------------------------ helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round2 = (x) => Math.round(x * 100) / 100;

/** Nearest-rank percentiles: p95 of 40 samples is the 38th smallest. */
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  return { n: sorted.length, p50_ms: round2(rank(50)), p95_ms: round2(rank(95)), max_ms: round2(sorted.at(-1)) };
}

function table(stats) {
  const rows = Object.entries(stats).map(([name, s]) => [name, s.n, s.p50_ms, s.p95_ms, s.max_ms]);
  return formatTable(["series", "n", "p50 ms", "p95 ms", "max ms"], rows);
}

await runBenchmark(main, async () => {
  for (const server of servers) await server.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});
