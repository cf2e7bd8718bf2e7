#!/usr/bin/env node
// Pings per second on `wrangler dev` (local workerd + local D1), as ratios to a bare Worker that
// answers "OK" on the same runtime and dev server (issue 8's baseline), and to a "D1 floor":
//   1. bare route          GET /                  bench/bare-worker.js
//   2. D1 floor, unsigned  GET /ping/<uuid>       bench/lib/d1-floor-worker.js: an unsigned ping's two D1
//                                                 round trips and nothing else, same schema
//   3. unsigned ping       GET /ping/<uuid>       one check per connection
//   4. unsigned, one check GET /ping/<uuid>       every connection on the same check (contention)
//   5. D1 floor, signed    POST /signed/<slug>    a signed ping's two D1 round trips, no crypto
//   6. signed ping         POST /v1/ping/<slug>   fresh nonce + HMAC per request (node:crypto)
// Closed loop, BENCH_CONNECTIONS (32) keep-alive connections, BENCH_WARMUP_S (1) then
// BENCH_DURATION_S (5) per measurement, BENCH_ROUNDS (3) interleaved rounds, medians reported.
// Also: the dev server's CPU time per request (all its processes, from /proc), steadier than req/s
// when other work shares the machine. The D1 floor tells the simulator's cost from Lifeboat's own:
// workerd runs the Worker and miniflare's D1 on one thread, so no CPU counter separates them.
// Lifeboat runs from a bundle made at the start (test/helpers/frozen-worker.ts), so edits to
// worker/ during the run change nothing. Prints tables; writes bench/out/pings.json.
// Run: `npm run bench -- pings` or `npx node bench/pings.mjs` (Node >= 22.18: it imports .ts helpers).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { frozenWorkerConfig } from "../test/helpers/frozen-worker.ts";
import { applyMigrations, REPO_ROOT, startWranglerDev } from "../test/helpers/wrangler-dev.ts";
import { adminClient } from "./lib/admin.mjs";
import { baselineConfig } from "./lib/configs.mjs";
import { measure } from "./lib/load.mjs";
import { cpuBetween, groupCpuByPid, machineBusySeconds } from "./lib/proc.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { signedHeaders } from "./lib/sign.mjs";
import { median, round3 } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const MASTER_KEY = randomBytes(32).toString("hex");

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-"));
process.env.TMPDIR = dir; // miniflare's scratch dirs go with `dir`
const envFile = join(dir, "empty.env"); // no .dev.vars: secrets come from --var only
writeFileSync(envFile, "");
const servers = [];

