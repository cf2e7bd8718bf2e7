import type { BackupRow } from "../../db/schema";
import { calendarFor, type ZoneCalendar } from "./calendar";
import { formatSpan, PERIODS, rulesOf, type Period, type RetentionPolicy } from "./policy";

/**
 * What the planner reads of a backup: `receivedAt` is server time; client-claimed times are never
 * read. `immutableUntil`, when known, is the window the backup was received with: it is kept until
 * then even if the policy's min_age_days has been lowered since.
 */
export type RetentionCandidate = Pick<BackupRow, "id" | "status" | "receivedAt"> & { immutableUntil?: number };

export type KeptBackup = { id: string; reasons: string[] };
export type DeletedBackup = { id: string; reason: string };
/** Both lists newest first. Backups that are not candidates (uploading, tombstoned, deleted) are in neither. */
export type RetentionPlan = { keep: KeptBackup[]; delete: DeletedBackup[] };

/** Statuses retention decides about; the rest are in flight or already on their way out. */
const CANDIDATE_STATUSES: ReadonlySet<string> = new Set(["complete", "suspicious", "failed"]);

/** Newest first; equal times by id, descending, so the plan never depends on the input's order. */
export function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  return b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Which backups of one check to keep and which to delete, with every reason. Only good (complete)
 * backups take part in the rules, each rule keeps independently and a backup kept by any rule or
 * guard is kept. Suspicious and failed backups never fill a slot: they are kept while they are
 * younger than the immutability window or newer than the oldest kept good backup (they may be the
 * false alarm that holds the only real data), and deleted once every kept good backup is newer.
 * Throws a RangeError for an invalid policy or time zone.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  tz: string,
  now: number,
): RetentionPlan {
  const rules = rulesOf(policy);
  const calendar = calendarFor(tz);
  const candidates = backups.filter((b) => CANDIDATE_STATUSES.has(b.status)).sort(newestFirst);
  const good = candidates.filter((b) => b.status === "complete");
  const reasons = new Map<string, string[]>();
  const keep = (backup: RetentionCandidate, reason: string) => {
    const list = reasons.get(backup.id);
    if (list) list.push(reason);
    else reasons.set(backup.id, [reason]);
  };

  const newest = good[0];
  if (newest) keep(newest, "newest");
  for (const backup of good.slice(0, rules.last)) keep(backup, `last ${rules.last}`);
  if (newest && rules.withinMs > 0) {
    // From the newest good backup, not from now (as restic): when backups stop, history stays.
    const since = newest.receivedAt - rules.withinMs;
    const label = `within ${formatSpan(rules.withinMs / 1000)}`;
    for (const backup of good) if (backup.receivedAt > since) keep(backup, label);
  }
  for (const period of PERIODS) keepNewestPerBucket(good, period, rules.perPeriod[period], calendar, keep);
  for (const backup of candidates) {
    if (now - backup.receivedAt < rules.minAgeMs || now < (backup.immutableUntil ?? 0)) keep(backup, "min age");
  }

  const oldestKeptGood = [...good].reverse().find((b) => reasons.has(b.id));
  for (const backup of candidates) {
    if (backup.status === "complete") continue;
    if (!oldestKeptGood) keep(backup, "no good backup exists");
    else if (newestFirst(backup, oldestKeptGood) < 0) keep(backup, "newer than the oldest kept good backup");
  }

  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const backup of candidates) {
    const why = reasons.get(backup.id);
    if (why) plan.keep.push({ id: backup.id, reasons: why });
    else plan.delete.push({ id: backup.id, reason: deletionReason(backup) });
  }
  return plan;
}

/**
 * Keeps the newest backup of each of the `count` most recent buckets that hold one. Like restic,
 * a rule that runs out of backups before its count is used up also keeps the oldest backup: the
 * longest history wins while the policy is not yet saturated.
 */
function keepNewestPerBucket(
  good: readonly RetentionCandidate[],
  period: Period,
  count: number,
  calendar: ZoneCalendar,
  keep: (backup: RetentionCandidate, reason: string) => void,
) {
  if (count <= 0) return;
  const seen = new Set<number>();
  let lastKept: RetentionCandidate | undefined;
  for (const backup of good) {
    if (seen.size === count) return; // used up: older backups are other rules' business
    const key = calendar.key(period, backup.receivedAt);
    if (seen.has(key)) continue;
    seen.add(key);
    keep(backup, `${period} ${calendar.label(period, backup.receivedAt)}`);
    lastKept = backup;
  }
  const oldest = good.at(-1);
  if (oldest && seen.size < count && oldest !== lastKept) keep(oldest, `oldest (${period} not used up)`);
}

function deletionReason(backup: RetentionCandidate): string {
  return backup.status === "complete" ? "no rule keeps it" : `${backup.status}, older than every kept good backup`;
}
