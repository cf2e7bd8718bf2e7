// What a process group (a `wrangler dev` and its children) uses, from /proc: resident memory
// sampled over time, split into workerd and the rest (wrangler's node processes, esbuild), and
// CPU time. For "how much memory and CPU does the dev server's Worker runtime use while …".
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { groupMembers } from "../../test/helpers/wrangler-dev.ts";

/**
 * @typedef {{ at: number, workerd: number, total: number, byPid: Map<number, number> }} RssSample
 * bytes; `at` is performance.now(); byPid holds each workerd process on its own
 */

/** VmRSS of one process in bytes, and its command name; null once it is gone. */
function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const name = /^Name:\s*(\S+)/m.exec(status)?.[1] ?? "?";
    const kb = Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? 0); // kernel threads and zombies have none
    return { name, bytes: kb * 1024 };
  } catch {
    return null;
  }
}

/**
 * Starts sampling. The member list is refreshed once a second (a /proc scan costs more than
 * reading a few status files), so a process that appears in between is seen within a second.
 * @param {number} pgid
 * @param {{ intervalMs?: number }} [options]
 */
export function startRssSampler(pgid, { intervalMs = 50 } = {}) {
  /** @type {RssSample[]} */
  const samples = [];
  let members = groupMembers(pgid);
  let refreshedAt = performance.now();

  const sample = () => {
    const at = performance.now();
    if (at - refreshedAt > 1000) {
      members = groupMembers(pgid);
      refreshedAt = at;
    }
    let workerd = 0;
    let total = 0;
    const byPid = new Map();
    for (const pid of members) {
      const rss = rssOf(pid);
      if (!rss) continue;
      total += rss.bytes;
      if (rss.name === "workerd") {
        workerd += rss.bytes;
        byPid.set(pid, rss.bytes);
      }
    }
    /** @type {RssSample} */
    const s = { at, workerd, total, byPid };
    samples.push(s);
    return s;
  };
  sample();
  const timer = setInterval(sample, intervalMs);

  return {
    /** Takes a sample now (also recorded) and returns it. */
    sample,
    /**
     * Peak and median of the samples taken in [from, to] (performance.now() times), with the
     * number of samples and the longest gap between two, so a starved sampler shows.
     */
    between(from, to = performance.now()) {
      const inside = samples.filter((s) => s.at >= from && s.at <= to);
      if (inside.length === 0) throw new Error("no RSS samples in that window");
      const median = (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        return sorted[Math.floor(sorted.length / 2)];
      };
      /** @type {Map<number, number>} */
      const workerdPeakByPid = new Map();
      for (const s of inside)
        for (const [pid, bytes] of s.byPid) workerdPeakByPid.set(pid, Math.max(bytes, workerdPeakByPid.get(pid) ?? 0));
      let gap = 0;
      for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i].at - inside[i - 1].at);
      return {
        samples: inside.length,
        max_gap_ms: Math.round(gap),
        workerd_peak: Math.max(...inside.map((s) => s.workerd)),
        workerd_median: median(inside.map((s) => s.workerd)),
        total_peak: Math.max(...inside.map((s) => s.total)),
        total_median: median(inside.map((s) => s.total)),
        workerd_peak_by_pid: workerdPeakByPid,
        workerd_median_by_pid: new Map(
          [...workerdPeakByPid.keys()].map((pid) => [pid, median(inside.map((s) => s.byPid.get(pid) ?? 0))]),
        ),
      };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** user + system CPU seconds so far of each live process of a process group, with its name. */
export function groupCpuByPid(pgid) {
  /** @type {Map<number, { name: string, seconds: number }>} */
  const byPid = new Map();
  for (const pid of groupMembers(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byPid.set(pid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK }); // utime, stime
    } catch {
      /* exited */
    }
  }
  return byPid;
}

/** user + system CPU seconds used so far by the live processes of a process group: all, and workerd's. */
export function groupCpuSeconds(pgid) {
  let total = 0;
  let workerd = 0;
  for (const { name, seconds } of groupCpuByPid(pgid).values()) {
    total += seconds;
    if (name === "workerd") workerd += seconds;
  }
  return { total, workerd };
}

/**
 * CPU seconds a group used between two groupCpuByPid snapshots. If a process came or went in between
 * (wrangler restarts workerd when its source changes), the numbers are not comparable: `stable` is false.
 */
export function cpuBetween(before, after) {
  let seconds = 0;
  for (const [pid, { seconds: s }] of after) seconds += s - (before.get(pid)?.seconds ?? 0);
  const stable = before.size === after.size && [...before.keys()].every((pid) => after.has(pid));
  return { seconds, stable };
}

/** Busy CPU seconds of the whole machine so far (all CPUs), from /proc/stat: to see other load. */
export function machineBusySeconds() {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks; // idle and iowait left out
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime),
 * which includes their own waited-for children: a finished `sh -c` with every curl and openssl it ran.
 */
export function reapedChildrenCpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Tells wrangler's proxy workerd (it listens on the dev server's port) from the Worker's runtime. */
export function workerdRoles(pids, port) {
  const roles = new Map();
  for (const pid of pids) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      /* gone */
    }
    roles.set(pid, cmdline.includes(`entry=127.0.0.1:${port} `) ? "proxy" : "runtime");
  }
  if ([...roles.values()].filter((r) => r === "proxy").length !== 1)
    throw new Error(`expected one proxy workerd listening on port ${port} among ${[...roles.keys()].join(", ")}`);
  return roles;
}
