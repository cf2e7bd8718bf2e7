import { eq, inArray, sql, type SQL } from "drizzle-orm";
import { checks, settings } from "../db/schema";
import { formatBytes } from "../domain/bytes";
import { blobStillNeeded, releaseMarked } from "./backups";
import { batch, newRevision, type Db } from "./db";
import { recordEvent } from "./state-changes";
import { unitOfWork } from "./unit-of-work";

// Storage bookkeeping: the running total of stored bytes, the quota and its alerts, and the
// cleanup of abandoned uploads and unreferenced parts. Every step is bounded per sweep.

const STORED_BYTES = "stored_bytes";
const QUOTA_BYTES = "storage_quota_bytes";
const QUOTA_LEVEL = "storage_quota_level";
export const QUOTA_CHECK_SLUG = "lifeboat-storage";

const DAY_MS = 24 * 3_600_000;
const ABANDON_AFTER_MS = DAY_MS;
const ABANDONED_PER_RUN = 200;
const PURGED_PER_RUN = 1000; // R2 deletes at most 1,000 keys per call

/** Several numeric settings in one D1 call (a sweep's queries count against the subrequest budget). */
async function readNumbers(db: Db, keys: string[]): Promise<Map<string, number>> {
  const rows = await db.select().from(settings).where(inArray(settings.key, keys));
  return new Map(rows.map((r) => [r.key, Number(r.value)]));
}

