#!/usr/bin/env node
// Backup uploads through `wrangler dev` (local workerd, local R2 and D1), sent the way the agent
// sends them: POSIX sh, openssl for hashes and signatures, one curl per request, sequentially
// (test/helpers/agent-sign.sh). Two figures:
//
// 1. Throughput of a BENCH_UPLOAD_MIB (1024) MiB artifact — signed manifest, 16 parts of 64 MiB
//    (`curl -T`), complete — as a ratio to the baseline in the same run: `curl -T` of the same file
//    into a plain Node HTTP server (bench/lib/sink.mjs) that streams it to disk while hashing it.
//    A second baseline sends the same 16 signed part PUTs to that server, to tell the cost of the
//    protocol (16 requests, openssl signing) from the cost of workerd + R2; a third sends them to
//    a bare Worker on its own `wrangler dev` that only does R2.put(body, { sha256 })
//    (bench/lib/r2-put-worker.js): the ceiling of the local runtime and R2, so the gap between it
//    and Lifeboat is Lifeboat's own work; a fourth sends them to that Worker's /drain/, which only
//    reads each body (no R2): the runtime's HTTP ingest alone.
//    The part and whole-file hashes are computed before the clock starts: the agent knows them
//    before it sends (their cost is printed separately).
// 2. Peak resident memory of the dev server's workerd processes (VmRSS from /proc, every 50 ms, of
//    every process in its process group) during the upload, as growth over the idle server; the
//    same for a BENCH_UPLOAD_SMALL_MIB (256) MiB upload, to show whether it grows with file size.
//    The small upload runs first in each round, so it cannot hide behind the big one's high-water mark.
//    The runtime process also hosts miniflare's R2 simulator, so the same is sampled for the bare
//    R2.put Worker's dev server (same runtime, same simulator, none of Lifeboat's code): Lifeboat's
//    growth minus the bare one's is the Worker's own. And Lifeboat's isolate alone: its V8 heap,
//    read over the inspector protocol every 50 ms (bench/lib/inspector.mjs).
//
// BENCH_UPLOAD_ROUNDS (3) interleaved rounds; times are medians, memory peaks the maximum. Every
// upload goes to a new check, so no part is deduplicated against an earlier round. Disk: the
// artifact and its parts (2 × 1 GiB) plus Lifeboat's local R2 copy of every upload (1.25 GiB per
// round), all under one temp dir that is removed on exit, failure and Ctrl-C. The Worker is bundled
// once at the start (test/helpers/frozen-worker.ts), so edits to worker/ during the run change nothing.
// Prints a table; writes bench/out/upload.json. Run: `npx node bench/upload.mjs` or `npm run bench -- upload`.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { REPO_ROOT } from "../test/helpers/wrangler-dev.ts";
import {
  groupCpuSeconds,
  machineBusySeconds,
  reapedChildrenCpuSeconds,
  startRssSampler,
  workerdRoles,
} from "./lib/proc.mjs";
import { startSink } from "./lib/sink.mjs";
import { connectInspector, heapUsage, inspectorPortOf } from "./lib/inspector.mjs";
import { signedHeaders } from "./lib/sign.mjs";
import { median, round3 } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";
import { adminClient } from "./lib/admin.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { startUploadServers } from "./lib/upload-servers.mjs";
import { benchTempDir } from "./lib/temp.mjs";

const MiB = 2 ** 20;
const PART_MIB = 64; // the agent's part size (worker/domain/manifest.ts RECOMMENDED_PART_SIZE)
const BIG_MIB = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
const SMALL_MIB = Number(process.env.BENCH_UPLOAD_SMALL_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 3);
const SAMPLE_MS = 50;
const IDLE_MS = 1000; // idle window before the first upload, and (half of it) before each one
// The small artifact is the first parts of the big one (to another check), so both must be whole parts.
if (BIG_MIB % PART_MIB || SMALL_MIB % PART_MIB || SMALL_MIB > BIG_MIB || SMALL_MIB <= 0)
  throw new Error(`BENCH_UPLOAD_MIB and BENCH_UPLOAD_SMALL_MIB must be multiples of ${PART_MIB}, small ≤ big`);
