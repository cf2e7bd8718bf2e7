import { and, desc, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backupParts, backups, blobs, checks, type BackupRow, type CheckRow } from "../db/schema";
import { anomaliesOf, MEDIAN_OF } from "../domain/anomaly";
import { formatBytes } from "../domain/bytes";
import type { Ping } from "../domain/state";
import { AppError } from "../errors";
import { releaseParts } from "./backups";
import type { RawRow } from "./columns";
import type { Db } from "./db";
import { addPing, type PingMeta, type PingResult } from "./pings";
import { plainUnits, type BeginUnit, type UnitOfWork } from "./unit-of-work";

// The two ways an upload ends — complete or failed — each as one unit of work: the backup's status
// change (guarded by its still being `uploading`), what depends on it (references given back), and
// the check's ping (guarded by the check's revision), applied together or not at all. A raced or
// refused request writes nothing: no status, no ping, no counter, no nonce.

const WRITE_ATTEMPTS = 8;

const p = alias(backupParts, "p");
const b = alias(blobs, "b");

/** A row of partProblems: the blob's columns are null where the part has none (LEFT JOIN). */
type PartProblem = RawRow<typeof backupParts, "idx" | "size"> & {
  [K in keyof RawRow<typeof blobs, "stored" | "storedSize">]: RawRow<typeof blobs, "stored" | "storedSize">[K] | null;
};

/**
 * Closes an upload: every part stored, with the length its manifest declares (recorded when R2
 * stored it), and those lengths adding up to the backup's size; then the anomaly checks against
 * the check's recent good backups. A good backup is the success that brings its check up; a
 * suspicious one is kept, but its check goes down with the reason.
 */
export async function completeBackup(
  db: Db,
  check: CheckRow,
  backup: BackupRow,
  meta: PingMeta,
  now: number,
  begin: BeginUnit = plainUnits(db),
) {
  assertUploading(backup, "complete");
  await assertEveryByte(db, backup);
  const previous = await db
    .select({ size: backups.size, sha256: backups.sha256 })
    .from(backups)
    .where(and(eq(backups.checkId, check.id), eq(backups.status, "complete")))
    .orderBy(desc(backups.receivedAt), desc(backups.id))
    .limit(MEDIAN_OF);
  const anomalies = anomaliesOf(backup, previous, {
    minSizeFraction: check.minSizeFraction,
    expectChange: check.expectChange,
  });
  const anomaly = anomalies.length > 0 ? anomalies.join("; ") : null;
  const status = anomaly ? "suspicious" : "complete";
  const summary = `backup ${backup.id} complete: ${formatBytes(backup.size)} in ${backup.partCount} part(s)`;
  const ping: Ping = anomaly
    ? { kind: "fail", failure: { reason: "anomaly", detail: `suspicious backup: ${anomaly}` } }
    : { kind: "success", goodBackup: true };
  const body = anomaly ? `${summary}\nsuspicious: ${anomaly}` : summary;

  const result = await finish(db, check, backup, "complete", begin, (unit, current) => {
    unit.guard("every part stored with its length", sql`NOT EXISTS (${partProblems(backup)})`).write(
      db
        .update(backups)
        .set({ status, completedAt: now, anomaly })
        .where(and(eq(backups.id, backup.id), eq(backups.status, "uploading"))),
    );
    return addPing(unit, current, ping, { ...meta, body, backupId: backup.id }, now);
  });
  return { backup: { ...backup, status, completedAt: now, anomaly } as BackupRow, flip: result.flip };
}

/** The agent reports a failed run: the backup gives its parts back and the check fails with the log. */
export async function failBackup(
  db: Db,
  check: CheckRow,
  backup: BackupRow,
  log: string,
  meta: PingMeta,
  now: number,
  begin: BeginUnit = plainUnits(db),
) {
  assertUploading(backup, "fail");
  const firstLine =
    log
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.slice(0, 200) ?? "no log";
  const ping: Ping = { kind: "fail", failure: { reason: "backup_failed", detail: `backup failed: ${firstLine}` } };
  return finish(db, check, backup, "fail", begin, (unit, current) => {
    unit.write(
      db
        .update(backups)
        .set({ status: "failed", failureLog: log, completedAt: now })
        .where(and(eq(backups.id, backup.id), eq(backups.status, "uploading"))),
      releaseParts(backup),
    );
    return addPing(unit, current, ping, { ...meta, body: log, backupId: backup.id }, now);
  });
}

