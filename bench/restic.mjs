#!/usr/bin/env node
// restic (Debian's restic 0.14) backing up to Lifeboat under `wrangler dev` (local workerd, R2 and
// D1), beside the same restic runs against `rclone serve restic --append-only` (Debian's rclone, a
// plain Go server writing files to disk) on the same machine, in the same run. Per target and round:
//
// 1. a fresh repository; `restic backup` of BENCH_RESTIC_MIB (1024) MiB of new, incompressible data
//    (files of 16 MiB), timed; then `restic backup` again after 1 % of the bytes changed (one 1 MiB
//    stretch rewritten in each of the first files), timed, with the bytes each server received;
// 2. the same for a BENCH_RESTIC_SMALL_MIB (256) MiB data set, to see whether the dev server's
//    memory grows with the data size (it should not: every file streams into R2).
//
// 3. the servers alone, restic's client left out: BENCH_RESTIC_FLOOR_MIB (256) MiB of 16 MiB packs
//    POSTed 5 at a time (restic's default connections) from this process to rclone, to Lifeboat, and
//    to a bare Worker on its own `wrangler dev` that only does R2.put(body, { sha256 })
//    (bench/lib/r2-put-worker.js): the same runtime and local R2 simulator with none of Lifeboat's
//    code, so Lifeboat's distance to it is Lifeboat's own, and its distance to rclone the simulator's.
//
// Throughput ratio = rclone's time / Lifeboat's time for the same backup (goal ≥ 0.5). Memory:
// the peak resident memory of the dev server's workerd processes (VmRSS from /proc, every 50 ms)
// during each backup, as growth over the level just before it. BENCH_RESTIC_ROUNDS (2) rounds,
// rclone and Lifeboat alternating; times are medians. restic's password and the repository URL
// (with the key's secret) travel in the environment. Disk: the data (1 GiB) plus each server's
// copy per round, under one temp dir removed on exit, failure and Ctrl-C. The Worker is bundled
// once (test/helpers/frozen-worker.ts), so edits to worker/ during the run change nothing.
// Prints a table; writes bench/out/restic.json. Run: `npx node bench/restic.mjs` or `npm run bench -- restic`.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort } from "../test/helpers/wrangler-dev.ts";
import { adminClient } from "./lib/admin.mjs";
import { machineInfo, writeBenchOutput } from "./lib/output.mjs";
import { groupCpuSeconds, startRssSampler } from "./lib/proc.mjs";
import { runBenchmark } from "./lib/run.mjs";
import { startUploadServers } from "./lib/upload-servers.mjs";
import { benchTempDir } from "./lib/temp.mjs";
import { median, round3 } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";

const MiB = 2 ** 20;
const FILE_MIB = 16;
const BIG_MIB = Number(process.env.BENCH_RESTIC_MIB ?? 1024);
const SMALL_MIB = Number(process.env.BENCH_RESTIC_SMALL_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_RESTIC_ROUNDS ?? 2);
const CHANGED_FRACTION = 0.01;
// The same new bytes for every target and round, so each server is sent the same chunks.
const CHANGE = randomBytes(MiB);
const SAMPLE_MS = 50;
const FLOOR_MIB = Number(process.env.BENCH_RESTIC_FLOOR_MIB ?? 256);
const CONNECTIONS = 5; // restic's default for the rest: backend
if (BIG_MIB % FILE_MIB || SMALL_MIB % FILE_MIB || SMALL_MIB > BIG_MIB)
  throw new Error(`BENCH_RESTIC_MIB and BENCH_RESTIC_SMALL_MIB must be multiples of ${FILE_MIB}, small ≤ big`);

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const admin = adminClient(ADMIN_TOKEN);
const PASSWORD = randomBytes(16).toString("hex");
const children = new Set();
const dir = benchTempDir("lifeboat-bench-restic-", () => {
  for (const child of children) child.kill("SIGKILL");
});
const servers = [];

/** Runs a command to its end; the environment carries the secrets, never argv. */
function run(command, args, env = {}, cwd = dir) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `files` files of FILE_MIB random MiB each (the first `files` of the data set). */
function makeData(path, files) {
  mkdirSync(path, { recursive: true });
  for (let i = 0; i < files; i++)
    writeFileSync(join(path, `file-${String(i).padStart(4, "0")}.bin`), randomBytes(FILE_MIB * MiB));
}