const BIG_PARTS = BIG_MIB / PART_MIB;
const SMALL_PARTS = SMALL_MIB / PART_MIB;

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const MASTER_KEY = randomBytes(32).toString("hex");
const SIGN = join(REPO_ROOT, "test/helpers/agent-sign.sh");

const scripts = new Set(); // process groups of the sh scripts (and their curls)
// Whatever happens, the gigabytes in `dir` go and no curl is left running.
const dir = benchTempDir("lifeboat-bench-upload-", () => {
  for (const pgid of scripts) killGroup(pgid);
});
const work = join(dir, "work");
mkdirSync(work);
const servers = [];

function killGroup(pgid) {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

async function main() {
  const needed = (2 * BIG_MIB + ROUNDS * (BIG_MIB + SMALL_MIB) + BIG_MIB + 1024) * MiB;
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < needed) throw new Error(`${dir} has ${gib(free)} GiB free; this benchmark needs about ${gib(needed)} GiB`);

  const loadBefore = os.loadavg();
  const freeMemBefore = os.freemem();
  console.log(
    `machine: ${os.availableParallelism()} CPU (${os.cpus()[0]?.model ?? "?"}), ${gib(os.totalmem())} GiB RAM ` +
      `(${gib(os.freemem())} free), load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`,
  );
  console.log(
    `upload: ${BIG_MIB} MiB and ${SMALL_MIB} MiB in ${PART_MIB} MiB parts, ${ROUNDS} rounds, ` +
      `RSS every ${SAMPLE_MS} ms; temp dir ${dir}\n`,
  );

  // The artifact: random, so nothing compresses or deduplicates. Its parts are files, as the agent's
  // `split` makes them; the small artifact is the first SMALL_PARTS of them.
  let t = performance.now();
  const made = await sh(`
    cd "$WORK"
    head -c ${BIG_MIB * MiB} /dev/urandom > artifact
    split -a 3 -b ${PART_MIB}m artifact part.
    head -c 1048576 /dev/urandom > warmup
  `);
  if (made.code !== 0) throw new Error(`making the artifact failed: ${made.stderr}`);
  const makeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const hashed = await sh(`
    cd "$WORK"
    lb_sha256 artifact
    head -c ${SMALL_MIB * MiB} artifact | lb_sha256
    lb_sha256 warmup
    for file in part.*; do printf '%s %s\\n' "$file" "$(lb_sha256 "$file")"; done
  `);
  if (hashed.code !== 0) throw new Error(`hashing failed: ${hashed.stderr}`);
  const hashSeconds = (performance.now() - t) / 1000;
  const [bigSha, smallSha, warmupSha, ...partLines] = hashed.stdout.trim().split("\n");
  const parts = partLines.map((line, index) => {
    const [file, sha256] = line.split(" ");
    return { index, file, sha256, size: PART_MIB * MiB };
  });
  if (parts.length !== BIG_PARTS) throw new Error(`split made ${parts.length} parts, not ${BIG_PARTS}`);
  console.log(
    `prepared: ${BIG_MIB} MiB of random data split in ${makeSeconds.toFixed(1)} s; ` +
      `sha256 of artifact + small artifact + parts with openssl in ${hashSeconds.toFixed(1)} s ` +
      "(not in the upload times)",
  );

  const artifacts = {
    big: plan("big", BIG_MIB * MiB, bigSha, parts),
    small: plan("small", SMALL_MIB * MiB, smallSha, parts.slice(0, SMALL_PARTS)),
    warmup: plan("warmup", MiB, warmupSha, [{ index: 0, file: "warmup", sha256: warmupSha, size: MiB }]),
  };

  const sink = await startSink(dir);
  servers.push({ stop: sink.close });
  const { dev, bare } = await startUploadServers(dir, { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: MASTER_KEY }, servers);
  const key = await admin(dev.url, "POST", "/api/v1/keys", { host: "bench", checks: "*", scopes: ["upload", "read"] });
  const agent = { LIFEBOAT_URL: dev.url, LIFEBOAT_KEY: key.key_id, LIFEBOAT_SECRET: key.secret };

  /**
   * Runs `work` and measures it: wall time, the dev server's CPU (all its processes, and workerd
   * alone), the client's CPU (the sh script with its curl and openssl runs, reaped by the time
   * `work` resolves) and "other" CPU — busy time on the machine used by none of these nor this
   * process (the sink, the sampler), as % of one CPU: kernel threads and whatever else shares the
   * machine. A high "other" means the figures were taken on a busy machine.
   */
  async function measured(work, target = dev) {
    const idle = target === dev ? bare : dev; // its CPU is left out of "other" too
    const server = groupCpuSeconds(target.pid);
    const idleServer = groupCpuSeconds(idle.pid).total;
    const machine = machineBusySeconds();
    const client = reapedChildrenCpuSeconds();
    const self = process.cpuUsage();
    const started = performance.now();
    const value = await work();
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const serverAfter = groupCpuSeconds(target.pid);
    const selfUsed = process.cpuUsage(self);
    const serverUsed = serverAfter.total - server.total;
    const idleUsed = groupCpuSeconds(idle.pid).total - idleServer;
    const clientUsed = reapedChildrenCpuSeconds() - client;
    const other =
      machineBusySeconds() - machine - serverUsed - idleUsed - clientUsed - (selfUsed.user + selfUsed.system) / 1e6;
    return {
      value,
      started,
      ended,
      seconds,
      cost: {
        seconds: round3(seconds),
        server_cpu_s: round3(serverUsed),
        workerd_cpu_s: round3(serverAfter.workerd - server.workerd),
        client_cpu_s: round3(clientUsed),
        other_cpu_percent: Math.max(0, Math.round((other / seconds) * 100)),
      },
    };
  }

  let checks = 0;
  /** One whole agent upload to a new check: manifest, every part, complete. Times only the requests. */
  async function uploadToWorker(artifact) {
    const slug = `bench-${artifact.name}-${++checks}`;
    await admin(dev.url, "POST", "/api/v1/checks", { name: slug, slug, kind: "backup", period_s: 86400 });
    writeFileSync(join(work, "manifest.json"), JSON.stringify({ ...artifact.manifest, check: slug }));
    const run = await measured(() => sh(WORKER_UPLOAD, { ...agent, PLAN: artifact.planFile }));
    if (run.value.code !== 0) throw new Error(`upload of ${artifact.name} failed: ${run.value.stderr}\n${dev.logs()}`);
    return { ...run, id: run.value.stdout.trim() };
  }

  // Warm-up: the first request of each kind compiles code paths; 1 MiB barely touches memory.
  await uploadToWorker(artifacts.warmup);
  const rss = startRssSampler(dev.pid, { intervalMs: SAMPLE_MS });
  // The bare R2.put Worker's dev server, sampled the same way: the same runtime and R2 simulator
  // with none of Lifeboat's code, so what Lifeboat adds over it is the Worker's own memory.
  const bareRss = startRssSampler(bare.pid, { intervalMs: SAMPLE_MS });
  // And Lifeboat's own isolate: its V8 heap (exact, from the inspector), every SAMPLE_MS.
  const inspector = await connectInspector(inspectorPortOf(dev.pid));
  servers.push({ stop: async () => inspector.close() });
  const heap = startHeapSampler(inspector);
  servers.push({ stop: async () => heap.stop() });
  await sleep(IDLE_MS);
  const idle = rss.between(performance.now() - IDLE_MS);
  const idleBare = mib(bareRss.between(performance.now() - IDLE_MS).workerd_median);
  const idleHeap = heap.between(performance.now() - IDLE_MS).median;
  const idleWorkerd = mib(idle.workerd_median);
  const idleGroup = mib(idle.total_median);
  // wrangler dev runs two workerd: its proxy, listening on the dev server's port, and the runtime
  // with the Worker and the local R2/D1 simulators. Which one holds the memory says why.
  const roles = workerdRoles(idle.workerd_median_by_pid.keys(), new URL(dev.url).port);
  const idleByRole = byRole(roles, idle.workerd_median_by_pid);
  console.log(
    `idle dev server: workerd ${idleWorkerd} MiB (proxy ${idleByRole.proxy}, runtime ${idleByRole.runtime}), ` +
      `whole group ${idleGroup} MiB RSS\n`,
  );

  const rounds = [];
  let download = null;
  for (let round = 1; round <= ROUNDS; round++) {
    const r = {};

    // Baseline 1: the whole file in one curl -T into the Node sink (in this process, so its
    // hashing and writing count as "self", not "other").
    const plain = await measured(() => sh(`curl -sS -f -T "$WORK/artifact" "$SINK/upload"`, { SINK: sink.url }));
    r.sink_whole = plain.cost;
    const answer = plain.value.code === 0 ? JSON.parse(plain.value.stdout) : null;
    if (answer?.bytes !== BIG_MIB * MiB || answer?.sha256 !== bigSha)
      throw new Error(`baseline upload failed: ${plain.value.stderr || plain.value.stdout}`);

    // Baseline 2: the agent's 16 signed part requests, into the same sink.
    const partsToSink = await measured(() =>
      sh(SINK_PARTS, { ...agent, LIFEBOAT_URL: sink.url, PLAN: artifacts.big.planFile }),
    );
    r.sink_parts = partsToSink.cost;
    if (partsToSink.value.code !== 0) throw new Error(`baseline part upload failed: ${partsToSink.value.stderr}`);

    // Baseline 3: the same part PUTs into a Worker that does nothing but R2.put with the sha256.
    // Memory is growth over the idle level just before (RSS ratchets up over a run: freed pages
    // mostly stay with the process), as for Lifeboat's uploads below.
    await sleep(IDLE_MS / 2);
    const bareBeforeR2 = mib(bareRss.between(performance.now() - IDLE_MS / 2).workerd_median);
    const partsToR2 = await measured(
      () => sh(SINK_PARTS, { ...agent, LIFEBOAT_URL: bare.url, PLAN: artifacts.big.planFile }),
      bare,
    );
    r.bare_r2_parts = {
      ...partsToR2.cost,
      workerd_peak_growth_mib: mib(bareRss.between(partsToR2.started, partsToR2.ended).workerd_peak) - bareBeforeR2,
    };
    if (partsToR2.value.code !== 0)
      throw new Error(`bare R2 part upload failed: ${partsToR2.value.stderr}\n${bare.logs()}`);

    // Baseline 4: the same part PUTs into that Worker's /drain/, which reads each body and stores
    // nothing — the runtime's own HTTP ingest, without R2.
    await sleep(IDLE_MS / 2);
    const bareBeforeDrain = mib(bareRss.between(performance.now() - IDLE_MS / 2).workerd_median);
    const partsDrained = await measured(
      () => sh(SINK_PARTS, { ...agent, LIFEBOAT_URL: `${bare.url}/drain`, PLAN: artifacts.big.planFile }),
      bare,
    );
    r.bare_drain_parts = {
      ...partsDrained.cost,
      workerd_peak_growth_mib:
        mib(bareRss.between(partsDrained.started, partsDrained.ended).workerd_peak) - bareBeforeDrain,
    };
    if (partsDrained.value.code !== 0)
      throw new Error(`bare drain part upload failed: ${partsDrained.value.stderr}\n${bare.logs()}`);

    for (const name of ["small", "big"]) {
      await sleep(IDLE_MS / 2);
      const before = rss.between(performance.now() - IDLE_MS / 2);
      const upload = await uploadToWorker(artifacts[name]);
      const during = rss.between(upload.started, upload.ended);
      // The peak in each quarter of the upload: level if memory is bounded, rising if it grows with the bytes sent.
      const quarter = (upload.ended - upload.started) / 4;
      const quarters = [0, 1, 2, 3].map(
        (q) =>
          mib(rss.between(upload.started + q * quarter, upload.started + (q + 1) * quarter).workerd_peak) - idleWorkerd,
      );
      r[name] = {
        id: upload.id,
        ...upload.cost,
        workerd_idle_before_mib: mib(before.workerd_median),
        workerd_peak_mib: mib(during.workerd_peak),
        group_peak_mib: mib(during.total_peak),
        workerd_peak_growth_by_role_mib: growthByRole(roles, during.workerd_peak_by_pid, idleByRole),
        workerd_peak_growth_by_quarter_mib: quarters,
        workerd_growth_over_before_mib: mib(during.workerd_peak) - mib(before.workerd_median),
        isolate_heap_peak_growth_mib: round3((heap.between(upload.started, upload.ended).peak - idleHeap) / MiB),
        rss_samples: during.samples,
        rss_max_gap_ms: during.max_gap_ms,
      };
    }

    // Once: the restore path, to check the bytes went in right and see what streaming out costs.
    if (round === 1) {
      await sleep(IDLE_MS / 2);
      const run = await measured(() => downloadSha(dev.url, agent, r.big.id));
      const got = run.value;
      if (got.sha256 !== bigSha || got.bytes !== BIG_MIB * MiB)
        throw new Error(`the downloaded ${got.bytes} bytes have sha256 ${got.sha256}, not ${bigSha}`);
      const during = rss.between(run.started, run.ended);
      download = {
        ...run.cost, // the hashing here is "self", like the sink's
        workerd_peak_mib: mib(during.workerd_peak),
        group_peak_mib: mib(during.total_peak),
        workerd_peak_growth_by_role_mib: growthByRole(roles, during.workerd_peak_by_pid, idleByRole),
        verified_sha256: true,
      };
    }
    rounds.push(r);
    console.log(
      `round ${round}/${ROUNDS}: curl -T → sink ${mbps(BIG_MIB, r.sink_whole.seconds)} MB/s, ` +
        `${BIG_PARTS} signed PUTs → sink ${mbps(BIG_MIB, r.sink_parts.seconds)} MB/s, ` +
        `→ bare R2 Worker ${mbps(BIG_MIB, r.bare_r2_parts.seconds)} MB/s, ` +
        `wrangler dev ${SMALL_MIB} MiB ${mbps(SMALL_MIB, r.small.seconds)} MB/s, ` +
        `${BIG_MIB} MiB ${mbps(BIG_MIB, r.big.seconds)} MB/s ` +
        `(workerd peak +${r.small.workerd_peak_mib - idleWorkerd} / +${r.big.workerd_peak_mib - idleWorkerd} MiB; ` +
        `other CPU ${[r.sink_whole, r.sink_parts, r.bare_r2_parts, r.small, r.big]
          .map((x) => `${x.other_cpu_percent}%`)
          .join("/")})`,
    );
  }
  rss.stop();
  bareRss.stop();

  const baseline = median(rounds.map((r) => r.sink_whole.seconds));
  /** A result row from per-round costs: medians for time and CPU, the highest peak for memory. */
  const row = (label, mibs, costs, { memory = false, cpu = memory } = {}) => {
    const m = (field) => median(costs.map((c) => c[field]));
    const seconds = m("seconds");
    return {
      label,
      mib: mibs,
      seconds: round3(seconds),
      mb_per_s: mbps(mibs, seconds),
      ratio_to_baseline: round3((baseline * (mibs / BIG_MIB)) / seconds), // throughput, as a ratio
      client_cpu_s: round3(m("client_cpu_s")),
      other_cpu_percent: m("other_cpu_percent"),
      ...(memory && {
        workerd_peak_growth_mib: Math.max(...costs.map((c) => c.workerd_peak_mib)) - idleWorkerd,
        workerd_peak_growth_by_role_mib: {
          proxy: Math.max(...costs.map((c) => c.workerd_peak_growth_by_role_mib.proxy)),
          runtime: Math.max(...costs.map((c) => c.workerd_peak_growth_by_role_mib.runtime)),
        },
        group_peak_growth_mib: Math.max(...costs.map((c) => c.group_peak_mib)) - idleGroup,
      }),
      ...(cpu && { server_cpu_s: round3(m("server_cpu_s")), workerd_cpu_s: round3(m("workerd_cpu_s")) }),
    };
  };
  const all = (name) => rounds.map((r) => r[name]);
  const results = {
    sink_whole: row(`curl -T ${BIG_MIB} MiB → Node sink (disk + sha256)`, BIG_MIB, all("sink_whole")),
    sink_parts: row(`  ${BIG_PARTS} signed part PUTs → Node sink`, BIG_MIB, all("sink_parts")),
    bare_r2_parts: row(`  ${BIG_PARTS} part PUTs → bare Worker, R2.put only`, BIG_MIB, all("bare_r2_parts"), {
      cpu: true,
    }),
    bare_drain_parts: row(
      `  ${BIG_PARTS} part PUTs → bare Worker, body read, no R2`,
      BIG_MIB,
      all("bare_drain_parts"),
      {
        cpu: true,
      },
    ),
    worker_big: row(`wrangler dev: manifest + ${BIG_PARTS} parts + complete`, BIG_MIB, all("big"), { memory: true }),
    worker_small: row(`wrangler dev: manifest + ${SMALL_PARTS} parts + complete`, SMALL_MIB, all("small"), {
      memory: true,
    }),
    worker_download: download && {
      ...row(`wrangler dev: download ${BIG_MIB} MiB (round 1)`, BIG_MIB, [download], { memory: true }),
    },
  };

  console.log();
  const header = [
    "",
    "MiB",
    "s",
    "MB/s",
    "× baseline",
    "workerd peak +MiB",
    "group peak +MiB",
    "server CPU s",
    "workerd CPU s",
    "client CPU s",
    "other CPU %",
  ];
  const table = Object.values(results)
    .filter(Boolean)
    .map((r) => [
      r.label,
      r.mib,
      r.seconds.toFixed(2),
      r.mb_per_s,
      r.ratio_to_baseline.toFixed(3),
      r.workerd_peak_growth_mib ?? "",
      r.group_peak_growth_mib ?? "",
      r.server_cpu_s?.toFixed(1) ?? "",
      r.workerd_cpu_s?.toFixed(1) ?? "",
      r.client_cpu_s.toFixed(1),
      r.other_cpu_percent,
    ]);
  console.log(formatTable(header, table));

  // Memory: Lifeboat's dev server against the bare R2.put Worker's, over each one's idle.
  // Medians over rounds: the first round also holds the allocator's warm-up, in both servers alike.
  const peak = (name, field) => median(rounds.map((r) => r[name][field]));
  const memory = {
    lifeboat_big_mib: peak("big", "workerd_growth_over_before_mib"),
    lifeboat_small_mib: peak("small", "workerd_growth_over_before_mib"),
    bare_r2_put_mib: peak("bare_r2_parts", "workerd_peak_growth_mib"),
    bare_drain_mib: peak("bare_drain_parts", "workerd_peak_growth_mib"),
    isolate_heap_big_mib: peak("big", "isolate_heap_peak_growth_mib"),
    isolate_heap_small_mib: peak("small", "isolate_heap_peak_growth_mib"),
  };
  memory.lifeboat_over_bare_mib = memory.lifeboat_big_mib - memory.bare_r2_put_mib;
  console.log(
    `\nPeak workerd memory growth (RSS over the idle level just before each upload, MiB; median of ${ROUNDS} rounds):`,
  );
  console.log(
    formatTable(
      ["dev server, upload", "workerd RSS +MiB", "Worker isolate V8 heap +MiB"],
      [
        [`Lifeboat, ${BIG_MIB} MiB`, memory.lifeboat_big_mib, memory.isolate_heap_big_mib.toFixed(1)],
        [`Lifeboat, ${SMALL_MIB} MiB`, memory.lifeboat_small_mib, memory.isolate_heap_small_mib.toFixed(1)],
        [`bare Worker, R2.put only, ${BIG_MIB} MiB`, memory.bare_r2_put_mib, ""],
        [`bare Worker, body read, no R2, ${BIG_MIB} MiB`, memory.bare_drain_mib, ""],
        [`Lifeboat − bare R2.put (${BIG_MIB} MiB)`, memory.lifeboat_over_bare_mib, ""],
      ],
    ),
  );
  console.log(
    `(times: medians of ${ROUNDS} rounds; memory: the highest peak of any round minus the idle server ` +
      `(workerd ${idleWorkerd} MiB, group ${idleGroup} MiB);\n server CPU: all the dev server's processes; ` +
      `client CPU: sh + curl + openssl (0 for the download: Node's fetch in this process);\n` +
      " other CPU: % of one CPU busy outside all of these and this process — kernel threads, anything else;\n" +
      " group = every process of the dev server: wrangler's node processes shrink after start-up, so it can grow less)",
  );
  for (const [name, size] of [
    ["small", SMALL_MIB],
    ["big", BIG_MIB],
  ]) {
    const role = results[name === "big" ? "worker_big" : "worker_small"].workerd_peak_growth_by_role_mib;
    console.log(
      `workerd peak growth of the ${size} MiB upload by process, MiB: proxy +${role.proxy}, runtime +${role.runtime}`,
    );
    console.log(
      `workerd peak growth by quarter of the ${size} MiB upload, MiB: ` +
        rounds.map((r) => `[${r[name].workerd_peak_growth_by_quarter_mib.join(", ")}]`).join(" "),
    );
  }

  const out = {
    benchmark: "upload",
    at: new Date().toISOString(),
    machine: {
      ...machineInfo(loadBefore),
      mem_free_gib_before: gib(freeMemBefore),
      curl: (await sh("curl --version | head -n 1")).stdout.trim(),
      openssl: (await sh("openssl version")).stdout.trim(),
    },
    config: {
      big_mib: BIG_MIB,
      small_mib: SMALL_MIB,
      part_mib: PART_MIB,
      rounds: ROUNDS,
      rss_sample_ms: SAMPLE_MS,
      log_level: "warn",
      prepare_seconds: round3(makeSeconds),
      hash_seconds_openssl: round3(hashSeconds),
    },
    idle: {
      workerd_rss_mib: idleWorkerd,
      workerd_rss_by_role_mib: idleByRole,
      group_rss_mib: idleGroup,
      bare_workerd_rss_mib: idleBare,
      isolate_heap_mib: round3(idleHeap / MiB),
    },
    memory,
    results,
    ratios: {
      worker_big_to_baseline: results.worker_big.ratio_to_baseline,
      worker_small_to_baseline: results.worker_small.ratio_to_baseline,
      protocol_to_baseline: results.sink_parts.ratio_to_baseline,
      bare_r2_to_baseline: results.bare_r2_parts.ratio_to_baseline,
      worker_big_to_bare_r2: round3(results.bare_r2_parts.seconds / results.worker_big.seconds),
      lifeboat_memory_over_bare_r2_put_mib: memory.lifeboat_over_bare_mib,
      drain_to_baseline: results.bare_drain_parts.ratio_to_baseline,
      workerd_peak_growth_big_to_small: round3(
        results.worker_big.workerd_peak_growth_mib / Math.max(1, results.worker_small.workerd_peak_growth_mib),
      ),
    },
    rounds,
  };
  writeBenchOutput("upload", out);
  return 0;
}

