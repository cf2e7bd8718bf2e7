import { eq, inArray, lte, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backups, blobs, checks, purgeQueue, resticFiles, resticRepos, settings } from "../db/schema";
import { formatBytes } from "../domain/bytes";
import { blobStillNeeded, releaseMarked } from "./backups";
import { col, type NonNullIn, type RawAs, type RawRow } from "./columns";
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

const [KEY, VALUE, UPDATED_AT] = [col(settings, "key"), col(settings, "value"), col(settings, "updatedAt")];
const q$ = (key: keyof typeof purgeQueue.$inferSelect) => col(purgeQueue, key);

// Raw: a statement without a db handle, for units of work and batches (an upsert in place).
const settingWrite = (key: string, value: string, now: number) =>
  sql`INSERT INTO ${settings} (${KEY}, ${VALUE}, ${UPDATED_AT}) VALUES (${key}, ${value}, ${now})
      ON CONFLICT (${KEY}) DO UPDATE SET ${VALUE} = excluded.${VALUE}, ${UPDATED_AT} = excluded.${UPDATED_AT}`;

/**
 * Kept as a running total so the quota check is one row read, whatever the number of parts. A
 * statement for a unit of work: the total moves only in the batch whose guard stored (or whose
 * queue rows freed) exactly these bytes, and only where `where` holds (default: always).
 */
export function storedBytesChange(delta: SQL | number, where: SQL = sql`true`): SQL {
  return sql`
    INSERT INTO ${settings} (${KEY}, ${VALUE}, ${UPDATED_AT}) SELECT ${STORED_BYTES}, ${delta}, 0 WHERE ${where}
    ON CONFLICT (${KEY}) DO UPDATE SET ${VALUE} = CAST(${VALUE} AS INTEGER) + excluded.${VALUE}`;
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
  const [c, r, f] = [alias(checks, "c"), alias(resticRepos, "r"), alias(resticFiles, "f")];
  // Raw: a UNION ALL of per-check subqueries, one D1 read for both kinds of check.
  return db.all<
    // unique_key: nullable in schema.ts, always filled by its $defaultFn
    NonNullIn<RawRow<typeof checks, "uuid" | "uniqueKey" | "slug" | "name">, "unique_key"> &
      RawAs<typeof resticRepos, "storedBytes", "stored_bytes"> & { backup_bytes: number; backups: number }
  >(sql`
    SELECT ${c.uuid}, ${c.uniqueKey}, ${c.slug}, ${c.name},
      coalesce((SELECT sum(${blobs.size}) FROM ${blobs} WHERE ${blobs.checkId} = ${c.id} AND ${blobs.stored} = 1), 0) AS stored_bytes,
      coalesce((SELECT sum(${backups.size}) FROM ${backups}
        WHERE ${backups.checkId} = ${c.id} AND ${backups.status} IN ('complete', 'suspicious')), 0) AS backup_bytes,
      (SELECT count(*) FROM ${backups} WHERE ${backups.checkId} = ${c.id} AND ${backups.status} IN ('complete', 'suspicious')) AS backups
    FROM ${checks} ${c} WHERE ${c.kind} = 'backup'
    UNION ALL
    SELECT ${c.uuid}, ${c.uniqueKey}, ${c.slug}, ${c.name}, coalesce(${r.storedBytes}, 0), coalesce(${r.storedBytes}, 0),
      (SELECT count(*) FROM ${resticFiles} ${f} WHERE ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots')
    FROM ${checks} ${c} LEFT JOIN ${resticRepos} ${r} ON ${r.checkId} = ${c.id} WHERE ${c.kind} = 'restic'
    ORDER BY stored_bytes DESC`);
}

/** Uploads never completed within 24 h fail and give their parts back (the sweep purges them). */
export async function abandonStaleUploads(db: Db, now: number): Promise<number> {
  const [status, receivedAt] = [col(backups, "status"), col(backups, "receivedAt")];
  // Raw: the 'uploading' literal matches the backups_uploading partial index (a bound one would not).
  const pick = sql`SELECT ${col(backups, "id")} FROM ${backups} WHERE ${status} = 'uploading'
    AND ${receivedAt} < ${now - ABANDON_AFTER_MS} ORDER BY ${receivedAt} LIMIT ${ABANDONED_PER_RUN}`;
  const final = sql`${status} = 'failed', ${col(backups, "completedAt")} = ${now},
    ${col(backups, "failureLog")} = 'abandoned: the upload was not completed within 24 h'`;
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
  const b = alias(blobs, "b");
  const bl = (key: keyof typeof blobs.$inferSelect) => col(blobs, key);
  const pick = sql`SELECT rowid FROM ${blobs} ${b} WHERE ${b.refs} <= 0 AND NOT ${blobStillNeeded(b, now)}
    ORDER BY ${b.createdAt} LIMIT ${PURGED_PER_RUN}`;
  // Raw: INSERT OR IGNORE … SELECT and a DELETE that pick the same rows by rowid in one batch.
  await batch(db, [
    sql`INSERT OR IGNORE INTO ${purgeQueue} (${q$("r2Key")}, ${q$("size")}, ${q$("queuedAt")})
        SELECT ${bl("r2Key")}, CASE WHEN ${bl("stored")} = 1 THEN coalesce(${bl("storedSize")}, ${bl("size")}) ELSE 0 END, ${now}
        FROM ${blobs} WHERE rowid IN (${pick})`,
    sql`DELETE FROM ${blobs} WHERE rowid IN (${pick})`,
  ]);
  const queued = await db
    .select({ r2Key: purgeQueue.r2Key })
    .from(purgeQueue)
    .where(lte(purgeQueue.queuedAt, now))
    .orderBy(purgeQueue.queuedAt)
    .limit(PURGED_PER_RUN);
  if (queued.length === 0) return 0;
  const keys = JSON.stringify(queued.map((q) => q.r2Key));
  try {
    await bucket.delete(queued.map((q) => q.r2Key));
  } catch (error) {
    // A bucket lock rule (docs/RETENTION.md) refuses deletes of young objects. Try these keys
    // again in a day instead of blocking the queue; nothing is lost by keeping bytes longer.
    console.error("R2 delete refused; retrying in a day:", error instanceof Error ? error.message : error);
    await db
      .update(purgeQueue)
      .set({ queuedAt: now + DAY_MS })
      .where(sql`${purgeQueue.r2Key} IN (SELECT value FROM json_each(${keys}))`);
    return 0;
  }
  // The bytes freed are those of the queue rows this batch removes: a sweep running alongside that
  // deleted the same keys finds no rows left and subtracts nothing.
  const inQueue = sql`FROM ${purgeQueue} WHERE ${q$("r2Key")} IN (SELECT value FROM json_each(${keys}))`;
  await unitOfWork(db)
    .write(storedBytesChange(sql`-(SELECT coalesce(sum(${q$("size")}), 0) ${inQueue})`), sql`DELETE ${inQueue}`)
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
      sql`coalesce((SELECT CAST(${VALUE} AS INTEGER) FROM ${settings} WHERE ${KEY} = ${QUOTA_LEVEL}), 0) = ${lastLevel}`,
    )
    .write(
      db
        .update(checks)
        .set({ status, statusReason: "quota", statusDetail: detail, revision: newRevision(), updatedAt: now })
        .where(eq(checks.id, check.id)),
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
