import { Cron } from "croner";
import { scheduleOf, type Schedule, type ScheduleFields } from "../schedule";

/**
 * Recovery point objective arithmetic. Pure: every function takes the clock as `now`.
 * A restore point is a good backup: its data is as of `takenAt` (when the upload began, server
 * time) and it could be restored from `availableAt` (when it completed).
 */
export type RestorePoint = { takenAt: number; availableAt: number };
export type Rag = "green" | "amber" | "red";

/** Fires looked at to find a cron schedule's longest gap: at least 3, over at least 8 days. */
const CRON_SPAN_MS = 8 * 86_400_000;
const CRON_MAX_FIRES = 100;

/**
 * The longest time between two expected runs from `now` on, in seconds. For a cron schedule it
 * is the longest gap between consecutive fires (a weekday job's Friday→Monday), so a default RPO
 * does not turn red every weekend.
 */
export function scheduleIntervalS(schedule: Schedule, now: number): number {
  if (schedule.kind === "period") return schedule.periodS;
  const cron = new Cron(schedule.cron, { timezone: schedule.tz, mode: "5-part" });
  let previous = cron.nextRun(new Date(now));
  if (!previous) return 0;
  const first = previous.getTime();
  let longest = 0;
  for (let fires = 1; fires < CRON_MAX_FIRES; fires++) {
    const next = cron.nextRun(previous);
    if (!next) break;
    longest = Math.max(longest, next.getTime() - previous.getTime());
    previous = next;
    if (fires >= 2 && previous.getTime() - first >= CRON_SPAN_MS) break;
  }
  return Math.round(longest / 1000);
}

const memo = new Map<string, number>();

/** The RPO in seconds: the check's own, or its schedule's longest interval plus the grace time. */
export function effectiveRpoS(check: ScheduleFields & { rpoS: number | null }, now: number): number {
  if (check.rpoS !== null) return check.rpoS;
  const schedule = scheduleOf(check);
  if (schedule.kind === "period") return schedule.periodS + schedule.graceS;
  // Cron gaps cost a few dozen croner steps; the answer only changes with the calendar, so one
  // per expression, zone and hour is plenty (the page renders 50 checks within the Free plan's CPU).
  const key = `${schedule.cron}|${schedule.tz}|${Math.floor(now / 3_600_000)}`;
  let interval = memo.get(key);
  if (interval === undefined) {
    if (memo.size > 500) memo.clear();
    interval = scheduleIntervalS(schedule, now);
    memo.set(key, interval);
  }
  return interval + schedule.graceS;
}

/** Green within the RPO, amber up to twice it, red beyond. */
export function rpoRag(ageMs: number, rpoS: number): Rag {
  if (ageMs <= rpoS * 1000) return "green";
  return ageMs <= 2 * rpoS * 1000 ? "amber" : "red";
}

/** Restore points sorted by availability, with the newest data time available so far: O(log n) lookups. */
export type RestoreHistory = { availableAt: number[]; newestTaken: number[]; baseline: number };

export function restoreHistory(points: readonly RestorePoint[], baseline: number): RestoreHistory {
  const sorted = [...points].sort((a, b) => a.availableAt - b.availableAt);
  const newestTaken: number[] = [];
  let newest = baseline;
  for (const point of sorted) newestTaken.push((newest = Math.max(newest, point.takenAt)));
  return { availableAt: sorted.map((p) => p.availableAt), newestTaken, baseline };
}

/** How many points became available strictly before `at`. */
function countBefore(history: RestoreHistory, at: number): number {
  let low = 0;
  let high = history.availableAt.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (history.availableAt[mid]! < at) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The newest restore point's data time at `at` (points available strictly before it), or the baseline. */
export function newestTakenBefore(history: RestoreHistory, at: number): number {
  const n = countBefore(history, at);
  return n === 0 ? history.baseline : history.newestTaken[n - 1]!;
}

/**
 * The oldest the newest restore point got during [from, to), in ms. The age grows with the clock
 * and drops when a newer point becomes available, so its maximum is reached just before `to` or
 * just before some point becomes available. The baseline (the check's creation) stands in for a
 * restore point before the first backup: from then on one is expected within the RPO.
 */
export function worstAgeMs(history: RestoreHistory, from: number, to: number): number {
  let worst = to - newestTakenBefore(history, to);
  for (let i = countBefore(history, from + 1); i < history.availableAt.length; i++) {
    const at = history.availableAt[i]!;
    if (at > to) break;
    worst = Math.max(worst, at - newestTakenBefore(history, at));
  }
  return Math.max(0, worst);
}