// ---------------------------------------------------------------------------------------------

/**
 * The agent's upload, sequential: signed manifest, then each part of the plan (`index file sha256`
 * per line, hashes known beforehand) with `curl -T`, then complete. Prints the backup id.
 * The plan is read on fd 3 so nothing in the loop can eat it from stdin.
 */
const WORKER_UPLOAD = `
cd "$WORK"
last() { printf '%s\\n' "$1" | tail -n 1; }
out=$(lb_json POST /v1/backups "$(cat manifest.json)")
if [ "$(last "$out")" != 201 ]; then echo "manifest: $out" >&2; exit 1; fi
id=$(printf '%s' "$out" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p' | head -n 1)
while read -r index file sha <&3; do
  out=$(lb_put_part "$id" "$index" "$file" "$sha")
  if [ "$(last "$out")" != 201 ]; then echo "part $index: $out" >&2; exit 1; fi
done 3< "$PLAN"
out=$(lb_json POST "/v1/backups/$id/complete")
if [ "$(last "$out")" != 200 ]; then echo "complete: $out" >&2; exit 1; fi
echo "$id"
`;

/** The same part requests, signed the same way, to the Node sink (which answers 200 to anything). */
const SINK_PARTS = `
cd "$WORK"
while read -r index file sha <&3; do
  out=$(lb_put_part sink "$index" "$file" "$sha")
  if [ "$(printf '%s\\n' "$out" | tail -n 1)" != 200 ]; then echo "part $index: $out" >&2; exit 1; fi
done 3< "$PLAN"
`;

