import { sql, type SQL } from "drizzle-orm";
import type { SweepHeartbeat } from "../domain/monitoring";
import type { StoredStatus } from "../domain/state";
import type { StatusChange } from "../domain/status/timeline";
import type { Db } from "./db";
import { prepare } from "./db";
import { TESTED_THE_BACKUP } from "./drills";
import type { CheckKind } from "../db/schema";

// The status page's reads, as statements that can share one D1 batch (one round trip). Each names
// the checks it reads through `ids`, a one-column (`id`) subquery: every public check, or a list (a fill).

/** Every public check; the checks_public partial index keeps this from scanning private ones. */
export const PUBLIC_IDS = sql`SELECT id FROM checks WHERE public = 1`;
export const PUBLIC_BACKUP_IDS = sql`SELECT id FROM checks WHERE public = 1 AND kind = 'backup'`;
export const PUBLIC_RESTIC_IDS = sql`SELECT id FROM checks WHERE public = 1 AND kind = 'restic'`;
export const idList = (ids: number[]) => sql`SELECT value AS id FROM json_each(${JSON.stringify(ids)})`;

/** Changes kept per read: a check flapping for two weeks must not make the page unbounded. */
export const MAX_CHANGES = 2000;

// A good backup is a restore point: completed, not suspicious, not failed. Tombstoned and deleted
// ones still were restore points while they existed, so past days stay as they were judged.
const GOOD = sql`completed_at IS NOT NULL AND anomaly IS NULL AND status NOT IN ('failed', 'uploading', 'suspicious')`;

export type CheckRecord = {
  id: number;
  slug: string;
  name: string;
  kind: CheckKind;
  group_name: string;
  desc: string;
  public_details: number;
  tags: string;
  period_s: number | null;
  cron: string | null;
  tz: string;
  grace_s: number;
  rpo_s: number | null;
  drill_every_s: number | null;
  status: StoredStatus;
  last_start_at: number | null;
  next_due_at: number | null;
  alert_after: number | null;
  created_at: number;
  last_success_at: number | null;
};

/**
 * Public checks with the time of their last success: for an up check without failures in a row
 * that is its last ping; otherwise the newest successful ping among the last 100 kept.
 */
export const publicChecks = sql`
  SELECT id, slug, name, kind, group_name, desc, public_details, tags, period_s, cron, tz, grace_s, rpo_s,
         drill_every_s, status, last_start_at, next_due_at, alert_after, created_at, ${lastSuccess(sql`checks.id`)} AS last_success_at
  FROM checks WHERE public = 1 ORDER BY group_name, name, id`;

/** The time of a check's last success, as a column expression over `checks`. */
export function lastSuccess(id: SQL) {
  return sql`CASE WHEN status = 'up' AND consecutive_failures = 0 THEN last_ping_at ELSE (
    SELECT max(received_at) FROM pings p WHERE p.check_id = ${id} AND p.outcome IS NULL
      AND (p.kind = 'success' OR (p.kind = 'exit' AND p.exit_status = 0))) END`;
}

/** A check's newest good backup or restic snapshot (the restore point it would be restored from now). */
export const newestGood = (checkId: number) => sql`
  SELECT max(taken_at) AS taken_at FROM (
    SELECT (SELECT received_at FROM backups WHERE check_id = ${checkId} AND ${GOOD} AND status <> 'deleted'
      ORDER BY received_at DESC LIMIT 1) AS taken_at
    UNION ALL
    SELECT (SELECT received_at FROM restic_files WHERE check_id = ${checkId} AND type = 'snapshots'
      ORDER BY received_at DESC LIMIT 1))`;

export type ChangeRecord = StatusChange & { check_id: number; before: number };

/**
 * Status changes since `since`, newest MAX_CHANGES, plus for each check the last change before
 * `since` (`before` = 1), which tells its status when the window opened and since when.
 */