/**
 * Runs one ending as a unit guarded by the backup's still being `uploading`; a check that changed
 * meanwhile (a concurrent ping) is re-read and the unit rebuilt, as recordPing does.
 */
async function finish(
  db: Db,
  check: CheckRow,
  backup: BackupRow,
  action: "complete" | "fail",
  begin: BeginUnit,
  build: (unit: UnitOfWork, current: CheckRow) => PingResult,
): Promise<PingResult> {
  let current = check;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const unit = begin().guard(
      "backup uploading",
      sql`EXISTS (SELECT 1 FROM ${backups} WHERE ${backups.id} = ${backup.id} AND ${backups.status} = 'uploading')`,
    );
    const result = build(unit, current);
    if ((await unit.commit()).applied) return result;
    const failed = await unit.failedGuard();
    if (failed === "backup uploading") {
      const [row] = await db.select({ status: backups.status }).from(backups).where(eq(backups.id, backup.id));
      throw new AppError("conflict", `cannot ${action}: the backup is already ${row?.status ?? "gone"}`);
    }
    if (failed === "every part stored with its length") await assertEveryByte(db, backup);
    const reread = await db.query.checks.findFirst({ where: eq(checks.id, current.id) });
    if (!reread) throw new AppError("conflict", `cannot ${action}: the check was deleted meanwhile`);
    current = reread;
  }
  throw new AppError("conflict", `cannot ${action}: the check changed too often meanwhile; try again`);
}

/**
 * The parts not stored, or stored with another length than declared (SQL rows of PartProblem).
 * Raw: it is both a read and a unit's NOT EXISTS guard.
 */
const partProblems = (backup: BackupRow) => sql`
  SELECT ${p.idx}, ${p.size}, ${b.stored}, ${b.storedSize} FROM ${backupParts} ${p}
    LEFT JOIN ${blobs} ${b} ON ${b.checkId} = ${backup.checkId} AND ${b.sha256} = ${p.sha256}
  WHERE ${p.backupId} = ${backup.id} AND (coalesce(${b.stored}, 0) = 0 OR ${b.storedSize} IS NOT ${p.size})
  ORDER BY ${p.idx}`;

/**
 * Every byte the backup declares is stored: a part not sent yet is a 409 listing the missing ones
 * (send them); a part stored with another length, or lengths that do not add up to `size`, is a
 * 400 naming the part (the manifest lied, or the storage did).
 */
async function assertEveryByte(db: Db, backup: BackupRow) {
  const problems = await db.all<PartProblem>(partProblems(backup));
  const wrong = problems.find((p) => p.stored);
  if (wrong) {
    const stored = wrong.stored_size === null ? "an unknown length" : `${wrong.stored_size} bytes`;
    throw new AppError(
      "bad_request",
      `cannot complete: part ${wrong.idx} is stored with ${stored}, not the ${wrong.size} its manifest declares`,
    );
  }
  const missing = problems.map((p) => p.idx);
  if (missing.length > 0) {
    throw new AppError("conflict", `cannot complete: ${missing.length} part(s) missing: ${summarize(missing)}`, {
      missing,
    });
  }
  const total = await db
    .select({ bytes: sql<number | null>`sum(${backupParts.size})` })
    .from(backupParts)
    .where(eq(backupParts.backupId, backup.id))
    .get();
  if ((total?.bytes ?? 0) !== backup.size) {
    throw new AppError(
      "bad_request",
      `cannot complete: the parts add up to ${total?.bytes ?? 0} bytes, not ${backup.size}`,
    );
  }
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