/** Samples the Worker isolate's V8 heap every SAMPLE_MS; `between` gives its peak and median in a window. */
function startHeapSampler(inspector) {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      samples.push({ at, used: (await heapUsage(inspector)).used });
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    between(from, to = performance.now()) {
      const inside = samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.used);
      if (inside.length === 0) throw new Error("no heap samples in that window");
      return { peak: Math.max(...inside), median: median(inside) };
    },
    async stop() {
      running = false;
      await loop.catch(() => undefined);
    },
  };
}

/** Per-pid bytes summed by role, in MiB. */
function byRole(roles, bytesByPid) {
  const out = { proxy: 0, runtime: 0 };
  for (const [pid, bytes] of bytesByPid) out[roles.get(pid) ?? "runtime"] += bytes;
  return { proxy: mib(out.proxy), runtime: mib(out.runtime) };
}

function growthByRole(roles, peakByPid, idleByRole) {
  const peak = byRole(roles, peakByPid);
  return { proxy: peak.proxy - idleByRole.proxy, runtime: peak.runtime - idleByRole.runtime };
}

/** A manifest and a plan file for one artifact made of some of the part files. */
function plan(name, size, sha256, parts) {
  const planFile = join(work, `plan-${name}.txt`);
  writeFileSync(planFile, parts.map((p) => `${p.index} ${p.file} ${p.sha256}\n`).join(""));
  return {
    name,
    planFile,
    manifest: {
      size,
      sha256,
      part_size: PART_MIB * MiB,
      parts: parts.map(({ index, size, sha256 }) => ({ index, size, sha256 })),
      compression: "none",
      encryption: "none",
      source: "command",
      host: "bench",
      meta: {},
    },
  };
}

