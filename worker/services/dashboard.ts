import { asc, sql } from "drizzle-orm";
import { checks, type CheckRow } from "../db/schema";
import { currentStatus, type Status } from "../domain/state";
import type { Db } from "./db";
import { storageTotals } from "./storage";

// Read models of the admin dashboard: a handful of aggregate queries, so the overview costs a few
// D1 calls whatever the number of checks (the Free plan allows 50 per request).

const DAY_MS = 86_400_000;
export const RATE_WINDOWS_DAYS = [7, 30, 90] as const;
const LOG_EXCERPT_CHARS = 600;

export type SuccessRate = { days: number; good: number; bad: number };
export type RecentFailure = {
  checkUuid: string;
  checkName: string;
  kind: string;
  exitStatus: number | null;
  outcome: string | null;
  excerpt: string;
  receivedAt: number;
};
export type RestorePoints = {
  uuid: string;
  name: string;
  points: number;
  suspicious: number;
  oldest: number | null;
  newest: number | null;
  bytes: number;
  lastGoodDrill: number | null;
};

export async function allChecks(db: Db): Promise<CheckRow[]> {
  return db.select().from(checks).orderBy(asc(checks.name), asc(checks.id));
}

export function countByStatus(rows: CheckRow[], now: number): Record<Status, number> {
  const counts: Record<Status, number> = { new: 0, up: 0, late: 0, started: 0, down: 0, paused: 0 };
  for (const row of rows) counts[currentStatus(row, now)]++;
  return counts;
}

/**
 * Finished backups received in each window: good = complete, bad = failed or suspicious. A
 * tombstoned backup counts as what it was; deleted ones (purged by retention) no longer say.
 */
export async function backupSuccessRates(db: Db, now: number): Promise<SuccessRate[]> {
  const [d7, d30, d90] = RATE_WINDOWS_DAYS.map((days) => now - days * DAY_MS) as [number, number, number];
  const row = await db.get<Record<string, number | null>>(sql`
    WITH o AS (
      SELECT received_at AS at, CASE WHEN status = 'tombstoned' THEN tombstoned_from ELSE status END AS s
      FROM backups WHERE received_at >= ${d90} AND received_at <= ${now} AND status NOT IN ('uploading', 'deleted'))
    SELECT
      sum(at >= ${d7} AND s = 'complete') AS good7, sum(at >= ${d7} AND s IN ('failed', 'suspicious')) AS bad7,
      sum(at >= ${d30} AND s = 'complete') AS good30, sum(at >= ${d30} AND s IN ('failed', 'suspicious')) AS bad30,
      sum(s = 'complete') AS good90, sum(s IN ('failed', 'suspicious')) AS bad90
    FROM o`);
  return RATE_WINDOWS_DAYS.map((days) => ({
    days,
    good: row?.[`good${days}`] ?? 0,
    bad: row?.[`bad${days}`] ?? 0,
  }));
}

/** The latest failed pings (failures, non-zero exits, too short/early) with the tail of their log. */
export async function recentFailures(db: Db, limit = 10): Promise<RecentFailure[]> {
  return db.all<RecentFailure>(sql`
    SELECT c.uuid AS checkUuid, c.name AS checkName, p.kind, p.exit_status AS exitStatus, p.outcome,
      substr(p.body, max(1, length(p.body) - ${LOG_EXCERPT_CHARS - 1})) AS excerpt, p.received_at AS receivedAt
    FROM pings p JOIN checks c ON c.id = p.check_id
    WHERE p.kind = 'fail' OR (p.kind = 'exit' AND p.exit_status != 0) OR p.outcome IS NOT NULL
    ORDER BY p.id DESC LIMIT ${limit}`);
}

/**
 * Per backup check: the backups one could restore now, the newest and oldest, and the last good
 * drill. Per restic check: its snapshots, and the repository's size.
 */
export async function restorePoints(db: Db): Promise<RestorePoints[]> {
  return db.all<RestorePoints>(sql`
    SELECT * FROM (
      SELECT c.uuid, c.name, count(b.id) AS points, coalesce(sum(b.status = 'suspicious'), 0) AS suspicious,
        min(b.received_at) AS oldest, max(b.received_at) AS newest, coalesce(sum(b.size), 0) AS bytes,
        (SELECT max(reported_at) FROM drills d WHERE d.check_id = c.id AND d.ok = 1) AS lastGoodDrill
      FROM checks c LEFT JOIN backups b ON b.check_id = c.id AND b.status IN ('complete', 'suspicious')
      WHERE c.kind = 'backup' GROUP BY c.id
      UNION ALL
      SELECT c.uuid, c.name, count(f.name), 0, min(f.received_at), max(f.received_at),
        coalesce((SELECT stored_bytes FROM restic_repos r WHERE r.check_id = c.id), 0), NULL
      FROM checks c LEFT JOIN restic_files f ON f.check_id = c.id AND f.type = 'snapshots'
      WHERE c.kind = 'restic' GROUP BY c.id)
    ORDER BY name, uuid`);
}

export async function overview(db: Db, now: number) {
  const [rows, rates, failures, storage, points] = await Promise.all([
    allChecks(db),
    backupSuccessRates(db, now),
    recentFailures(db),
    storageTotals(db),
    restorePoints(db),
  ]);
  return { checks: rows, counts: countByStatus(rows, now), rates, failures, storage, points };
}

export type PingLine = {
  id: number;
  kind: string;
  exitStatus: number | null;
  durationMs: number | null;
  outcome: string | null;
  source: string;
  ip: string | null;
  excerpt: string;
  truncated: boolean;
  receivedAt: number;
};

/** A check's ping log with only the tail of each body (a full log of 100 pings can be 10 MB). */
export async function pingLog(db: Db, checkId: number, limit = 100): Promise<PingLine[]> {
  const rows = await db.all<PingLine & { bodyLength: number; bodyTruncated: number }>(sql`
    SELECT id, kind, exit_status AS exitStatus, duration_ms AS durationMs, outcome, source, ip,
      substr(body, max(1, length(body) - 1999)) AS excerpt, length(body) AS bodyLength,
      body_truncated AS bodyTruncated, received_at AS receivedAt
    FROM pings WHERE check_id = ${checkId} ORDER BY id DESC LIMIT ${limit}`);
  return rows.map(({ bodyLength, bodyTruncated, ...line }) => ({
    ...line,
    truncated: bodyLength > 2000 || bodyTruncated === 1,
  }));
}
