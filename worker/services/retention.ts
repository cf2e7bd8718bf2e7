import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { backups, checks, type BackupRow, type CheckRow } from "../db/schema";
import { DAY_MS } from "../domain/retention/policy";
import { hasKeepRule, planRetention, retentionHealth, type RetentionPolicy } from "../domain/retention";
import { AppError } from "../errors";
import { releaseMarked } from "./backups";
import { col } from "./columns";
import { batch, type Db } from "./db";
import { recordEvent } from "./state-changes";
import { unitOfWork } from "./unit-of-work";

// Retention on the server's clock (docs/RETENTION.md): the planner is pure; this file loads a
// check's history, applies the plan as SQL-guarded tombstones, purges what outlived its
// tombstone, and records the health of the history against the policy.

/**
 * Each check's whole history is loaded to plan it (3 D1 calls a check), so a sweep takes two at a
 * time: a Free-plan setup of 50 checks is gone through every 25 minutes.
 */
export const CHECKS_PER_RUN = 2;
/** Backups whose tombstone expired, moved to deleted per sweep (their bytes go via the purge queue). */
export const PURGED_BACKUPS_PER_RUN = 1000;

const CANDIDATES = ["complete", "suspicious", "failed"] as const;
const bk = (key: keyof BackupRow) => col(backups, key);

export function policyOf(check: CheckRow): RetentionPolicy {
  return {
    keepLast: check.keepLast,
    keepHourly: check.keepHourly,
    keepDaily: check.keepDaily,
    keepWeekly: check.keepWeekly,
    keepMonthly: check.keepMonthly,
    keepYearly: check.keepYearly,
    keepWithinS: check.keepWithinS,
    minAgeDays: check.minAgeDays,
  };
}

async function historyOf(db: Db, checkId: number) {
  return db
    .select({
      id: backups.id,
      status: backups.status,
      receivedAt: backups.receivedAt,
      immutableUntil: backups.immutableUntil,
    })
    .from(backups)
    .where(and(eq(backups.checkId, checkId), inArray(backups.status, CANDIDATES)));
}

/** What retention would keep and tombstone now, with every reason, and the history's health. */
export async function retentionPreview(db: Db, check: CheckRow, now: number) {
  const history = await historyOf(db, check.id);
  const policy = policyOf(check);
  const enabled = hasKeepRule(policy);
  const plan = enabled
    ? planRetention(history, policy, check.tz, now)
    : { keep: history.map((b) => ({ id: b.id, reasons: ["retention off"] })), delete: [] };
  const health = retentionHealth(history, policy, check.tz, now);
  const receivedAt = new Map(history.map((b) => [b.id, b.receivedAt]));
  return { enabled, policy, plan, health, receivedAt };
}

/**
 * Applies the plan: each backup to delete is tombstoned (hidden, restorable) by an UPDATE that
 * re-checks the guards itself — still a candidate, past its own immutable_until (the window it was
 * received with, which no later policy shortens), not the newest complete backup — because the
 * plan is a snapshot and D1 has no interactive transactions.
 */
export async function applyRetention(db: Db, check: CheckRow, now: number) {
  const { enabled, plan, health } = await retentionPreview(db, check, now);
  let tombstoned = 0;
  if (enabled && plan.delete.length > 0) {
    const ids = JSON.stringify(plan.delete.map((d) => d.id));
    const [id, status, checkId] = [bk("id"), bk("status"), bk("checkId")];
    // Raw: a json_each list (D1 binds at most 100 parameters) and guards re-checked in the UPDATE itself.
    const result = await db.run(sql`
      UPDATE ${backups} SET ${status} = 'tombstoned', ${bk("tombstonedFrom")} = ${status}, ${bk("tombstonedAt")} = ${now},
        ${bk("tombstoneReason")} = 'retention', ${bk("purgeAfter")} = ${now + check.tombstoneDays * DAY_MS}
      WHERE ${checkId} = ${check.id} AND ${id} IN (SELECT value FROM json_each(${ids}))
        AND ${status} IN ('complete', 'suspicious', 'failed') AND ${bk("immutableUntil")} <= ${now}
        AND ${id} != coalesce((SELECT ${id} FROM ${backups} WHERE ${checkId} = ${check.id} AND ${status} = 'complete'
                            ORDER BY ${bk("receivedAt")} DESC, ${id} DESC LIMIT 1), '')`);
    tombstoned = result.meta.changes ?? 0;
  }
  const problem = enabled && !health.ok ? health.problems.join("; ") : null;
  const unit = unitOfWork(db).write(
    db.update(checks).set({ retentionCheckedAt: now, retentionProblem: problem }).where(eq(checks.id, check.id)),
  );
  // A new shortfall alerts once, through the check's channels, without changing its state.
  if (problem && problem !== check.retentionProblem) {
    recordEvent(unit, check, { reason: "retention", detail: problem }, now);
  }
  await unit.commit();
  return { tombstoned, problem };
}