async function main() {
  const loadBefore = os.loadavg();
  console.log(
    `machine: ${os.availableParallelism()} CPU (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`,
  );
  console.log(
    `load: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per measurement, ${ROUNDS} rounds\n`,
  );

  // All dev servers run with the same flags; --log-level warn keeps per-request logging out of the numbers.
  const common = { envFile, logLevel: "warn" };
  const lifeboatConfig = await frozenWorkerConfig(join(dir, "lifeboat-bundle"));
  const floorConfig = baselineConfig(join(dir, "floor-config"), {
    name: "lifeboat-bench-d1-floor",
    main: "bench/lib/d1-floor-worker.js",
    d1: true,
  });
  await applyMigrations(join(dir, "lifeboat"), lifeboatConfig);
  await applyMigrations(join(dir, "floor"), floorConfig);
  const bare = await startWranglerDev({
    ...common,
    config: join(REPO_ROOT, "bench/wrangler.bare.toml"),
    persistTo: join(dir, "bare"),
  });
  servers.push(bare);
  const floor = await startWranglerDev({ ...common, config: floorConfig, persistTo: join(dir, "floor") });
  servers.push(floor);
  const lifeboat = await startWranglerDev({
    ...common,
    config: lifeboatConfig,
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
  const created = await admin(lifeboat.url, "POST", "/api/v1/keys", {
    host: "bench",
    checks: checks.map((c) => c.slug),
    scopes: ["ping"],
  });
  const key = { keyId: created.key_id, secret: Buffer.from(created.secret, "hex") };
  const seeded = await (await fetch(`${floor.url}/seed?n=${CONNECTIONS}&key=${key.keyId}`, { method: "POST" })).json();
  const signed = (path) => ({ method: "POST", path, body: "", headers: signedHeaders(key, "POST", path) });

  const scenarios = [
    { name: "bare", label: 'bare Worker, GET / → "OK"', server: bare, makeRequest: () => ({ path: "/" }) },
    {
      name: "floor_unsigned",
      label: "D1 floor of an unsigned ping (2 D1 calls)",
      server: floor,
      makeRequest: (c) => ({ path: `/ping/${seeded.checks[c].uuid}` }),
    },
    {
      name: "unsigned",
      label: "unsigned ping, GET /ping/<uuid>",
      server: lifeboat,
      floor: "floor_unsigned",
      makeRequest: (c) => ({ path: `/ping/${checks[c].uuid}` }),
    },
    {
      name: "unsigned_one_check",
      label: "  same, all connections on 1 check",
      server: lifeboat,
      makeRequest: () => ({ path: `/ping/${checks[0].uuid}` }),
    },
    {
      name: "floor_signed",
      label: "D1 floor of a signed ping (2 D1 calls)",
      server: floor,
      makeRequest: (c) => signed(`/signed/${seeded.checks[c].slug}`),
    },
    {
      name: "signed",
      label: "signed ping, POST /v1/ping/<slug>",
      server: lifeboat,
      floor: "floor_signed",
      makeRequest: (c) => signed(`/v1/ping/${checks[c].slug}`),
    },
  ];

  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const results = {};
    for (const scenario of scenarios) results[scenario.name] = await measured(scenario);
    for (const scenario of scenarios)
      results[scenario.name].ratio_to_bare = round3(results[scenario.name].rps / results.bare.rps);
    rounds.push(results);
    console.log(
      `round ${round}/${ROUNDS}: ${scenarios.map((s) => `${s.name} ${results[s.name].rps}`).join(", ")} req/s` +
        ` (other load: ${scenarios.map((s) => `${results[s.name].other_cpu_percent}%`).join("/")} of a CPU)`,
    );
  }

  // Rounds interleave the scenarios, so a burst of outside load hits all of them; medians per column.
  const rows = scenarios.map((s) => {
    const all = rounds.map((r) => r[s.name]);
    const med = (field) => median(all.map((r) => r[field]));
    const floorRps = s.floor ? median(rounds.map((r) => r[s.floor].rps)) : null;
    return {
      name: s.name,
      label: s.label,
      rps: med("rps"),
      ratio: med("ratio_to_bare"),
      ratio_to_floor: s.floor ? round3(median(rounds.map((r) => r[s.name].rps / r[s.floor].rps))) : null,
      floor_rps: floorRps,
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
  const header = ["scenario", "req/s", "× bare", "× floor", "p50 ms", "p99 ms", "server CPU ms/req", "CPU × bare"];
  const table = rows.map((r) => [
    r.label,
    r.rps,
    r.ratio.toFixed(3),
    r.ratio_to_floor?.toFixed(3) ?? "",
    r.p50_ms.toFixed(1),
    r.p99_ms.toFixed(1),
    r.cpu.toFixed(2),
    (r.cpu / bareCpu).toFixed(2),
  ]);
  console.log(formatTable(header, table));
  console.log(
    `(medians of ${ROUNDS} rounds; × floor: req/s over the D1 floor's in the same round; server CPU: user+system\n` +
      " time per request of the dev server's processes — workerd, which runs the Worker and miniflare's D1 on one\n" +
      " thread, and its proxy)",
  );

  const out = {
    benchmark: "pings",
    at: new Date().toISOString(),
    machine: machineInfo(loadBefore),
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
          ratio_to_floor: r.ratio_to_floor,
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
      d1_floor_unsigned_to_bare: rows.find((r) => r.name === "floor_unsigned").ratio,
      d1_floor_signed_to_bare: rows.find((r) => r.name === "floor_signed").ratio,
      unsigned_to_d1_floor: rows.find((r) => r.name === "unsigned").ratio_to_floor,
      signed_to_d1_floor: rows.find((r) => r.name === "signed").ratio_to_floor,
    },
  };
  console.log();
  writeBenchOutput("pings", out);

  const failed = rows.filter((r) => r.errors > 0);
  for (const r of failed) console.error(`${r.name}: ${r.errors} errors, first: ${r.first_error}`);
  return failed.length === 0 ? 0 : 1;
}

/** One measurement of a scenario, with the server's CPU and the machine's other load around it. */
async function measured(scenario) {
  const pid = scenario.server.pid;
  for (let attempt = 1; ; attempt++) {
    let before = new Map();
    let machineBefore = 0;
    let selfBefore = process.cpuUsage();
    const { extra: cpu, ...result } = await measure({
      origin: scenario.server.url,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      makeRequest: scenario.makeRequest,
      around: {
        before: () => {
          before = groupCpuByPid(pid);
          machineBefore = machineBusySeconds();
          selfBefore = process.cpuUsage();
        },
        after: () => {
          const used = cpuBetween(before, groupCpuByPid(pid));
          const self = process.cpuUsage(selfBefore);
          // Whatever else ran meanwhile (other tests, builds): busy time not ours or the server's.
          const other = machineBusySeconds() - machineBefore - used.seconds - (self.user + self.system) / 1e6;
          return { ...used, otherCpuPercent: Math.max(0, Math.round((other / DURATION_S) * 100)) };
        },
      },
    });
    if (!cpu.stable && attempt < 3) {
      console.log(`  ${scenario.name}: a dev server process restarted during the measurement; measuring again`);
      continue;
    }
    return {
      ...result,
      server_cpu_ms_per_request: round3((cpu.seconds * 1000) / Math.max(1, result.requests)),
      cpu_stable: cpu.stable,
      other_cpu_percent: cpu.otherCpuPercent,
    };
  }
}

await runBenchmark(main, async () => {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
