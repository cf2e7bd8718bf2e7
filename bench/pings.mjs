#!/usr/bin/env node
// Pings per second on `wrangler dev` (local workerd + local D1), as ratios to a bare Worker that
// answers "OK" on the same runtime and dev server:
//   1. bare route          GET /               bench/bare-worker.js
//   2. unsigned ping       GET /ping/<uuid>     one check per connection
//   3. unsigned, one check GET /ping/<uuid>     every connection on the same check (contention)
//   4. signed ping         POST /v1/ping/<slug> fresh nonce + HMAC per request (node:crypto)
// Closed loop, BENCH_CONNECTIONS (32) keep-alive connections, BENCH_WARMUP_S (1) then
// BENCH_DURATION_S (5) per measurement, BENCH_ROUNDS (3) interleaved rounds, medians reported.
// Also reports the dev server's CPU time per request (all its processes, from /proc), which is
// steadier than req/s when other work shares the machine. Prints a table; writes bench/out/pings.json.
// Run: `npm run bench` or `npx node bench/pings.mjs` (Node >= 22.18: it imports a .ts helper).
import { spawnSync } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { applyMigrations, groupMembers, REPO_ROOT, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { measure } from "./lib/load.mjs";
import { formatTable } from "./lib/table.mjs";
import { adminClient } from "./lib/admin.mjs";
import { runBenchmark } from "./lib/run.mjs";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const MASTER_KEY = randomBytes(32).toString("hex");

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-"));
const envFile = join(dir, "empty.env"); // no .dev.vars: secrets come from --var only
writeFileSync(envFile, "");
const servers = [];

async function main() {
  const loadBefore = os.loadavg();
  console.log(
    `machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`,
  );
  console.log(
    `load: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per measurement, ${ROUNDS} rounds\n`,
  );

  // Both dev servers run with the same flags; --log-level warn keeps per-request logging out of the numbers.
  const common = { envFile, logLevel: "warn" };
  await applyMigrations(join(dir, "lifeboat"));
  const bare = await startWranglerDev({
    ...common,
    config: join(REPO_ROOT, "bench/wrangler.bare.toml"),
    persistTo: join(dir, "bare"),
  });
  servers.push(bare);
  const lifeboat = await startWranglerDev({
    ...common,
    persistTo: join(dir, "lifeboat"),
    vars: { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: MASTER_KEY },
  });
  servers.push(lifeboat);

  // One check per connection, like many hosts each pinging its own check.
  const checks = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    checks.push(
      await admin(lifeboat.url, "POST", "/api/v1/checks", { name: `bench ${i}`, slug: `bench-${i}`, period_s: 3600 }),
    );
  }
  const key = await admin(lifeboat.url, "POST", "/api/v1/keys", {
    host: "bench",
    checks: checks.map((c) => c.slug),
    scopes: ["ping"],
  });
  const secret = Buffer.from(key.secret, "hex");

  const scenarios = [
    {
      name: "bare",
      label: 'bare Worker, GET / → "OK"',
      origin: bare.url,
      makeRequest: () => ({ path: "/" }),
    },
    {
      name: "unsigned",
      label: "unsigned ping, GET /ping/<uuid>",
      origin: lifeboat.url,
      makeRequest: (c) => ({ path: `/ping/${checks[c].uuid}` }),
    },
    {
      name: "unsigned_one_check",
      label: "  same, all connections on 1 check",
      origin: lifeboat.url,
      makeRequest: () => ({ path: `/ping/${checks[0].uuid}` }),
    },
    {
      name: "signed",
      label: "signed ping, POST /v1/ping/<slug>",
      origin: lifeboat.url,
      makeRequest: (c) => signedPing(key.key_id, secret, `/v1/ping/${checks[c].slug}`, ""),
    },
  ];

  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const results = {};
    for (const scenario of scenarios) {
      const server = scenario.origin === bare.url ? bare : lifeboat;
      for (let attempt = 1; ; attempt++) {
        let before = new Map();
        let machineBefore = machineCpu();
        let selfBefore = process.cpuUsage();
        const result = await measure({
          origin: scenario.origin,
          connections: CONNECTIONS,
          durationS: DURATION_S,
          warmupS: WARMUP_S,
          makeRequest: scenario.makeRequest,
          around: {
            before: () => {
              before = groupCpu(server.pid);
              machineBefore = machineCpu();
              selfBefore = process.cpuUsage();
            },
            after: () => {
              const cpu = cpuBetween(before, groupCpu(server.pid));
              const self = process.cpuUsage(selfBefore);
              // Whatever else ran meanwhile (other tests, builds): busy time not ours or the server's.
              const otherSeconds = machineCpu() - machineBefore - cpu.seconds - (self.user + self.system) / 1e6;
              return { ...cpu, otherCpuPercent: Math.max(0, Math.round((otherSeconds / DURATION_S) * 100)) };
            },
          },
        });
        const { extra: cpu, ...rest } = result;
        if (!cpu.stable && attempt < 3) {
          console.log(
            `  ${scenario.name}: the dev server restarted a process during the measurement (a source file changed?); measuring again`,
          );
          continue;
        }
        results[scenario.name] = {
          ...rest,
          server_cpu_ms_per_request: round3((cpu.seconds * 1000) / Math.max(1, rest.requests)),
          cpu_stable: cpu.stable,
          other_cpu_percent: cpu.otherCpuPercent,
        };
        break;
      }
    }
    for (const scenario of scenarios)
      results[scenario.name].ratio_to_bare = round3(results[scenario.name].rps / results.bare.rps);
    rounds.push(results);
    console.log(
      `round ${round}/${ROUNDS}: ${scenarios.map((s) => `${s.name} ${results[s.name].rps} req/s`).join(", ")}` +
        ` (other load: ${scenarios.map((s) => `${results[s.name].other_cpu_percent}%`).join("/")} of a CPU)`,
    );
  }

  // Rounds interleave the scenarios, so a burst of outside load hits all of them; medians per column.
  const rows = scenarios.map((s) => {
    const all = rounds.map((r) => r[s.name]);
    const med = (field) => median(all.map((r) => r[field]));
    return {
      name: s.name,
      label: s.label,
      rps: med("rps"),
      ratio: med("ratio_to_bare"),
      p50_ms: med("p50_ms"),
      p99_ms: med("p99_ms"),
      cpu: med("server_cpu_ms_per_request"),
      requests: all.reduce((sum, r) => sum + r.requests, 0),
      errors: all.reduce((sum, r) => sum + r.errors, 0),
      first_error: all.find((r) => r.first_error)?.first_error ?? null,
      rounds: all,
    };
  });
  const bareCpu = rows[0].cpu;
  console.log();
  const header = ["scenario", "req/s", "× bare", "p50 ms", "p99 ms", "CPU ms/req", "CPU × bare", "errors"];
  const table = rows.map((r) => [
    r.label,
    r.rps,
    r.ratio.toFixed(3),
    r.p50_ms.toFixed(1),
    r.p99_ms.toFixed(1),
    r.cpu.toFixed(2),
    (r.cpu / bareCpu).toFixed(2),
    r.errors,
  ]);
  console.log(formatTable(header, table));
  console.log(
    `(medians of ${ROUNDS} rounds; CPU = user+system time of the dev server's processes — workerd and its proxy — per request)`,
  );

  const out = {
    benchmark: "pings",
    at: new Date().toISOString(),
    machine: {
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? null,
      mem_total_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      loadavg_before: loadBefore,
      loadavg_after: os.loadavg(),
      node: process.version,
      wrangler: JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/wrangler/package.json"), "utf8")).version,
    },
    config: {
      connections: CONNECTIONS,
      warmup_s: WARMUP_S,
      duration_s: DURATION_S,
      rounds: ROUNDS,
      checks: CONNECTIONS,
      log_level: "warn",
    },
    results: Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          label: r.label.trim(),
          rps: r.rps,
          ratio_to_bare: r.ratio,
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          server_cpu_ms_per_request: r.cpu,
          cpu_ratio_to_bare: round3(r.cpu / bareCpu),
          requests: r.requests,
          errors: r.errors,
          first_error: r.first_error,
          rounds: r.rounds,
        },
      ]),
    ),
    ratios: {
      unsigned_to_bare: rows.find((r) => r.name === "unsigned").ratio,
      signed_to_bare: rows.find((r) => r.name === "signed").ratio,
    },
  };
  mkdirSync(join(REPO_ROOT, "bench/out"), { recursive: true });
  writeFileSync(join(REPO_ROOT, "bench/out/pings.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote bench/out/pings.json`);

  const failed = rows.filter((r) => r.errors > 0);
  for (const r of failed) console.error(`${r.name}: ${r.errors} errors, first: ${r.first_error}`);
  return failed.length === 0 ? 0 : 1;
}

const round3 = (x) => Math.round(x * 1000) / 1000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** user + system CPU ticks of every live process in a process group, by pid, from /proc. */
function groupCpu(pgid) {
  const ticks = new Map();
  for (const pid of groupMembers(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime, stime
    } catch {
      /* exited */
    }
  }
  return ticks;
}

/** Busy CPU seconds of the whole machine so far (all CPUs), from /proc/stat. */
function machineCpu() {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks; // idle and iowait left out
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/**
 * CPU seconds the group used between two snapshots. If a process came or went in between (wrangler
 * restarts workerd when a source file changes under it), the numbers are not comparable: `stable` is false.
 */
function cpuBetween(before, after) {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  const stable = before.size === after.size && [...before.keys()].every((pid) => after.has(pid));
  return { seconds: ticks / CLK_TCK, stable };
}

/** A signed agent request as docs/SECURITY.md describes, computed per request. */
function signedPing(keyId, secret, path, body) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("hex");
  const contentSha256 = createHash("sha256").update(body).digest("hex");
  const canonical = `POST\n${path}\n${timestamp}\n${nonce}\n${contentSha256}`;
  const signature = createHmac("sha256", secret).update(canonical).digest("hex");
  return {
    method: "POST",
    path,
    body,
    headers: {
      "X-Lifeboat-Key": keyId,
      "X-Lifeboat-Timestamp": timestamp,
      "X-Lifeboat-Nonce": nonce,
      "X-Lifeboat-Content-SHA256": contentSha256,
      "X-Lifeboat-Signature": signature,
    },
  };
}

await runBenchmark(main, async () => {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
