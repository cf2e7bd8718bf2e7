import { asc, desc, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backups, checks, drills, pings, resticFiles, resticRepos, type CheckRow } from "../db/schema";
import { monitoringOf } from "../domain/monitoring";
import { currentStatus, type Status } from "../domain/state";
import type { Db } from "./db";
import { planProjection } from "./free-plan";
import { storageTotals } from "./storage";
import { readHeartbeat, recentSweeps } from "./sweep-runs";

// Read models of the admin dashboard: a handful of aggregate queries, so the overview costs a few
// D1 calls whatever the number of checks (the Free plan allows 50 per request).

const DAY_MS = 86_400_000;
export const RATE_WINDOWS_DAYS = [7, 30, 90] as const;
const LOG_EXCERPT_CHARS = 600;

// Raw SQL: aggregates over UNION ALL, CASE and correlated subqueries, one statement each; columns
// and tables come from schema.ts through these aliases.
const c = alias(checks, "c");
const p = alias(pings, "p");
const b = alias(backups, "b");
const d = alias(drills, "d");
const f = alias(resticFiles, "f");
const r = alias(resticRepos, "r");

export type SuccessRate = { days: number; good: number; bad: number };
export type RecentFailure = {
  /** The check's unique_key: dashboard links never carry the uuid, a ping capability. */
  checkKey: string;
  checkName: string;
  kind: string;
  exitStatus: number | null;
  outcome: string | null;
  excerpt: string;
  receivedAt: number;
};
export type RestorePoints = {
  /** The check's unique_key, for its link. */
  key: string;
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
 * Backup runs in each window, as the runbook's "success rate ≥ 95 %" means it: every registered
 * backup (good = complete; bad = failed or suspicious; tombstoned and deleted ones count as what
 * they were), plus the result pings of backup checks that reported no backup — a pg_dump that failed
 * before anything was uploaded, a `lifeboat run` job (good = success or exit 0; bad = fail, a
 * non-zero exit, too short or too early). A completion or failure ping that names its backup is that
 * backup's echo and is not counted again. Pings are kept 100 per check, so the second part reaches
 * back as far as those do; registered backups are kept for good.
 */
export async function backupSuccessRates(db: Db, now: number): Promise<SuccessRate[]> {
  const [d7, d30, d90] = RATE_WINDOWS_DAYS.map((days) => now - days * DAY_MS) as [number, number, number];
  const was = sql`CASE WHEN ${backups.status} IN ('tombstoned', 'deleted') THEN ${backups.tombstonedFrom} ELSE ${backups.status} END`;
  const goodPing = sql`(${p.kind} = 'success' AND ${p.outcome} IS NULL) OR (${p.kind} = 'exit' AND ${p.exitStatus} = 0)`;
  const row = await db.get<Record<string, number | null>>(sql`
    WITH runs AS (
      SELECT ${backups.receivedAt} AS at, ${was} IN ('complete') AS good, ${was} IN ('failed', 'suspicious') AS bad
      FROM ${backups} WHERE ${backups.receivedAt} >= ${d90} AND ${backups.receivedAt} <= ${now}
      UNION ALL
      SELECT ${p.receivedAt}, ${goodPing}, NOT (${goodPing})
      FROM ${pings} p JOIN ${checks} c ON ${c.id} = ${p.checkId}
      WHERE ${c.kind} = 'backup' AND ${p.backupId} IS NULL AND ${p.kind} IN ('success', 'fail', 'exit')
        AND ${p.receivedAt} >= ${d90} AND ${p.receivedAt} <= ${now})
    SELECT
      sum(at >= ${d7} AND good) AS good7, sum(at >= ${d7} AND bad) AS bad7,
      sum(at >= ${d30} AND good) AS good30, sum(at >= ${d30} AND bad) AS bad30,
      sum(good) AS good90, sum(bad) AS bad90
    FROM runs`);
  return RATE_WINDOWS_DAYS.map((days) => ({
    days,
    good: row?.[`good${days}`] ?? 0,
    bad: row?.[`bad${days}`] ?? 0,
  }));
}

/** The latest failed pings (failures, non-zero exits, too short/early) with the tail of their log. */
export async function recentFailures(db: Db, limit = 10): Promise<RecentFailure[]> {
  return db.all<RecentFailure>(sql`
    SELECT ${c.uniqueKey} AS checkKey, ${c.name} AS checkName, ${p.kind} AS kind, ${p.exitStatus} AS exitStatus,
      ${p.outcome} AS outcome, substr(${p.body}, max(1, length(${p.body}) - ${LOG_EXCERPT_CHARS - 1})) AS excerpt,
      ${p.receivedAt} AS receivedAt
    FROM ${pings} p JOIN ${checks} c ON ${c.id} = ${p.checkId}
    WHERE ${p.kind} = 'fail' OR (${p.kind} = 'exit' AND ${p.exitStatus} != 0)
      OR (${p.outcome} IS NOT NULL AND ${p.outcome} != 'not_a_backup')
    ORDER BY ${p.receivedAt} DESC LIMIT ${limit}`);
}

/**
 * Per backup check: the backups one could restore now, the newest and oldest, and the last good
 * drill. Per restic check: its snapshots, and the repository's size.
 */
export async function restorePoints(db: Db): Promise<RestorePoints[]> {
  return db.all<RestorePoints>(sql`
    SELECT * FROM (
      SELECT ${c.uniqueKey} AS key, ${c.name} AS name, count(${b.id}) AS points,
        coalesce(sum(${b.status} = 'suspicious'), 0) AS suspicious,
        min(${b.receivedAt}) AS oldest, max(${b.receivedAt}) AS newest, coalesce(sum(${b.size}), 0) AS bytes,
        (SELECT max(${d.reportedAt}) FROM ${drills} d WHERE ${d.checkId} = ${c.id} AND ${d.ok} = 1) AS lastGoodDrill
      FROM ${checks} c LEFT JOIN ${backups} b ON ${b.checkId} = ${c.id} AND ${b.status} IN ('complete', 'suspicious')
      WHERE ${c.kind} = 'backup' GROUP BY ${c.id}
      UNION ALL
      SELECT ${c.uniqueKey} AS key, ${c.name} AS name, count(${f.name}), 0, min(${f.receivedAt}), max(${f.receivedAt}),
        coalesce((SELECT ${r.storedBytes} FROM ${resticRepos} r WHERE ${r.checkId} = ${c.id}), 0), NULL
      FROM ${checks} c LEFT JOIN ${resticFiles} f ON ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots'
      WHERE ${c.kind} = 'restic' GROUP BY ${c.id})
    ORDER BY name, key`);
}

export async function overview(db: Db, now: number) {
  const [rows, rates, failures, storage, points, heartbeat, sweeps, plan] = await Promise.all([
    allChecks(db),
    backupSuccessRates(db, now),
    recentFailures(db),
    storageTotals(db),
    restorePoints(db),
    readHeartbeat(db),
    recentSweeps(db),
    planProjection(db, now),
  ]);
  const monitoring = heartbeat ? monitoringOf(heartbeat, now) : null;
  return {
    checks: rows,
    counts: countByStatus(rows, now),
    rates,
    failures,
    storage,
    points,
    monitoring,
    sweeps,
    plan,
  };
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
  const rows = await db
    .select({
      id: pings.n,
      kind: pings.kind,
      exitStatus: pings.exitStatus,
      durationMs: pings.durationMs,
      outcome: pings.outcome,
      source: pings.source,
      ip: pings.ip,
      excerpt: sql<string>`substr(${pings.body}, max(1, length(${pings.body}) - 1999))`,
      bodyLength: sql<number>`length(${pings.body})`,
      bodyTruncated: pings.bodyTruncated,
      receivedAt: pings.receivedAt,
    })
    .from(pings)
    .where(eq(pings.checkId, checkId))
    .orderBy(desc(pings.n))
    .limit(limit);
  return rows.map(({ bodyLength, bodyTruncated, ...line }) => ({
    ...line,
    truncated: bodyLength > 2000 || bodyTruncated,
  }));
}