/** Rewrites 1 MiB in the middle of as many files as make CHANGED_FRACTION of the data: a 1 % change. */
function changeOnePercent(path, totalMib) {
  const files = readdirSync(path).sort();
  const changed = Math.max(1, Math.round(totalMib * CHANGED_FRACTION));
  for (const name of files.slice(0, changed)) {
    const fd = openSync(join(path, name), "r+");
    writeSync(fd, CHANGE, 0, MiB, (FILE_MIB / 2) * MiB);
    closeSync(fd);
  }
  return changed * MiB;
}

function duBytes(path) {
  let total = 0;
  const walk = (p) => {
    for (const entry of readdirSync(p, { withFileTypes: true })) {
      const full = join(p, entry.name);
      if (entry.isDirectory()) walk(full);
      else total += statSync(full).size;
    }
  };
  walk(path);
  return total;
}

const mbps = (mib, seconds) => Math.round((mib * MiB) / 1e6 / seconds);
const mib = (bytes) => Math.round(bytes / MiB);

async function main() {
  const needed = (BIG_MIB * (1 + 2 * ROUNDS) + SMALL_MIB * (1 + 2 * ROUNDS) + 2048) * MiB;
  const fs = statfsSync(dir);
  if (fs.bavail * fs.bsize < needed) throw new Error(`${dir} needs about ${mib(needed)} MiB free`);
  const loadBefore = os.loadavg();
  const versions = {
    restic: spawnSync("restic", ["version"], { encoding: "utf8" }).stdout.trim(),
    rclone: spawnSync("rclone", ["version"], { encoding: "utf8" }).stdout.split("\n")[0],
  };
  console.log(
    `machine: ${os.availableParallelism()} CPU (${os.cpus()[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
      `load ${loadBefore.map((x) => x.toFixed(2)).join(" ")}; ${versions.restic}; ${versions.rclone}`,
  );
  console.log(`restic: ${BIG_MIB} and ${SMALL_MIB} MiB new, then 1 % changed; ${ROUNDS} rounds; temp dir ${dir}\n`);

  // Lifeboat under wrangler dev, and rclone's restic server, side by side.
  const { dev, bare } = await startUploadServers(
    dir,
    { ADMIN_TOKEN, LIFEBOAT_MASTER_KEY: randomBytes(32).toString("hex") },
    servers,
  );
  const rclonePort = await freePort();
  const rcloneRoot = join(dir, "rclone");
  mkdirSync(rcloneRoot);
  const rclone = spawn(
    "rclone",
    ["serve", "restic", "--append-only", "--addr", `127.0.0.1:${rclonePort}`, rcloneRoot],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(rclone);
  servers.push({ stop: async () => rclone.kill("SIGTERM") });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${rclonePort}/`);
      break;
    } catch {
      if (i > 100) throw new Error("rclone serve restic did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  let t = performance.now();
  makeData(join(dir, "pristine"), BIG_MIB / FILE_MIB);
  console.log(`prepared ${BIG_MIB} MiB of random data in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

  let repos = 0;
  /** A fresh repository on a target: its URL (secrets inside) and how to read what it received. */
  async function freshRepo(target) {
    const slug = `bench-${++repos}`;
    if (target === "rclone") {
      return {
        url: `rest:http://127.0.0.1:${rclonePort}/${slug}/`,
        received: async () => duBytes(join(rcloneRoot, slug)),
      };
    }
    const key = await withLogs(async () => {
      await admin(dev.url, "POST", "/api/v1/checks", { name: slug, slug, kind: "restic", period_s: 86_400 });
      return admin(dev.url, "POST", "/api/v1/keys", { host: slug, checks: [slug], scopes: ["restic"] });
    });
    return {
      url: `rest:${dev.url.replace("://", `://${key.key_id}:${key.secret}@`)}/restic/${slug}/`,
      files: `${dev.url}/restic/${slug}`,
      authorization: `Basic ${Buffer.from(`${key.key_id}:${key.secret}`).toString("base64")}`,
      received: async () => (await admin(dev.url, "GET", `/api/v1/checks/${slug}/restic`)).received_bytes,
    };
  }

  /** A failure to reach the dev server says what it printed last. */
  async function withLogs(work) {
    try {
      return await work();
    } catch (error) {
      throw new Error(`${error.message}\n--- wrangler dev ---\n${dev.logs().slice(-4000)}`);
    }
  }

  const rss = startRssSampler(dev.pid, { intervalMs: SAMPLE_MS });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /** One restic backup of `data` into `repo`, timed, with the server's CPU and memory and the bytes it received. */
  async function backup(target, repo, data, cache) {
    await sleep(500);
    const before = rss.between(performance.now() - 500);
    const receivedBefore = await repo.received();
    const serverCpu = target === "lifeboat" ? groupCpuSeconds(dev.pid).total : null;
    const started = performance.now();
    const result = await run("restic", ["backup", "--quiet", "--host", "bench", data], {
      RESTIC_REPOSITORY: repo.url,
      RESTIC_PASSWORD: PASSWORD,
      RESTIC_CACHE_DIR: cache,
    });
    const ended = performance.now();
    if (result.code !== 0)
      throw new Error(`restic backup to ${target} failed: ${result.stderr}\n${dev.logs().slice(-3000)}`);
    const during = rss.between(started, ended);
    return {
      seconds: round3((ended - started) / 1000),
      received_bytes: (await repo.received()) - receivedBefore,
      server_cpu_s: serverCpu === null ? null : round3(groupCpuSeconds(dev.pid).total - serverCpu),
      workerd_growth_mib: target === "lifeboat" ? mib(during.workerd_peak) - mib(before.workerd_median) : null,
    };
  }

  /** init, the first backup of `files` new files, 1 % changed, the second backup. */
  async function scenario(target, files, sizeMib) {
    const data = join(dir, `data-${target}-${sizeMib}`);
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data);
    for (const name of readdirSync(join(dir, "pristine")).sort().slice(0, files))
      spawnSync("cp", [join(dir, "pristine", name), join(data, name)]);
    const repo = await freshRepo(target);
    const cache = join(dir, `cache-${repos}`);
    const init = await run("restic", ["init"], {
      RESTIC_REPOSITORY: repo.url,
      RESTIC_PASSWORD: PASSWORD,
      RESTIC_CACHE_DIR: cache,
    });
    if (init.code !== 0) throw new Error(`restic init on ${target} failed: ${init.stderr}`);
    const first = await backup(target, repo, data, cache);
    const changedBytes = changeOnePercent(data, sizeMib);
    const second = await backup(target, repo, data, cache);
    rmSync(data, { recursive: true, force: true });
    return { first, second, changed_bytes: changedBytes };
  }

  // Warm-up, not measured: the first requests of each kind compile code paths in the dev server.
  for (const target of ["rclone", "lifeboat"]) await scenario(target, 1, FILE_MIB);

  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const r = {};
    for (const target of round % 2 ? ["rclone", "lifeboat"] : ["lifeboat", "rclone"]) {
      r[`${target}_big`] = await scenario(target, BIG_MIB / FILE_MIB, BIG_MIB);
      r[`${target}_small`] = await scenario(target, SMALL_MIB / FILE_MIB, SMALL_MIB);
    }
    rounds.push(r);
    console.log(
      `round ${round}/${ROUNDS}: ${BIG_MIB} MiB new → rclone ${r.rclone_big.first.seconds} s, Lifeboat ${r.lifeboat_big.first.seconds} s; ` +
        `1 % changed → rclone ${r.rclone_big.second.seconds} s, Lifeboat ${r.lifeboat_big.second.seconds} s ` +
        `(Lifeboat received ${mib(r.lifeboat_big.second.received_bytes)} MiB); workerd +${r.lifeboat_big.first.workerd_growth_mib} / ` +
        `+${r.lifeboat_small.first.workerd_growth_mib} MiB (${BIG_MIB} / ${SMALL_MIB} MiB)`,
    );
  }
  rss.stop();

  // The servers alone: the same packs, CONNECTIONS at a time, from this process.
  const timed = FLOOR_MIB / FILE_MIB;
  const packs = Array.from({ length: timed + 1 }, () => randomBytes(FILE_MIB * MiB));
  const names = packs.map((p) => createHash("sha256").update(p).digest("hex"));
  const floorRepo = await freshRepo("lifeboat");
  const floorTargets = {
    rclone: (i) => fetch(`http://127.0.0.1:${rclonePort}/floor/data/${names[i]}`, { method: "POST", body: packs[i] }),
    lifeboat: (i) =>
      fetch(`${floorRepo.files}/data/${names[i]}`, {
        method: "POST",
        body: packs[i],
        headers: { Authorization: floorRepo.authorization },
      }),
    bare_r2_put: (i) =>
      fetch(`${bare.url}/part`, { method: "PUT", body: packs[i], headers: { "X-Lifeboat-Content-SHA256": names[i] } }),
  };
  await run("restic", ["init"], {
    RESTIC_REPOSITORY: `rest:http://127.0.0.1:${rclonePort}/floor/`,
    RESTIC_PASSWORD: PASSWORD,
  });
  const floor = {};
  for (const [target, send] of Object.entries(floorTargets)) {
    await (await send(timed)).arrayBuffer(); // warm-up with one more pack, not timed
    const started = performance.now();
    for (let i = 0; i < timed; i += CONNECTIONS) {
      const batch = Array.from({ length: Math.min(CONNECTIONS, timed - i) }, (_, j) => i + j);
      const answers = await Promise.all(batch.map(send));
      for (const answer of answers) {
        await answer.arrayBuffer();
        if (!answer.ok) throw new Error(`${target}: HTTP ${answer.status}`);
      }
    }
    floor[target] = round3((performance.now() - started) / 1000);
  }
  console.log(
    `\nthe servers alone, ${FLOOR_MIB} MiB of ${FILE_MIB} MiB packs ${CONNECTIONS} at a time: rclone ${floor.rclone} s, ` +
      `Lifeboat ${floor.lifeboat} s (× rclone ${round3(floor.rclone / floor.lifeboat)}), bare R2.put Worker ` +
      `${floor.bare_r2_put} s (Lifeboat × bare ${round3(floor.bare_r2_put / floor.lifeboat)})`,
  );

  const m = (key, phase, field) => median(rounds.map((r) => r[key][phase][field]));
  const maxOf = (key, phase, field) => Math.max(...rounds.map((r) => r[key][phase][field]));
  const rows = [];
  const results = {};
  for (const [size, label] of [
    ["big", BIG_MIB],
    ["small", SMALL_MIB],
  ]) {
    for (const phase of ["first", "second"]) {
      const what = phase === "first" ? `${label} MiB new` : `${label} MiB, 1 % changed`;
      const rcloneS = m(`rclone_${size}`, phase, "seconds");
      const lifeboatS = m(`lifeboat_${size}`, phase, "seconds");
      const entry = {
        rclone_seconds: rcloneS,
        lifeboat_seconds: lifeboatS,
        ratio: round3(rcloneS / lifeboatS),
        rclone_received_bytes: m(`rclone_${size}`, phase, "received_bytes"),
        lifeboat_received_bytes: m(`lifeboat_${size}`, phase, "received_bytes"),
        lifeboat_server_cpu_s: m(`lifeboat_${size}`, phase, "server_cpu_s"),
        lifeboat_workerd_peak_growth_mib: maxOf(`lifeboat_${size}`, phase, "workerd_growth_mib"),
      };
      results[`${size}_${phase}`] = entry;
      rows.push([
        what,
        rcloneS.toFixed(2),
        lifeboatS.toFixed(2),
        phase === "first" ? mbps(label, lifeboatS) : "",
        entry.ratio.toFixed(3),
        (entry.rclone_received_bytes / 1e6).toFixed(1),
        (entry.lifeboat_received_bytes / 1e6).toFixed(1),
        entry.lifeboat_server_cpu_s.toFixed(1),
        entry.lifeboat_workerd_peak_growth_mib,
      ]);
    }
  }
  console.log();
  console.log(
    formatTable(
      [
        "restic backup",
        "rclone s",
        "Lifeboat s",
        "Lifeboat MB/s",
        "× rclone",
        "rclone MB in",
        "Lifeboat MB in",
        "dev CPU s",
        "workerd +MiB",
      ],
      rows,
    ),
  );
  console.log(
    `(medians of ${ROUNDS} rounds; × rclone = rclone's time / Lifeboat's (throughput ratio, goal ≥ 0.5); MB in = bytes each ` +
      "server stored for that backup; dev CPU = all of wrangler dev's processes; workerd +MiB = the highest peak RSS of " +
      "the dev server's workerd over its level just before the backup)",
  );

  writeBenchOutput("restic", {
    benchmark: "restic",
    at: new Date().toISOString(),
    machine: { ...machineInfo(loadBefore), ...versions },
    config: {
      big_mib: BIG_MIB,
      small_mib: SMALL_MIB,
      file_mib: FILE_MIB,
      changed_fraction: CHANGED_FRACTION,
      rounds: ROUNDS,
    },
    results,
    servers_alone_seconds: floor,
    ratios: {
      servers_alone_lifeboat_to_rclone: round3(floor.rclone / floor.lifeboat),
      servers_alone_lifeboat_to_bare_r2_put: round3(floor.bare_r2_put / floor.lifeboat),
      new_data_throughput_to_rclone: results.big_first.ratio,
      changed_throughput_to_rclone: results.big_second.ratio,
      workerd_growth_big_to_small: round3(
        results.big_first.lifeboat_workerd_peak_growth_mib /
          Math.max(1, results.small_first.lifeboat_workerd_peak_growth_mib),
      ),
    },
    rounds,
  });
  return 0;
}

await runBenchmark(main, async () => {
  for (const server of servers.reverse()) await server.stop();
});