const settingWrite = (key: string, value: string, now: number) =>
  sql`INSERT INTO settings (key, value, updated_at) VALUES (${key}, ${value}, ${now})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

/**
 * Kept as a running total so the quota check is one row read, whatever the number of parts. A
 * statement for a unit of work: the total moves only in the batch whose guard stored (or whose
 * queue rows freed) exactly these bytes, and only where `where` holds (default: always).
 */
export function storedBytesChange(delta: SQL | number, where: SQL = sql`true`): SQL {
  return sql`
    INSERT INTO settings (key, value, updated_at) SELECT ${STORED_BYTES}, ${delta}, 0 WHERE ${where}
    ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value`;
}

export async function storageTotals(db: Db) {
  const values = await readNumbers(db, [STORED_BYTES, QUOTA_BYTES, QUOTA_LEVEL]);
  return {
    storedBytes: values.get(STORED_BYTES) ?? 0,
    quotaBytes: values.get(QUOTA_BYTES) ?? null,
    quotaLevel: values.get(QUOTA_LEVEL) ?? 0,
  };
}

export async function setQuota(db: Db, bytes: number | null, now: number): Promise<void> {
  if (bytes === null) await db.delete(settings).where(eq(settings.key, QUOTA_BYTES));
  else await db.run(settingWrite(QUOTA_BYTES, String(bytes), now));
}

/**
 * Per check: bytes stored (each part once) and bytes of the backups (what a restore downloads). A
 * restic repository stores what restic sees (its running total); its backups are its snapshots.
 */
export async function usageByCheck(db: Db) {
  return db.all<{
    uuid: string;
    unique_key: string;
    slug: string;
    name: string;
    stored_bytes: number;
    backup_bytes: number;
    backups: number;
  }>(sql`
    SELECT c.uuid, c.unique_key, c.slug, c.name,
      coalesce((SELECT sum(size) FROM blobs WHERE check_id = c.id AND stored = 1), 0) AS stored_bytes,
      coalesce((SELECT sum(size) FROM backups WHERE check_id = c.id AND status IN ('complete', 'suspicious')), 0) AS backup_bytes,
      (SELECT count(*) FROM backups WHERE check_id = c.id AND status IN ('complete', 'suspicious')) AS backups
    FROM checks c WHERE c.kind = 'backup'
    UNION ALL
    SELECT c.uuid, c.unique_key, c.slug, c.name, coalesce(r.stored_bytes, 0), coalesce(r.stored_bytes, 0),
      (SELECT count(*) FROM restic_files f WHERE f.check_id = c.id AND f.type = 'snapshots')
    FROM checks c LEFT JOIN restic_repos r ON r.check_id = c.id WHERE c.kind = 'restic'
    ORDER BY stored_bytes DESC`);
}

/** Uploads never completed within 24 h fail and give their parts back (the sweep purges them). */
export async function abandonStaleUploads(db: Db, now: number): Promise<number> {
  const pick = sql`SELECT id FROM backups WHERE status = 'uploading' AND received_at < ${now - ABANDON_AFTER_MS}
    ORDER BY received_at LIMIT ${ABANDONED_PER_RUN}`;
  const final = sql`status = 'failed', completed_at = ${now}, failure_log = 'abandoned: the upload was not completed within 24 h'`;
  const results = await batch(db, releaseMarked(pick, final));
  return results[0]!.meta.changes ?? 0;
}

/**
 * Parts no backup uses any more leave D1 and enter the purge queue in one transaction (the two
 * statements pick the same rows), then their R2 objects are deleted in one call of ≤ 1,000 keys.
 * A blob is picked only when its counter says no backup uses it AND a recount from backup_parts
 * agrees (no backup holds it, none inside its immutability window uses it): the counter alone is
 * never trusted with a delete. A crash between the steps leaves keys in the queue for the next
 * run, never a dangling reference.
 */
export async function purgeUnreferenced(db: Db, bucket: R2Bucket, now: number): Promise<number> {
  const pick = sql`SELECT rowid FROM blobs b WHERE refs <= 0 AND NOT ${blobStillNeeded(sql`b`, now)}
    ORDER BY created_at LIMIT ${PURGED_PER_RUN}`;
  await batch(db, [
    sql`INSERT OR IGNORE INTO purge_queue (r2_key, size, queued_at)
        SELECT r2_key, CASE WHEN stored = 1 THEN coalesce(stored_size, size) ELSE 0 END, ${now} FROM blobs
        WHERE rowid IN (${pick})`,
    sql`DELETE FROM blobs WHERE rowid IN (${pick})`,
  ]);
  const queued = await db.all<{ r2_key: string }>(
    sql`SELECT r2_key FROM purge_queue WHERE queued_at <= ${now} ORDER BY queued_at LIMIT ${PURGED_PER_RUN}`,
  );
  if (queued.length === 0) return 0;
  const keys = JSON.stringify(queued.map((q) => q.r2_key));
  try {
    await bucket.delete(queued.map((q) => q.r2_key));
  } catch (error) {
    // A bucket lock rule (docs/RETENTION.md) refuses deletes of young objects. Try these keys
    // again in a day instead of blocking the queue; nothing is lost by keeping bytes longer.
    console.error("R2 delete refused; retrying in a day:", error instanceof Error ? error.message : error);
    await db.run(sql`UPDATE purge_queue SET queued_at = ${now + DAY_MS}
      WHERE r2_key IN (SELECT value FROM json_each(${keys}))`);
    return 0;
  }
  // The bytes freed are those of the queue rows this batch removes: a sweep running alongside that
  // deleted the same keys finds no rows left and subtracts nothing.
  const inQueue = sql`FROM purge_queue WHERE r2_key IN (SELECT value FROM json_each(${keys}))`;
  await unitOfWork(db)
    .write(storedBytesChange(sql`-(SELECT coalesce(sum(size), 0) ${inQueue})`), sql`DELETE ${inQueue}`)
    .commit();
  return queued.length;
}

/**
 * Quota alerts through the ordinary alerting path: a built-in check, `lifeboat-storage`, goes
 * down at 80 % and alerts again at 95 % (an extra flip), and comes back up below 80 %.
 */
export async function checkQuota(db: Db, now: number): Promise<void> {
  const { storedBytes, quotaBytes, quotaLevel: lastLevel } = await storageTotals(db);
  const level = quotaBytes ? (storedBytes >= 0.95 * quotaBytes ? 95 : storedBytes >= 0.8 * quotaBytes ? 80 : 0) : 0;
  if (level === lastLevel) return;

  const check = await quotaCheck(db, now);
  const percent = quotaBytes ? Math.round((storedBytes / quotaBytes) * 100) : 0;
  const detail =
    level > 0
      ? `storage at ${percent} % of the quota: ${formatBytes(storedBytes)} of ${formatBytes(quotaBytes!)}`
      : `storage back under 80 % of the quota (${formatBytes(storedBytes)})`;
  const status = level > 0 ? "down" : "up";
  // One unit, guarded by the level this run read: two sweeps that overlap alert once.
  const unit = unitOfWork(db)
    .guard(
      "quota level as read",
      sql`coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = ${QUOTA_LEVEL}), 0) = ${lastLevel}`,
    )
    .write(
      sql`UPDATE checks SET status = ${status}, status_reason = 'quota', status_detail = ${detail},
            revision = ${newRevision()}, updated_at = ${now} WHERE id = ${check.id}`,
    );
  // Already down at 80 %: the trigger records nothing for down → down with the same reason, so
  // the 95 % alert is an event of its own.
  if (check.status === "down" && status === "down") recordEvent(unit, check, { reason: "quota", detail }, now);
  await unit.write(settingWrite(QUOTA_LEVEL, String(level), now)).commit();
}

async function quotaCheck(db: Db, now: number) {
  const existing = await db.query.checks.findFirst({ where: eq(checks.slug, QUOTA_CHECK_SLUG) });
  if (existing) return existing;
  const [created] = await db
    .insert(checks)
    .values({
      uuid: crypto.randomUUID(),
      slug: QUOTA_CHECK_SLUG,
      name: "Backup storage quota",
      desc: "Built in: goes down when stored backups reach 80 % of the quota, alerts again at 95 %.",
      graceS: 3600,
      periodS: 86_400,
      tags: ["lifeboat"],
      status: "up",
      revision: newRevision(),
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  return created ?? (await db.query.checks.findFirst({ where: eq(checks.slug, QUOTA_CHECK_SLUG) }))!;
}
