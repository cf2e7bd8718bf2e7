#!/usr/bin/env node
// The agent's overhead for a directory backup, upload excluded: `lifeboat backup JOB --no-upload`
// (tar | gzip -n into its work dir with both exit codes checked, the free-disk check, the split
// into parts, the sha256 of every part and of the whole file) against the plain baseline
// `tar -cf - . | gzip -n > file` on the same directory, in the same run.
//
// The directory is BENCH_AGENT_DIR_MIB (256) MiB in two halves: random bytes in 2 MiB files (photos,
// media: gzip cannot shrink them) and text in 512 KiB files (logs, JSON: gzip shrinks them ~4×).
// BENCH_AGENT_DIR_ROUNDS (5) interleaved rounds after one warm-up of each (page cache). Wall time as
// median and minimum, and CPU seconds (user + system of the whole process tree), each as a ratio.
// The agent runs under dash, its default part size (64 MiB). Everything lives in one temp dir,
// removed on exit. Prints a table; writes bench/out/agent-dir.json.
// Run: `npx node bench/agent-dir.mjs` or `npm run bench -- agent-dir`.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { REPO_ROOT } from "../test/helpers/wrangler-dev.ts";
import { reapedChildrenCpuSeconds } from "./lib/proc.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { formatTable } from "./lib/table.mjs";

const MiB = 2 ** 20;
const TOTAL_MIB = Number(process.env.BENCH_AGENT_DIR_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_AGENT_DIR_ROUNDS ?? 5);
const AGENT = join(REPO_ROOT, "agent-script/lifeboat");

const dir = mkdtempSync(join(os.tmpdir(), "lifeboat-bench-agent-dir-"));
const source = join(dir, "srv");
const conf = join(dir, "conf");
const work = join(dir, "work");

function makeSource() {
  mkdirSync(join(source, "media"), { recursive: true });
  mkdirSync(join(source, "logs"), { recursive: true });
  const half = (TOTAL_MIB * MiB) / 2;
  for (let i = 0; i * 2 * MiB < half; i++) writeFileSync(join(source, "media", `${i}.jpg`), randomBytes(2 * MiB));
  const words = ["GET", "POST", "/api/v1/items", "/login", "200", "404", "user", "order", "ms", "ok"];
  for (let i = 0; i * 512 * 1024 < half; i++) {
    let text = "";
    for (let n = 0; text.length < 512 * 1024; n++) {
      const pick = () => words[(Math.random() * words.length) | 0];
      text += `2026-11-${String(1 + (n % 28)).padStart(2, "0")}T03:${n % 60}:00Z ${pick()} ${pick()} ${(Math.random() * 1e6) | 0} ${pick()}\n`;
    }
    writeFileSync(join(source, "logs", `${i}.log`), text.slice(0, 512 * 1024));
  }
}

/** Runs `sh -c SCRIPT` and returns its wall and CPU seconds; throws if it fails. */
function timed(script, env = {}) {
  const cpu0 = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  const result = spawnSync("sh", ["-c", script], { env: { ...process.env, ...env }, encoding: "utf8" });
  const wall = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`${script}: exit ${result.status}\n${result.stderr}`);
  return { wall, cpu: reapedChildrenCpuSeconds() - cpu0 };
}

// A new file each time, removed after the clock stops (the agent's own clean-up is inside its time):
// overwriting the last run's file would add the cost of freeing its blocks to the baseline.
const plain = join(work, "plain.tar.gz");
let plainSize = 0;
const baseline = () => {
  const result = timed(`tar -C '${source}' -cf - . | gzip -n > '${plain}'`);
  plainSize = statSync(plain).size;
  rmSync(plain);
  return result;
};
// --no-upload builds the artifact and its parts, then the trap removes the work dir.
const agent = () =>
  timed(`dash '${AGENT}' backup media --no-upload`, {
    LIFEBOAT_CONFIG_DIR: conf,
    LIFEBOAT_STATE_DIR: join(dir, "state"),
    LIFEBOAT_TMPDIR: work,
    // The config names a plain-http URL (nothing is uploaded): allowed only with this.
    LIFEBOAT_ALLOW_HTTP: "1",
  });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  mkdirSync(work);
  mkdirSync(join(conf, "jobs"), { recursive: true });
  writeFileSync(join(conf, "secret"), `${"0".repeat(64)}\n`, { mode: 0o600 });
  // The server is never contacted by --no-upload; the config must only be valid.
  writeFileSync(
    join(conf, "lifeboat.conf"),
    `LIFEBOAT_URL=http://127.0.0.1:9\nLIFEBOAT_KEY_ID=lbk_bench\nLIFEBOAT_SECRET_FILE=${join(conf, "secret")}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(conf, "jobs/media.conf"), `SOURCE=directory\nDIRECTORY=${source}\n`);
  console.log(`writing a ${TOTAL_MIB} MiB directory under ${dir}`);
  makeSource();

  baseline();
  agent();
  const artifactMiB = plainSize / MiB;
  const runs = { baseline: [], agent: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so a slow moment of the machine does not always hit the same one.
    const order = round % 2 === 0 ? ["baseline", "agent"] : ["agent", "baseline"];
    for (const which of order) runs[which].push(which === "baseline" ? baseline() : agent());
  }

  // Other work on a shared machine only ever adds time: the minimum is the least disturbed figure,
  // and CPU seconds (which no waiting inflates) tell the work apart from the waiting.
  const stats = (list) => ({
    wall: median(list.map((r) => r.wall)),
    min: Math.min(...list.map((r) => r.wall)),
    cpu: median(list.map((r) => r.cpu)),
  });
  const base = stats(runs.baseline);
  const mine = stats(runs.agent);
  const rows = [
    ["tar -cf - . | gzip -n > file (baseline)", base, 1, 1, 1],
    ["lifeboat backup --no-upload (dash)", mine, mine.wall / base.wall, mine.min / base.min, mine.cpu / base.cpu],
  ].map(([name, s, ratio, ratioMin, ratioCpu]) => [
    name,
    s.wall.toFixed(2),
    s.min.toFixed(2),
    s.cpu.toFixed(2),
    ratio.toFixed(3),
    ratioMin.toFixed(3),
    ratioCpu.toFixed(3),
  ]);
  console.log(
    `\n${TOTAL_MIB} MiB directory → ${artifactMiB.toFixed(1)} MiB tar.gz, ${ROUNDS} rounds, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
  );
  console.log(formatTable(["run", "wall s (median)", "wall s (min)", "CPU s", "× (median)", "× (min)", "CPU ×"], rows));

  const out = {
    total_mib: TOTAL_MIB,
    artifact_mib: artifactMiB,
    rounds: ROUNDS,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    runs,
    ratio: { median: mine.wall / base.wall, min: mine.min / base.min, cpu: mine.cpu / base.cpu },
  };
  mkdirSync(join(REPO_ROOT, "bench/out"), { recursive: true });
  writeFileSync(join(REPO_ROOT, "bench/out/agent-dir.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/out/agent-dir.json");
  return 0;
}

await runBenchmark(main, async () => rmSync(dir, { recursive: true, force: true }));