/**
 * Runs a POSIX sh script with the signing helpers sourced, `set -eu`, in its own process group
 * (so a curl it started dies with it on exit). Never throws on a non-zero exit.
 */
function sh(script, env = {}) {
  return new Promise((done) => {
    const child = spawn("sh", ["-c", `set -eu\n. "${SIGN}"\n${script}`], {
      cwd: dir,
      env: { ...process.env, WORK: work, ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    scripts.add(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code, signal) => {
      scripts.delete(child.pid);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Signed GET of the whole artifact, hashed as it streams in (nothing written to disk). */
async function downloadSha(origin, agent, id) {
  const path = `/v1/backups/${id}/content`;
  const key = { keyId: agent.LIFEBOAT_KEY, secret: Buffer.from(agent.LIFEBOAT_SECRET, "hex") };
  const response = await fetch(`${origin}${path}`, { headers: signedHeaders(key, "GET", path) });
  if (response.status !== 200) throw new Error(`download: HTTP ${response.status} ${await response.text()}`);
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes) => Math.round(bytes / MiB);
const gib = (bytes) => Math.round((bytes / 2 ** 30) * 10) / 10;
const mbps = (mibs, seconds) => Math.round((mibs * MiB) / 1e6 / seconds);

await runBenchmark(main, async () => {
  for (const server of servers.reverse()) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