export const changesSince = (ids: SQL, since: number) => sql`
  SELECT check_id, from_status AS "from", to_status AS "to", reason, detail, created_at AS at, id AS seq, 0 AS before FROM (
    SELECT * FROM flips WHERE check_id IN (${ids}) AND created_at >= ${since} AND from_status <> to_status
    ORDER BY created_at DESC, id DESC LIMIT ${MAX_CHANGES})
  UNION ALL
  SELECT f.check_id, f.from_status, f.to_status, f.reason, f.detail, f.created_at, f.id, 1 FROM (${ids}) AS c
    JOIN flips f ON f.id = (SELECT g.id FROM flips g WHERE g.check_id = c.id
      AND g.created_at < ${since} AND g.from_status <> g.to_status ORDER BY g.created_at DESC, g.id DESC LIMIT 1)`;

export type PointRecord = { check_id: number; taken_at: number; available_at: number; size: number };

/**
 * Restore points taken since `since`, plus each check's newest one before it: good backups of the
 * backup checks `ids.backup`, and snapshots of the restic checks `ids.restic` (available when
 * received; their size is what they added). A forgotten snapshot is no longer a restore point, so
 * it leaves today's bar; finished days are kept in status_bars. Each kind reads only its own checks.
 */
export const pointsSince = (ids: { backup: SQL; restic: SQL }, since: number) => sql`
  SELECT check_id, received_at AS taken_at, completed_at AS available_at, size FROM backups
    WHERE check_id IN (${ids.backup}) AND received_at >= ${since} AND ${GOOD}
  UNION ALL
  SELECT b.check_id, b.received_at, b.completed_at, b.size FROM (${ids.backup}) AS c
    JOIN backups b ON b.id = (SELECT g.id FROM backups g WHERE g.check_id = c.id
      AND g.received_at < ${since} AND ${GOOD} ORDER BY g.received_at DESC LIMIT 1)
  UNION ALL
  SELECT s.check_id, s.received_at, s.received_at, coalesce(s.added_bytes, s.size) FROM (${ids.restic}) AS c
    JOIN restic_files s ON s.check_id = c.id AND s.type = 'snapshots' AND s.received_at >= coalesce((
      SELECT g.received_at FROM restic_files g WHERE g.check_id = c.id AND g.type = 'snapshots' AND g.received_at < ${since}
      ORDER BY g.received_at DESC LIMIT 1), ${since})`;

export type DrillRecord = { check_id: number; last_at: number; ok: number; ok_at: number | null };

/** Each backup check's latest drill (and whether it passed) and latest passed drill. */
export const latestDrills = sql`
  SELECT d.check_id, max(d.reported_at) AS last_at, d.ok,
         (SELECT max(reported_at) FROM drills o WHERE o.check_id = d.check_id AND o.ok = 1) AS ok_at
  FROM drills d WHERE d.check_id IN (${PUBLIC_BACKUP_IDS}) AND ${TESTED_THE_BACKUP} GROUP BY d.check_id`;

export type BarsRecord = { check_id: number; last_day: number; days: string };
export const storedBars = sql`SELECT check_id, last_day, days FROM status_bars WHERE check_id IN (${PUBLIC_IDS})`;

export type WindowRecord = {
  id: number;
  name: string;
  starts_at: number | null;
  ends_at: number | null;
  cron: string | null;
  tz: string;
  duration_s: number | null;
  tags: string;
  checks: string;
  created_at: number;
};
export const allWindows = sql`SELECT * FROM maintenance_windows ORDER BY id`;

export type HeartbeatRecord = SweepHeartbeat;
/** The sweep's heartbeat (services/sweep-runs.ts readHeartbeat), read within the page's batch. */
export const sweepHeartbeat = sql`
  SELECT installed_at AS installedAt, last_started_at AS lastStartedAt, last_ok_at AS lastOkAt,
         last_error_at AS lastErrorAt, last_error AS lastError FROM sweep_state WHERE id = 1`;

export const STATUS_PAGE_SETTING = "status_page";
export const statusSetting = sql`SELECT value FROM settings WHERE key = ${STATUS_PAGE_SETTING}`;

/** Runs read statements as one D1 batch and returns each one's rows. */
export async function readAll<T extends unknown[]>(db: Db, statements: SQL[]): Promise<T> {
  const results = await db.$client.batch(statements.map((s) => prepare(db, s)));
  return results.map((r) => r.results) as T;
}
