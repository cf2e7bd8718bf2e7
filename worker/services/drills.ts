import { desc, eq, sql } from "drizzle-orm";
import {
  backups,
  drills,
  type AgentKeyRow,
  type BackupRow,
  type CheckRow,
  type DRILL_KINDS,
  type DRILL_OUTCOMES,
  type DrillRow,
} from "../db/schema";
import type { CheckEvent } from "../domain/state";
import { AppError } from "../errors";
import { col, type RawRow } from "./columns";
import type { Db } from "./db";
import { recordEvent } from "./state-changes";
import { plainUnits, type BeginUnit } from "./unit-of-work";

export type DrillReport = {
  outcome: (typeof DRILL_OUTCOMES)[number];
  kind: (typeof DRILL_KINDS)[number];
  durationS: number;
  details: Record<string, unknown>;
  message: string;
};

/** Drills that never reached their backup say nothing about it: "the last drill" skips them. */
export const TESTED_THE_BACKUP = sql`${col(drills, "outcome")} != 'could_not_start'`;

/**
 * Keeps a restore drill's (or a manual restore's) result with its backup. A failed drill alerts
 * through the check's channels without changing the check's up/down state: the backups still
 * arrive, but one could not be restored, which is worse news than a late ping. A drill that could
 * not start alerts in its own words and leaves the backup's record alone.
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
  const ok = report.outcome === "ok";
  const why = report.message ? `: ${report.message.split("\n")[0]!.slice(0, 300)}` : "";
  const event: CheckEvent | null =
    report.outcome === "failed"
      ? { reason: "drill_failed", detail: `restore drill of backup ${backup.id} failed${why}` }
      : report.outcome === "could_not_start"
        ? {
            reason: "drill_not_started",
            detail: `restore drill of backup ${backup.id} could not start${why} (the backup was not tested)`,
          }
        : null;
  const unit = begin()
    .guard(
      "backup complete",
      sql`EXISTS (SELECT 1 FROM ${backups} WHERE ${backups.id} = ${backup.id} AND ${backups.status} IN ('complete', 'suspicious'))`,
    )
    .write(
      db.insert(drills).values({
        backupId: backup.id,
        checkId: check.id,
        ok,
        outcome: report.outcome,
        kind: report.kind,
        durationMs,
        details: report.details,
        message: report.message,
        keyId: key.id,
        reportedAt: now,
      }),
    );
  if (event) recordEvent(unit, check, event, now);
  if (!(await unit.commit()).applied) throw new AppError("conflict", "the backup changed meanwhile; check its status");
}

export async function listDrills(db: Db, checkId: number, limit = 100): Promise<DrillRow[]> {
  return db.select().from(drills).where(eq(drills.checkId, checkId)).orderBy(desc(drills.reportedAt)).limit(limit);
}

export type LastDrill = { ok: boolean; duration_s: number; reported_at: string };

/** The newest drill of each of these backups, in one query (drills_by_backup index). */
export async function lastDrillsOf(db: Db, backupIds: string[]): Promise<Map<string, LastDrill>> {
  if (backupIds.length === 0) return new Map();
  // Raw: SQLite takes the bare columns from the row holding max(id) (the last one reported), and
  // the ids come as one json_each parameter (D1 binds at most 100).
  const backupId = col(drills, "backupId");
  const rows = await db.all<RawRow<typeof drills, "backupId" | "ok" | "durationMs" | "reportedAt">>(sql`
    SELECT ${backupId}, ${col(drills, "ok")}, ${col(drills, "durationMs")}, ${col(drills, "reportedAt")}, max(${col(drills, "id")})
    FROM ${drills} WHERE ${backupId} IN (SELECT value FROM json_each(${JSON.stringify(backupIds)})) AND ${TESTED_THE_BACKUP}
    GROUP BY ${backupId}`);
  return new Map(
    rows.map((r) => [
      r.backup_id,
      { ok: r.ok === 1, duration_s: r.duration_ms / 1000, reported_at: new Date(r.reported_at).toISOString() },
    ]),
  );
}
