import { sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import {
  backups,
  checks,
  drills,
  flips,
  maintenanceWindows,
  pings,
  resticFiles,
  settings,
  statusBars,
  sweepState,
} from "../db/schema";
import type { SweepHeartbeat } from "../domain/monitoring";
import type { StatusChange } from "../domain/status/timeline";
import { col, type RawAs, type RawRow } from "./columns";
import type { Db } from "./db";
import { prepare } from "./db";
import { TESTED_THE_BACKUP } from "./drills";

// The status page's reads, as statements that can share one D1 batch (one round trip). Each names
// the checks it reads through `ids`, a one-column (`id`) subquery: every public check, or a list (a fill).
// Raw SQL: drizzle's batch cannot mix these with raw statements (readAll), and they need UNION ALL,
// correlated subqueries and the partial indexes' own literals; columns come from schema.ts below.
const f = alias(flips, "f");
const g = alias(flips, "g");
const b = alias(backups, "b");
const gb = alias(backups, "g");
const s = alias(resticFiles, "s");
const gs = alias(resticFiles, "g");
const d = alias(drills, "d");
const o = alias(drills, "o");

/** Every public check; the checks_public partial index keeps this from scanning private ones. */
const publicWhere = sql`${col(checks, "public")} = 1`;
export const PUBLIC_IDS = sql`SELECT ${col(checks, "id")} AS id FROM ${checks} WHERE ${publicWhere}`;
export const PUBLIC_BACKUP_IDS = sql`SELECT ${col(checks, "id")} AS id FROM ${checks} WHERE ${publicWhere} AND ${col(checks, "kind")} = 'backup'`;
export const PUBLIC_RESTIC_IDS = sql`SELECT ${col(checks, "id")} AS id FROM ${checks} WHERE ${publicWhere} AND ${col(checks, "kind")} = 'restic'`;
export const idList = (ids: number[]) => sql`SELECT value AS id FROM json_each(${JSON.stringify(ids)})`;

/** Changes kept per read: a check flapping for two weeks must not make the page unbounded. */
export const MAX_CHANGES = 2000;

// A good backup is a restore point: completed, not suspicious, not failed. Tombstoned and deleted
// ones still were restore points while they existed, so past days stay as they were judged.
// Unqualified: it is used against `backups` and against its alias `g`.
const GOOD = sql`${col(backups, "completedAt")} IS NOT NULL AND ${col(backups, "anomaly")} IS NULL
  AND ${col(backups, "status")} NOT IN ('failed', 'uploading', 'suspicious')`;

const CHECK_RECORD = [
  "id",
  "slug",
  "name",
  "kind",
  "group",
  "desc",
  "publicDetails",
  "tags",
  "periodS",
  "cron",
  "tz",
  "graceS",
  "rpoS",
  "drillEveryS",
  "status",
  "lastStartAt",
  "nextDueAt",
  "alertAfter",
  "createdAt",
] as const;
export type CheckRecord = RawRow<typeof checks, (typeof CHECK_RECORD)[number]> & { last_success_at: number | null };

/**
 * Public checks with the time of their last success: for an up check without failures in a row
 * that is its last ping; otherwise the newest successful ping among the last 100 kept.
 */
export const publicChecks = sql`
  SELECT ${sql.join(
    CHECK_RECORD.map((key) => col(checks, key)),
    sql`, `,
  )}, ${lastSuccess(sql`${checks.id}`)} AS last_success_at
  FROM ${checks} WHERE ${publicWhere} ORDER BY ${col(checks, "group")}, ${col(checks, "name")}, ${col(checks, "id")}`;

/**
 * The time of a check's last success, as a column expression over `checks`. Columns by col(), not
 * by an alias's column objects: drizzle's relational queries (status-badges.ts) requalify those.
 */
export function lastSuccess(id: SQL) {
  const ping = (key: "receivedAt" | "checkId" | "outcome" | "kind" | "exitStatus") => sql`p.${col(pings, key)}`;
  return sql`CASE WHEN ${col(checks, "status")} = 'up' AND ${col(checks, "consecutiveFailures")} = 0
    THEN ${col(checks, "lastPingAt")} ELSE (
    SELECT max(${ping("receivedAt")}) FROM ${pings} p WHERE ${ping("checkId")} = ${id} AND ${ping("outcome")} IS NULL
      AND (${ping("kind")} = 'success' OR (${ping("kind")} = 'exit' AND ${ping("exitStatus")} = 0))) END`;
}

/** A check's newest good backup or restic snapshot (the restore point it would be restored from now). */
export const newestGood = (checkId: number) => sql`
  SELECT max(taken_at) AS taken_at FROM (
    SELECT (SELECT ${backups.receivedAt} FROM ${backups} WHERE ${backups.checkId} = ${checkId} AND ${GOOD}
      AND ${backups.status} <> 'deleted' ORDER BY ${backups.receivedAt} DESC LIMIT 1) AS taken_at
    UNION ALL
    SELECT (SELECT ${resticFiles.receivedAt} FROM ${resticFiles} WHERE ${resticFiles.checkId} = ${checkId}
      AND ${resticFiles.type} = 'snapshots' ORDER BY ${resticFiles.receivedAt} DESC LIMIT 1))`;
export type NewestGoodRecord = RawAs<typeof backups, "receivedAt", "taken_at">;

export type ChangeRecord = StatusChange & RawRow<typeof flips, "checkId"> & { before: number };

/**
 * Status changes since `since`, newest MAX_CHANGES, plus for each check the last change before
 * `since` (`before` = 1), which tells its status when the window opened and since when.
 */
export const changesSince = (ids: SQL, since: number) => {
  const [checkId, from, to, at, id] = [
    col(flips, "checkId"),
    col(flips, "fromStatus"),
    col(flips, "toStatus"),
    col(flips, "createdAt"),
    col(flips, "id"),
  ];
  return sql`
  SELECT ${checkId}, ${from} AS "from", ${to} AS "to", ${col(flips, "reason")}, ${col(flips, "detail")}, ${at} AS at,
    ${id} AS seq, 0 AS before FROM (
    SELECT * FROM ${flips} WHERE ${checkId} IN (${ids}) AND ${at} >= ${since} AND ${from} <> ${to}
    ORDER BY ${at} DESC, ${id} DESC LIMIT ${MAX_CHANGES})
  UNION ALL
  SELECT ${f.checkId}, ${f.fromStatus}, ${f.toStatus}, ${f.reason}, ${f.detail}, ${f.createdAt}, ${f.id}, 1 FROM (${ids}) AS c
    JOIN ${flips} f ON ${f.id} = (SELECT ${g.id} FROM ${flips} g WHERE ${g.checkId} = c.id
      AND ${g.createdAt} < ${since} AND ${g.fromStatus} <> ${g.toStatus} ORDER BY ${g.createdAt} DESC, ${g.id} DESC LIMIT 1)`;
};

export type PointRecord = RawRow<typeof backups, "checkId" | "size"> &
  RawAs<typeof backups, "receivedAt", "taken_at"> & { available_at: number };

/**
 * Restore points taken since `since`, plus each check's newest one before it: good backups of the
 * backup checks `ids.backup`, and snapshots of the restic checks `ids.restic` (available when
 * received; their size is what they added). A forgotten snapshot is no longer a restore point, so
 * it leaves today's bar; finished days are kept in status_bars. Each kind reads only its own checks.
 */
export const pointsSince = (ids: { backup: SQL; restic: SQL }, since: number) => sql`
  SELECT ${backups.checkId}, ${backups.receivedAt} AS taken_at, ${backups.completedAt} AS available_at, ${backups.size}
    FROM ${backups} WHERE ${backups.checkId} IN (${ids.backup}) AND ${backups.receivedAt} >= ${since} AND ${GOOD}
  UNION ALL
  SELECT ${b.checkId}, ${b.receivedAt}, ${b.completedAt}, ${b.size} FROM (${ids.backup}) AS c
    JOIN ${backups} b ON ${b.id} = (SELECT ${gb.id} FROM ${backups} g WHERE ${gb.checkId} = c.id
      AND ${gb.receivedAt} < ${since} AND ${GOOD} ORDER BY ${gb.receivedAt} DESC LIMIT 1)
  UNION ALL
  SELECT ${s.checkId}, ${s.receivedAt}, ${s.receivedAt}, coalesce(${s.addedBytes}, ${s.size}) FROM (${ids.restic}) AS c
    JOIN ${resticFiles} s ON ${s.checkId} = c.id AND ${s.type} = 'snapshots' AND ${s.receivedAt} >= coalesce((
      SELECT ${gs.receivedAt} FROM ${resticFiles} g WHERE ${gs.checkId} = c.id AND ${gs.type} = 'snapshots'
        AND ${gs.receivedAt} < ${since}
      ORDER BY ${gs.receivedAt} DESC LIMIT 1), ${since})`;

export type DrillRecord = RawRow<typeof drills, "checkId" | "ok"> &
  RawAs<typeof drills, "reportedAt", "last_at"> & { ok_at: number | null };

/** Each backup check's latest drill (and whether it passed) and latest passed drill. */
export const latestDrills = sql`
  SELECT ${d.checkId}, max(${d.reportedAt}) AS last_at, ${d.ok},
         (SELECT max(${o.reportedAt}) FROM ${drills} o WHERE ${o.checkId} = ${d.checkId} AND ${o.ok} = 1) AS ok_at
  FROM ${drills} d WHERE ${d.checkId} IN (${PUBLIC_BACKUP_IDS}) AND ${TESTED_THE_BACKUP} GROUP BY ${d.checkId}`;

export type BarsRecord = RawRow<typeof statusBars, "checkId" | "lastDay" | "days">;
export const storedBars = sql`SELECT ${statusBars.checkId}, ${statusBars.lastDay}, ${statusBars.days} FROM ${statusBars}
  WHERE ${statusBars.checkId} IN (${PUBLIC_IDS})`;

export type WindowRecord = RawRow<
  typeof maintenanceWindows,
  "id" | "name" | "startsAt" | "endsAt" | "cron" | "tz" | "durationS" | "tags" | "checks" | "createdAt"
>;
export const allWindows = sql`SELECT * FROM ${maintenanceWindows} ORDER BY ${maintenanceWindows.id}`;

export type HeartbeatRecord = SweepHeartbeat;
/** The sweep's heartbeat (services/sweep-runs.ts readHeartbeat), read within the page's batch. */
export const sweepHeartbeat = sql`
  SELECT ${sweepState.installedAt} AS installedAt, ${sweepState.lastStartedAt} AS lastStartedAt,
    ${sweepState.lastOkAt} AS lastOkAt, ${sweepState.lastErrorAt} AS lastErrorAt, ${sweepState.lastError} AS lastError
  FROM ${sweepState} WHERE ${sweepState.id} = 1`;

export const STATUS_PAGE_SETTING = "status_page";
export type SettingRecord = RawRow<typeof settings, "value">;
export const statusSetting = sql`SELECT ${settings.value} FROM ${settings} WHERE ${settings.key} = ${STATUS_PAGE_SETTING}`;

/** Runs read statements as one D1 batch and returns each one's rows. */
export async function readAll<T extends unknown[]>(db: Db, statements: SQL[]): Promise<T> {
  const results = await db.$client.batch(statements.map((s) => prepare(db, s)));
  return results.map((r) => r.results) as T;
}
