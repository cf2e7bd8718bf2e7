import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import { backups, type BackupRow, type BackupSignature, type CheckRow } from "../db/schema";
import { anomaliesOf } from "../domain/anomaly";
import { formatBytes } from "../domain/bytes";
import type { Manifest } from "../domain/manifest";
import { toHex } from "../domain/signing";
import { AppError, notFound } from "../errors";
import { batch, type Db } from "./db";
import { recordPing, type PingMeta } from "./pings";

export type NewBackup = Manifest & {
  sha256: string;
  compression: string;
  encryption: string;
  source: BackupRow["source"];
  host: string;
  meta: Record<string, unknown>;
  keyId: string | null;
  signature?: BackupSignature;
};

/** Backups in these states still use their parts; the others gave their references back. */
export const HOLDS_PARTS = ["uploading", "complete", "suspicious", "tombstoned"] as const;
const ids = (values: unknown[]) => JSON.stringify(values);

/**
 * Registers a backup and its parts. Parts the check already has stored (same sha256) are shared,
 * not uploaded again; the answer lists the parts still to send.
 */
export async function createBackup(db: Db, check: CheckRow, input: NewBackup, now: number) {
  const id = `bk_${toHex(crypto.getRandomValues(new Uint8Array(10)))}`;
  const sizes = new Map(input.parts.map((p) => [p.sha256, p.size]));
  const known = await db.all<{ sha256: string; size: number; stored: number }>(sql`
    SELECT sha256, size, stored FROM blobs
    WHERE check_id = ${check.id} AND sha256 IN (SELECT value FROM json_each(${ids([...sizes.keys()])}))`);
  for (const blob of known) {
    if (blob.size !== sizes.get(blob.sha256)) {
      throw new AppError(
        "validation_failed",
        `invalid json: parts: sha256 ${blob.sha256} is stored with ${blob.size} bytes, not ${sizes.get(blob.sha256)}`,
      );
    }
  }
  const stored = new Set(known.filter((b) => b.stored).map((b) => b.sha256));
  const missing = input.parts.filter((p) => !stored.has(p.sha256)).map((p) => p.index);
  const newBytes = [...sizes].filter(([sha]) => !stored.has(sha)).reduce((sum, [, size]) => sum + size, 0);
  // Each blob incarnation gets its own key: a purge of an old one can never hit a new upload.
  const blobRows = [...sizes].map(([sha256, size]) => ({
    sha256,
    size,
    key: `blobs/${check.uuid}/${sha256}/${crypto.randomUUID()}`,
  }));

  await batch(db, [
    db.insert(backups).values({
      id,
      checkId: check.id,
      size: input.size,
      sha256: input.sha256,
      partSize: input.partSize,
      partCount: input.parts.length,
      compression: input.compression,
      encryption: input.encryption,
      source: input.source,
      host: input.host,
      meta: input.meta,
      keyId: input.keyId,
      signature: input.signature ?? null,
      receivedAt: now,
      newBytes,
    }),
    sql`INSERT INTO backup_parts (backup_id, idx, size, sha256)
        SELECT ${id}, json_extract(value, '$.index'), json_extract(value, '$.size'), json_extract(value, '$.sha256')
        FROM json_each(${ids(input.parts)})`,
    sql`INSERT INTO blobs (check_id, sha256, size, r2_key, refs, created_at)
        SELECT ${check.id}, json_extract(value, '$.sha256'), json_extract(value, '$.size'), json_extract(value, '$.key'), 1, ${now}
        FROM json_each(${ids(blobRows)}) WHERE true
        ON CONFLICT (check_id, sha256) DO UPDATE SET refs = refs + 1`,
  ]);
  return { id, missing };
}

/** A backup by id; deleted ones are gone for everyone, tombstoned ones exist only for the admin API. */
export async function findBackup(db: Db, id: string, opts: { tombstoned?: boolean } = {}): Promise<BackupRow> {
  const row = await db.query.backups.findFirst({ where: eq(backups.id, id) });
  if (!row || row.status === "deleted" || (row.status === "tombstoned" && !opts.tombstoned)) throw notFound("backup");
  return row;
}

/** Indexes of the parts whose bytes are not stored yet, in order: what a resumed upload sends. */
export async function missingParts(db: Db, backup: BackupRow): Promise<number[]> {
  const rows = await db.all<{ idx: number }>(sql`
    SELECT p.idx FROM backup_parts p
      LEFT JOIN blobs b ON b.check_id = ${backup.checkId} AND b.sha256 = p.sha256
    WHERE p.backup_id = ${backup.id} AND coalesce(b.stored, 0) = 0
    ORDER BY p.idx`);
  return rows.map((r) => r.idx);
}

/**
 * Closes an upload: every part present (the sizes were checked against the manifest when it was
 * registered and by R2 when each part was stored), then the anomaly checks against the check's
 * recent good backups. A suspicious backup is kept, but its check goes down with the reason.
 */
