// The JavaScript CPU of one sweep in an alert storm, apart from D1. bench/sweep.mjs measures the
// dev server's whole CPU around a sweep, which includes miniflare's D1 (SQLite runs in the same
// workerd thread, and on Cloudflare it does not count against the Worker's CPU time); this runs
// the sweep's own per-row JavaScript (bench/lib/sweep-js-entry.ts: fan-out decisions, unseal,
// signing secret, render) in Node's V8, timed with process.cpuUsage, against the Free plan's 10 ms.
// Writes bench/out/sweep-js.json. Run: `npx node bench/sweep-js.mjs` or `npm run bench -- sweep-js`.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../test/helpers/wrangler-dev.ts";
import { freezeConfig } from "./lib/freeze.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { median, round3 } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";

const ROUNDS = Number(process.env.BENCH_SWEEP_JS_ROUNDS ?? 7);
const SWEEPS_PER_ROUND = Number(process.env.BENCH_SWEEP_JS_SWEEPS ?? 200);
const FREE_PLAN_MS = 10;
const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-sweep-js-"));

const SCENARIOS = [
  { name: "50 go down, no channel", storm: { flips: 50, channels: 0, deliveries: 0 } },
  { name: "50 go down, 2 channels: fan-out + 15 deliveries", storm: { flips: 50, channels: 2, deliveries: 15 } },
  { name: "200 flips × 3 channels: fan-out + 15 deliveries", storm: { flips: 200, channels: 3, deliveries: 15 } },
];

async function bundle() {
  const config = join(dir, "wrangler.toml");
  writeFileSync(
    config,
    `name = "sweep-js"\nmain = ${JSON.stringify(join(REPO_ROOT, "bench/lib/sweep-js-entry.ts"))}\n` +
      `compatibility_date = "2026-11-01"\ncompatibility_flags = ["nodejs_compat"]\n`,
  );
  await freezeConfig(config, dir);
  // The bundle is ESM; Node wants the .mjs extension for it outside a "type": "module" package.
  renameSync(join(dir, "bundle/sweep-js-entry.js"), join(dir, "bundle/sweep-js-entry.mjs"));
  return import(pathToFileURL(join(dir, "bundle/sweep-js-entry.mjs")).href);
}

async function cpuMsPerSweep(sweepJs, input) {
  const start = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < SWEEPS_PER_ROUND; i++) sink += await sweepJs(input);
  const used = process.cpuUsage(start);
  if (sink === 0) throw new Error("the sweep did nothing");
  return (used.user + used.system) / 1000 / SWEEPS_PER_ROUND;
}

async function main() {
  const loadBefore = os.loadavg();
  const { prepare, sweepJs } = await bundle();
  const inputs = await Promise.all(SCENARIOS.map((s) => prepare(s.storm)));
  for (const input of inputs) for (let i = 0; i < 50; i++) await sweepJs(input); // warm up the JIT
  // Rounds interleave the scenarios, so a busy moment of the machine spreads over all of them.
  const samples = SCENARIOS.map(() => []);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, input] of inputs.entries()) samples[i].push(await cpuMsPerSweep(sweepJs, input));
  const results = SCENARIOS.map((s, i) => ({
    name: s.name,
    ...s.storm,
    cpu_ms: round3(median(samples[i])),
    of_free_plan: round3(median(samples[i]) / FREE_PLAN_MS),
  }));
  console.log(
    formatTable(
      ["sweep JavaScript (no D1)", "flips", "channels", "deliveries", "CPU ms", "× 10 ms"],
      results.map((r) => [r.name, r.flips, r.channels, r.deliveries, r.cpu_ms.toFixed(3), r.of_free_plan.toFixed(3)]),
    ),
  );
  console.log(`(medians of ${ROUNDS} rounds of ${SWEEPS_PER_ROUND} sweeps; user+system CPU of this Node process)`);
  writeBenchOutput("sweep-js", {
    benchmark: "sweep-js",
    at: new Date().toISOString(),
    machine: machineInfo(loadBefore),
    config: { rounds: ROUNDS, sweeps_per_round: SWEEPS_PER_ROUND },
    results,
  });
  return results.every((r) => r.cpu_ms < FREE_PLAN_MS) ? 0 : 1;
}

await runBenchmark(main, () => rmSync(dir, { recursive: true, force: true }));
