import { calendarFor, type ZoneCalendar } from "./calendar";
import { PERIODS, rulesOf, type Period, type RetentionPolicy } from "./policy";
import type { RetentionCandidate } from "./plan";

/** How far the backups that exist fill one rule of the policy. */
export type HeldRule = {
  rule: "last" | Period;
  /** The policy's count. */
  wanted: number;
  /** How many can exist by now: `wanted`, or fewer while the history is younger than the rule's window. */
  expected: number;
  /** Buckets of the window that hold a good backup (for `last`: good backups, at most `wanted`). */
  have: number;
};

export type RetentionHealth = { ok: boolean; problems: string[]; held: HeldRule[] };

const UNIT: Record<Period, string> = { hourly: "hour", daily: "day", weekly: "week", monthly: "month", yearly: "year" };

/**
 * Whether the backups that exist give the restore points the policy promises. For keep_daily N
 * (and likewise hourly, weekly, monthly, yearly) the window is the last N calendar days in the
 * check's zone, today included once today has a good backup (until then, the N days before today),
 * and never reaching back before the first good backup: a young check is not short of anything.
 * Each day of the window without a good backup is a missing restore point. keep_last is always
 * held: retention never deletes one of the last N, so fewer only means the check is young.
 * A history without any good backup is a problem, unless it is empty.
 */
export function retentionHealth(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  tz: string,
  now: number,
): RetentionHealth {
  const rules = rulesOf(policy);
  const calendar = calendarFor(tz);
  const good = backups.filter((b) => b.status === "complete" && b.receivedAt <= now);
  const problems: string[] = [];
  const held: HeldRule[] = [];
  // A check still waiting for its first backup lacks nothing retention keeps: its own state
  // (new, then down when the backup is overdue) says so. Only a history of bad backups is a problem.
  if (good.length === 0 && backups.some((b) => b.receivedAt <= now)) problems.push("no good backup exists");

  if (rules.last > 0) {
    const have = Math.min(good.length, rules.last);
    held.push({ rule: "last", wanted: rules.last, expected: have, have });
  }
  for (const period of PERIODS) {
    const wanted = rules.perPeriod[period];
    if (wanted === 0) continue;
    const rule = heldPeriod(good, period, wanted, calendar, now);
    held.push(rule);
    if (rule.have < rule.expected) problems.push(shortfall(period, rule));
  }
  return { ok: problems.length === 0, problems, held };
}

function heldPeriod(
  good: readonly RetentionCandidate[],
  period: Period,
  wanted: number,
  calendar: ZoneCalendar,
  now: number,
): HeldRule {
  const filled = new Set<number>();
  let first = Infinity;
  for (const backup of good) {
    const index = calendar.index(period, backup.receivedAt);
    filled.add(index);
    first = Math.min(first, index);
  }
  if (filled.size === 0) return { rule: period, wanted, expected: 0, have: 0 };

  const current = calendar.index(period, now);
  // Today's backup may simply not have run yet: the current bucket counts only once it is filled.
  const end = filled.has(current) ? current : current - 1;
  const start = Math.max(end - wanted + 1, first);
  let have = 0;
  for (const index of filled) if (index >= start && index <= end) have++;
  return { rule: period, wanted, expected: Math.max(0, end - start + 1), have };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** "policy keeps 7 daily restore points; only 3 exist in the last 7 days" */
function shortfall(period: Period, rule: HeldRule): string {
  const unit = UNIT[period];
  const exist = rule.have === 0 ? "none exist" : `only ${rule.have} exist${rule.have === 1 ? "s" : ""}`;
  const window =
    rule.expected < rule.wanted
      ? `the ${count(rule.expected, unit)} since the first good backup`
      : rule.wanted === 1
        ? `the last ${unit}`
        : `the last ${count(rule.wanted, unit)}`;
  return `policy keeps ${count(rule.wanted, `${period} restore point`)}; ${exist} in ${window}`;
}