export async function completeBackup(db: Db, check: CheckRow, backup: BackupRow, ping: PingMeta, now: number) {
  assertUploading(backup, "complete");
  const missing = await missingParts(db, backup);
  if (missing.length > 0) {
    throw new AppError("conflict", `cannot complete: ${missing.length} part(s) missing: ${summarize(missing)}`, {
      missing,
    });
  }
  const previous = await db
    .select({ size: backups.size, sha256: backups.sha256 })
    .from(backups)
    .where(and(eq(backups.checkId, check.id), eq(backups.status, "complete")))
    .orderBy(desc(backups.receivedAt), desc(backups.id))
    .limit(7);
  const anomalies = anomaliesOf(backup, previous, {
    minSizeFraction: check.minSizeFraction,
    expectChange: check.expectChange,
  });
  const anomaly = anomalies.length > 0 ? anomalies.join("; ") : null;
  const [updated] = await db
    .update(backups)
    .set({ status: anomaly ? "suspicious" : "complete", completedAt: now, anomaly })
    .where(and(eq(backups.id, backup.id), eq(backups.status, "uploading")))
    .returning();
  if (!updated) throw new AppError("conflict", "the backup changed while completing; check its status");

  const summary = `backup ${backup.id} complete: ${formatBytes(backup.size)} in ${backup.partCount} part(s)`;
  const result = anomaly
    ? await recordPing(
        db,
        check,
        { kind: "fail", failure: { reason: "anomaly", detail: `suspicious backup: ${anomaly}` } },
        { ...ping, body: `${summary}\nsuspicious: ${anomaly}` },
        now,
      )
    : await recordPing(db, check, { kind: "success" }, { ...ping, body: summary }, now);
  return { backup: updated, flip: result.flip };
}

/** The agent reports a failed run: the backup gives its parts back and the check fails with the log. */
export async function failBackup(db: Db, check: CheckRow, backup: BackupRow, log: string, ping: PingMeta, now: number) {
  assertUploading(backup, "fail");
  const [updated] = await batch(db, [
    db
      .update(backups)
      .set({ status: "failed", failureLog: log, completedAt: now })
      .where(and(eq(backups.id, backup.id), eq(backups.status, "uploading"))),
    releaseParts(backup),
  ]);
  if (!updated?.meta.changes) throw new AppError("conflict", "the backup changed meanwhile; check its status");
  const firstLine =
    log
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.slice(0, 200) ?? "no log";
  const failure = { reason: "fail" as const, detail: `backup failed: ${firstLine}` };
  return recordPing(db, check, { kind: "fail", failure }, { ...ping, body: log }, now);
}

export async function listBackups(
  db: Db,
  filter: { checkId?: number; status?: BackupRow["status"]; before?: number; limit: number; tombstoned?: boolean },
) {
  // Tombstoned backups are hidden from agents; the admin API lists them (to undelete).
  const where: SQL[] = [sql`${backups.status} != 'deleted'`];
  if (!filter.tombstoned) where.push(sql`${backups.status} != 'tombstoned'`);
  if (filter.checkId !== undefined) where.push(eq(backups.checkId, filter.checkId));
  if (filter.status) where.push(eq(backups.status, filter.status));
  if (filter.before !== undefined) where.push(lt(backups.receivedAt, filter.before));
  return db
    .select()
    .from(backups)
    .where(and(...where))
    .orderBy(desc(backups.receivedAt), desc(backups.id))
    .limit(filter.limit);
}

/**
 * Set-based release for many backups at once, in three statements whatever their number (D1
 * limits the queries of an invocation, and may count each statement of a batch): mark the
 * chosen backups 'leaving', take one reference per leaving backup off each part they use, and
 * give them their final status. In one batch, so 'leaving' is never seen outside it.
 */
export function releaseMarked(pick: SQL, finalSet: SQL) {
  return [
    sql`UPDATE backups SET status = 'leaving' WHERE id IN (${pick})`,
    sql`UPDATE blobs SET refs = refs - (
          SELECT count(DISTINCT p.backup_id) FROM backup_parts p JOIN backups b ON b.id = p.backup_id
          WHERE b.status = 'leaving' AND b.check_id = blobs.check_id AND p.sha256 = blobs.sha256)
        WHERE (check_id, sha256) IN (
          SELECT b.check_id, p.sha256 FROM backups b JOIN backup_parts p ON p.backup_id = b.id WHERE b.status = 'leaving')`,
    sql`UPDATE backups SET ${finalSet} WHERE status = 'leaving'`,
  ];
}

/** Gives back this backup's reference on each distinct part; the sweep purges blobs left with none. */
export function releaseParts(backup: Pick<BackupRow, "id" | "checkId">) {
  return sql`UPDATE blobs SET refs = refs - 1
    WHERE check_id = ${backup.checkId} AND sha256 IN (SELECT DISTINCT sha256 FROM backup_parts WHERE backup_id = ${backup.id})`;
}

function assertUploading(backup: BackupRow, action: string) {
  if (backup.status !== "uploading") {
    throw new AppError("conflict", `cannot ${action}: the backup is already ${backup.status}`);
  }
}

function summarize(indexes: number[]): string {
  return indexes.length <= 10
    ? indexes.join(", ")
    : `${indexes.slice(0, 10).join(", ")} and ${indexes.length - 10} more`;
}
