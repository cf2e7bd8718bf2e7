import { sql } from "drizzle-orm";
import { projectDay, type CheckTraffic, type Projection } from "../domain/free-plan";
import type { CheckKind } from "../db/schema";
import type { Db } from "./db";
import { PINGS_KEPT } from "./pings";

const DAY_MS = 86_400_000;

type CheckRowOfPlan = {
  id: number;
  key: string;
  name: string;
  kind: CheckKind;
  status: string;
  period_s: number | null;
  cron: string | null;
  tz: string;
  grace_s: number;
};
type PingCounts = { check_id: number; pings: number; signed: number; echoes: number; oldest: number };
type BackupCounts = { check_id: number; backups: number; parts: number };

/**
 * What the Free plan projection needs, in four D1 queries whatever the number of checks: the
 * checks' schedules; per check the pings of the last 24 h (count, signed, a backup's echoes,
 * oldest), which reads every kept ping once (pings has no index on time, and the log is at most
 * PINGS_KEPT per check); the backups registered in the last 24 h (backups_by_check); and the checks
 * the sweep marked down in that day.
 */
export async function readPlanTraffic(db: Db, now: number) {
  const since = now - DAY_MS;
  const [checkRows, pingRows, backupRows, due] = await Promise.all([
    db.all<CheckRowOfPlan>(sql`
      SELECT id, coalesce(unique_key, slug) AS key, name, kind, status, period_s, cron, tz, grace_s
      FROM checks ORDER BY id`),
    db.all<PingCounts>(sql`
      SELECT check_id, count(*) AS pings, sum(source = 'signed') AS signed,
        sum(backup_id IS NOT NULL) AS echoes, min(received_at) AS oldest
      FROM pings WHERE received_at >= ${since} AND received_at <= ${now} GROUP BY check_id`),
    db.all<BackupCounts>(sql`
      SELECT check_id, count(*) AS backups, sum(part_count) AS parts
      FROM backups WHERE received_at >= ${since} AND received_at <= ${now} GROUP BY check_id`),
    db.get<{ n: number }>(sql`
      SELECT count(*) AS n FROM flips WHERE created_at >= ${since} AND created_at <= ${now} AND to_status = 'down'
        AND reason IN ('timeout', 'run_timeout')`),
  ]);
  const pings = new Map(pingRows.map((row) => [row.check_id, row]));
  const backups = new Map(backupRows.map((row) => [row.check_id, row]));
  const checks = checkRows.map((row): CheckTraffic => {
    const p = pings.get(row.id);
    const b = backups.get(row.id);
    return {
      key: row.key,
      name: row.name,
      kind: row.kind,
      paused: row.status === "paused",
      schedule: { periodS: row.period_s, cron: row.cron, tz: row.tz, graceS: row.grace_s },
      pings: p?.pings ?? 0,
      signedPings: p?.signed ?? 0,
      oldestPingAt: p?.oldest ?? null,
      backupEchoes: p?.echoes ?? 0,
      backups: b?.backups ?? 0,
      parts: b?.parts ?? 0,
    };
  });
  return { checks, dueChecks: due?.n ?? 0, pingsKept: PINGS_KEPT };
}

export async function planProjection(db: Db, now: number): Promise<Projection> {
  return projectDay(await readPlanTraffic(db, now), now);
}
