import { scheduleOf, type ScheduleFields } from "../schedule";
import { scheduleIntervalS } from "../status/rpo";
import { DEFAULT_MIN_AGE_DAYS, formatSpan, KEEP_FIELDS, type KeepRules, type RetentionPolicy } from "./policy";

const DAY_S = 86_400;
const NONE = Object.fromEntries(KEEP_FIELDS.map((field) => [field, null])) as KeepRules;

/**
 * The keep rules a new backup check gets when it names none: the classic 7 daily, 4 weekly and 6
 * monthly for a job that runs at least daily. A sparser schedule would leave calendar buckets empty
 * (a weekday job's weekends, a weekly job's days) and the health report would call that a shortfall
 * and alert, so it gets only the calendar rules its schedule fills, and `keep_last 7` — always held —
 * in place of the daily rule. `intervalS` is the schedule's longest gap (status/rpo.ts).
 */
export function defaultKeepRules(intervalS: number): KeepRules {
  if (intervalS <= DAY_S) return { ...NONE, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 };
  if (intervalS <= 7 * DAY_S) return { ...NONE, keepLast: 7, keepWeekly: 4, keepMonthly: 6 };
  if (intervalS <= 28 * DAY_S) return { ...NONE, keepLast: 7, keepMonthly: 6 };
  return { ...NONE, keepLast: 7 };
}

/** The default keep rules of a check with this schedule, as of `now` (a cron's gaps follow the calendar). */
export function defaultKeepRulesFor(check: ScheduleFields, now: number): KeepRules {
  return defaultKeepRules(scheduleIntervalS(scheduleOf(check), now));
}

/** True when a check's keep rules are the default of its schedule: they follow a schedule change. */
export function isDefaultRetention(check: ScheduleFields & KeepRules & { kind: string }, now: number): boolean {
  return check.kind === "backup" && sameKeepRules(check, defaultKeepRulesFor(check, now));
}

export function sameKeepRules(a: KeepRules, b: KeepRules): boolean {
  return KEEP_FIELDS.every((field) => (a[field] ?? null) === (b[field] ?? null));
}

const join = (parts: string[]) =>
  parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;

/**
 * The policy in one sentence, for the API and the dashboard:
 * "keeps 7 daily, 4 weekly and 6 monthly backups; nothing younger than 7 days is deleted".
 */
export function describeRetention(policy: RetentionPolicy): string {
  const counts: string[] = [];
  if (policy.keepLast) counts.push(`the last ${policy.keepLast}`);
  for (const [field, word] of [
    ["keepHourly", "hourly"],
    ["keepDaily", "daily"],
    ["keepWeekly", "weekly"],
    ["keepMonthly", "monthly"],
    ["keepYearly", "yearly"],
  ] as const) {
    if (policy[field]) counts.push(`${policy[field]} ${word}`);
  }
  const kept = counts.length > 0 ? [`${join(counts)} backups`] : [];
  if (policy.keepWithinS) kept.push(`every backup within ${formatSpan(policy.keepWithinS)} of the newest`);
  if (kept.length === 0) return "off: every backup is kept";
  const minAge = policy.minAgeDays ?? DEFAULT_MIN_AGE_DAYS;
  const guard = minAge > 0 ? `; nothing younger than ${minAge} day${minAge === 1 ? "" : "s"} is deleted` : "";
  return `keeps ${kept.join(" and ")}${guard}`;
}
