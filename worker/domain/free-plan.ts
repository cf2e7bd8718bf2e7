import type { CheckKind } from "../db/schema";
import { runsPerDay, scheduleOf, type ScheduleFields } from "./schedule";

/**
 * Cloudflare's Workers Free plan, per day, and what a day of this installation's traffic is
 * projected to cost against it (docs/FREE_PLAN.md). Pure: the clock and every count are passed in.
 */

export const RESOURCES = ["rows_written", "rows_read", "requests"] as const;
export type Resource = (typeof RESOURCES)[number];
export type Cost = Record<Resource, number>;

/** D1: 100,000 rows written and 5,000,000 read a day; Workers: 100,000 requests a day. */
export const FREE_PLAN_LIMITS: Cost = { rows_written: 100_000, rows_read: 5_000_000, requests: 100_000 };
/** The sweep's cron (`* * * * *`) fires 1,440 times a day. */
export const SWEEP_RUNS_PER_DAY = 1_440;

/**
 * What one request of each type costs, as counted by `node bench/d1-rows.mjs` (D1's own
 * meta.rows_written and rows_read through a counting wrapper of env.DB; docs/BENCHMARKS.md, "D1 rows
 * per request"): measured, except the dashboard view and the sweep's cost per due check, which are
 * estimates (marked). A backup's register was measured with 3 parts (its rows grow with the parts).
 * A scheduled sweep run is counted as a request too (the safe side of the daily request limit).
 */
export const REQUEST_COSTS = {
  unsignedPing: { rows_written: 3, rows_read: 7, requests: 1 },
  signedPing: { rows_written: 5, rows_read: 8, requests: 1 },
  backupRegister: { rows_written: 20, rows_read: 130, requests: 1 },
  backupPart: { rows_written: 3, rows_read: 8, requests: 1 },
  backupComplete: { rows_written: 5.3, rows_read: 42.6, requests: 1 },
  statusPageView: { rows_written: 0, rows_read: 12, requests: 1 },
  dashboardView: { rows_written: 0, rows_read: 50, requests: 1 }, // estimate
  sweepIdleRun: { rows_written: 5, rows_read: 190, requests: 1 },
  sweepPerDueCheck: { rows_written: 4, rows_read: 3, requests: 0 }, // estimate
} as const satisfies Record<string, Cost>;

export type BudgetLevel = "ok" | "warn" | "over";
export const WARN_RATIO = 0.8;

/** What the last 24 h and the schedule say about one check (services/free-plan.ts reads it). */
export type CheckTraffic = {
  /** The check's unique_key: what the dashboard links with. */
  key: string;
  name: string;
  kind: CheckKind;
  paused: boolean;
  schedule: ScheduleFields;
  /** Pings of the last 24 h still kept, those among them that were signed, and the oldest one's time. */
  pings: number;
  signedPings: number;
  oldestPingAt: number | null;
  /** Pings that were a backup's completion or failure (a backup's cost already includes them). */
  backupEchoes: number;
  /** Backups registered in the last 24 h and their parts. */
  backups: number;
  parts: number;
};

export type PlanInput = {
  checks: CheckTraffic[];
  /** Checks the sweep marked down in the last 24 h: each is one due check in a run. */
  dueChecks: number;
  /** The ping log keeps this many per check: a full log covers less than 24 h of a busy check. */
  pingsKept: number;
};

export type CheckCost = { key: string; name: string; cost: Cost; perDay: number; signed: boolean };
export type Usage = { used: number; limit: number; ratio: number };
export type Projection = {
  resources: Record<Resource, Usage>;
  /** The most expensive checks first, by their largest share of any limit. */
  checks: CheckCost[];
  sweep: Cost;
  level: BudgetLevel;
};

const DAY_MS = 86_400_000;

const plus = (a: Cost, b: Cost): Cost => ({
  rows_written: a.rows_written + b.rows_written,
  rows_read: a.rows_read + b.rows_read,
  requests: a.requests + b.requests,
});
const times = (a: Cost, n: number): Cost => ({
  rows_written: a.rows_written * n,
  rows_read: a.rows_read * n,
  requests: a.requests * n,
});

/**
 * Pings a day as observed: the count of the last 24 h, or, when the kept log is full and its oldest
 * ping is younger than a day (a minutely check keeps 100 minutes), that count scaled to a day.
 */
export function observedPerDay(count: number, oldestAt: number | null, pingsKept: number, now: number): number {
  if (count < pingsKept || oldestAt === null) return count;
  return (count * DAY_MS) / Math.max(60_000, now - oldestAt);
}

/** A check whose recent pings are mostly signed is costed as signed; agents' backup checks are by default. */
function isSigned(check: CheckTraffic): boolean {
  if (check.pings === 0) return check.kind !== "heartbeat";
  return check.signedPings * 2 > check.pings;
}

function checkCost(check: CheckTraffic, input: PlanInput, now: number): CheckCost {
  const signed = isSigned(check);
  const ping = signed ? REQUEST_COSTS.signedPing : REQUEST_COSTS.unsignedPing;
  // A paused check is expected nothing; whatever still pings it is counted as observed.
  const expected = check.paused ? 0 : runsPerDay(scheduleOf(check.schedule), now);
  const keptFraction = check.pings > 0 ? (check.pings - check.backupEchoes) / check.pings : 1;
  const observedPings = observedPerDay(check.pings, check.oldestPingAt, input.pingsKept, now);
  const base = { key: check.key, name: check.name, signed };
  if (check.kind !== "backup") {
    const perDay = Math.max(check.kind === "restic" ? 0 : expected, observedPings);
    return { ...base, perDay, cost: times(ping, perDay) };
  }
  // Backup checks: the schedule is the backups'; other pings (start, `lifeboat run`) come on top.
  const perDay = Math.max(expected, check.backups);
  const partsPerBackup = check.backups > 0 ? check.parts / check.backups : 1;
  const backup = plus(
    plus(REQUEST_COSTS.backupRegister, REQUEST_COSTS.backupComplete),
    times(REQUEST_COSTS.backupPart, partsPerBackup),
  );
  return { ...base, perDay, cost: plus(times(backup, perDay), times(ping, observedPings * keptFraction)) };
}

const largestShare = (cost: Cost) => Math.max(...RESOURCES.map((r) => cost[r] / FREE_PLAN_LIMITS[r]));

export function levelOf(ratio: number): BudgetLevel {
  return ratio >= 1 ? "over" : ratio >= WARN_RATIO ? "warn" : "ok";
}

/** A day of this installation against the Free plan's limits, at `now`. */
export function projectDay(input: PlanInput, now: number): Projection {
  const checks = input.checks
    .map((check) => checkCost(check, input, now))
    .sort((a, b) => largestShare(b.cost) - largestShare(a.cost) || a.name.localeCompare(b.name));
  const sweep = plus(
    times(REQUEST_COSTS.sweepIdleRun, SWEEP_RUNS_PER_DAY),
    times(REQUEST_COSTS.sweepPerDueCheck, input.dueChecks),
  );
  const total = checks.reduce((sum, c) => plus(sum, c.cost), sweep);
  const resources = Object.fromEntries(
    RESOURCES.map((r) => {
      const used = Math.ceil(total[r]);
      return [r, { used, limit: FREE_PLAN_LIMITS[r], ratio: used / FREE_PLAN_LIMITS[r] }];
    }),
  ) as Record<Resource, Usage>;
  const level = levelOf(Math.max(...RESOURCES.map((r) => resources[r].ratio)));
  return { resources, checks, sweep, level };
}
