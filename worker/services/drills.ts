import { desc, eq, sql } from "drizzle-orm";
import { drills, type AgentKeyRow, type BackupRow, type CheckRow, type DrillRow } from "../db/schema";
import { AppError } from "../errors";
import type { Db, Statement } from "./db";
import { plainUnits, type BeginUnit } from "./unit-of-work";

export type DrillReport = { ok: boolean; durationS: number; details: Record<string, unknown>; message: string };

/**
 * Keeps a restore drill's result with its backup. A failed drill alerts through the check's
 * channels without changing the check's up/down state: the backups still arrive, but one could
 * not be restored, which is worse news than a late ping.
 */
export async function recordDrill(
  db: Db,
  check: CheckRow,
  backup: BackupRow,
  key: AgentKeyRow,
  report: DrillReport,
  now: number,
  begin: BeginUnit = plainUnits(db),
) {
  if (backup.status !== "complete" && backup.status !== "suspicious") {
    throw new AppError("conflict", `the backup is ${backup.status}; only complete backups can be drilled`);
  }
  const durationMs = Math.round(report.durationS * 1000);
  const statements: Statement[] = [
    sql`INSERT INTO drills (backup_id, check_id, ok, duration_ms, details, message, key_id, reported_at)
        VALUES (${backup.id}, ${check.id}, ${report.ok ? 1 : 0}, ${durationMs}, ${JSON.stringify(report.details)},
                ${report.message}, ${key.id}, ${now})`,
  ];
  if (!report.ok) {
    const detail = `restore drill of backup ${backup.id} failed${report.message ? `: ${report.message.split("\n")[0]!.slice(0, 300)}` : ""}`;
    statements.push(sql`INSERT INTO flips (check_id, from_status, to_status, reason, detail, created_at)
      VALUES (${check.id}, ${check.status}, ${check.status}, 'drill_failed', ${detail}, ${now})`);
  }
  const unit = begin()
    .guard(
      "backup complete",
      sql`EXISTS (SELECT 1 FROM backups WHERE id = ${backup.id} AND status IN ('complete', 'suspicious'))`,
    )
    .write(...statements);
  if (!(await unit.commit()).applied) throw new AppError("conflict", "the backup changed meanwhile; check its status");
}

export async function listDrills(db: Db, checkId: number, limit = 100): Promise<DrillRow[]> {
  return db.select().from(drills).where(eq(drills.checkId, checkId)).orderBy(desc(drills.reportedAt)).limit(limit);
}

export type LastDrill = { ok: boolean; duration_s: number; reported_at: string };

/** The newest drill of each of these backups, in one query (drills_by_backup index). */
export async function lastDrillsOf(db: Db, backupIds: string[]): Promise<Map<string, LastDrill>> {
  if (backupIds.length === 0) return new Map();
  // SQLite takes the bare columns from the row holding max(id): the last one reported.
  const rows = await db.all<{ backup_id: string; ok: number; duration_ms: number; reported_at: number }>(sql`
    SELECT backup_id, ok, duration_ms, reported_at, max(id) FROM drills
    WHERE backup_id IN (SELECT value FROM json_each(${JSON.stringify(backupIds)})) GROUP BY backup_id`);
  return new Map(
    rows.map((r) => [
      r.backup_id,
      { ok: r.ok === 1, duration_s: r.duration_ms / 1000, reported_at: new Date(r.reported_at).toISOString() },
    ]),
  );
}