/** The sweep's share: the backup checks retention looked at longest ago, a few per run. */
export async function retentionSweep(db: Db, now: number): Promise<number> {
  const due = await db
    .select()
    .from(checks)
    .where(eq(checks.kind, "backup"))
    .orderBy(sql`coalesce(${checks.retentionCheckedAt}, 0)`)
    .limit(CHECKS_PER_RUN);
  let tombstoned = 0;
  for (const check of due) tombstoned += (await applyRetention(db, check, now)).tombstoned;
  return tombstoned;
}

/**
 * Tombstones past their time become deleted and give their parts back; the purge queue does R2.
 * A tombstone still inside its immutability window (there should be none) waits for it.
 */
export async function purgeTombstones(db: Db, now: number): Promise<number> {
  // Raw: the 'tombstoned' literal matches the backups_purge_due partial index (a bound one would not).
  const pick = sql`SELECT ${bk("id")} FROM ${backups} WHERE ${bk("status")} = 'tombstoned' AND ${bk("purgeAfter")} <= ${now}
    AND ${bk("immutableUntil")} <= ${now} ORDER BY ${bk("purgeAfter")} LIMIT ${PURGED_BACKUPS_PER_RUN}`;
  const results = await batch(db, releaseMarked(pick, sql`${bk("status")} = 'deleted'`));
  return results[0]!.meta.changes ?? 0;
}

const immutable = (until: number) =>
  new AppError(
    "conflict",
    `the backup is immutable until ${new Date(until).toISOString()} (its window is fixed when it is received and is never shortened)`,
  );

/**
 * The admin API's delete: the same two phases as retention, and the backup's own immutability
 * window — fixed when it was received, so a stolen admin token that lowers min_age_days first
 * cannot erase last week's backups either.
 */
export async function tombstoneBackup(db: Db, check: CheckRow, backup: BackupRow, now: number): Promise<BackupRow> {
  if (!(CANDIDATES as readonly string[]).includes(backup.status) && backup.status !== "uploading") {
    throw new AppError("conflict", `the backup is already ${backup.status}`);
  }
  if (now < backup.immutableUntil) throw immutable(backup.immutableUntil);
  const [row] = await db
    .update(backups)
    .set({
      status: "tombstoned",
      tombstonedFrom: backup.status,
      tombstonedAt: now,
      tombstoneReason: "admin",
      purgeAfter: now + check.tombstoneDays * DAY_MS,
    })
    .where(and(eq(backups.id, backup.id), eq(backups.status, backup.status), lte(backups.immutableUntil, now)))
    .returning();
  if (!row) throw new AppError("conflict", "the backup changed meanwhile; check its status");
  return row;
}

/** Brings a tombstoned backup back as it was, until it is purged. */
export async function undeleteBackup(db: Db, backup: BackupRow): Promise<BackupRow> {
  if (backup.status !== "tombstoned")
    throw new AppError("conflict", `only a tombstoned backup can be undeleted; this one is ${backup.status}`);
  const [row] = await db
    .update(backups)
    .set({
      status: (backup.tombstonedFrom ?? "complete") as BackupRow["status"],
      tombstonedAt: null,
      tombstonedFrom: null,
      tombstoneReason: null,
      purgeAfter: null,
    })
    .where(and(eq(backups.id, backup.id), eq(backups.status, "tombstoned")))
    .returning();
  if (!row) throw new AppError("conflict", "the backup was purged meanwhile");
  return row;
}
