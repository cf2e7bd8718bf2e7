import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backups, channels, checks, drills, notifications, resticFiles, resticRepos } from "../db/schema";
import type { CheckSnapshot, MetricsInput } from "../domain/metrics";
import { type RawRow } from "./columns";
import type { Db } from "./db";
import { TESTED_THE_BACKUP } from "./drills";
import { storageTotals } from "./storage";
import { readHeartbeat } from "./sweep-runs";

/**
 * A check's snapshot (domain/metrics.ts) with the schedule its effective RPO is derived from; the
 * columns under schema.ts's names, so a rename there no longer fits CheckSnapshot and fails `tsc`.
 */
export type CheckMetricsRow = RawRow<
  typeof checks,
  "slug" | "name" | "kind" | "group" | "status" | "lastPingAt" | "periodS" | "cron" | "tz" | "graceS" | "rpoS"
> &
  Pick<CheckSnapshot, "last_good" | "last_drill">;

export type ChannelMetricsRow = RawRow<typeof channels, "name" | "kind" | "status"> &
  Pick<MetricsInput["channels"][number], "failed" | "pending">;
type RepoTotals = RawRow<typeof resticRepos, "storedBytes" | "files">;
/** Null totals before `restic init` (LEFT JOIN). */
type RepositoryRow = RawRow<typeof checks, "slug" | "quotaBytes"> & {
  [K in keyof RepoTotals]: RepoTotals[K] | null;
} & Pick<MetricsInput["repositories"][number], "snapshots">;

// Raw SQL: one row per check or channel built from correlated newest-first subqueries, one
// statement each; columns and tables come from schema.ts through these aliases.
const c = alias(checks, "c");
const f = alias(resticFiles, "f");
const b = alias(backups, "b");
const d = alias(drills, "d");
const ch = alias(channels, "ch");
const n = alias(notifications, "n");
const r = alias(resticRepos, "r");

/**
 * What /metrics reports, read in four D1 queries whatever the number of checks: one row per check
 * (its newest good backup or restic snapshot and newest drill found through their (check_id, time) indexes, a few rows
 * each), one row per channel, the storage totals, the sweep's heartbeat and the restic repositories.
 */
export async function readMetrics(db: Db) {
  const [checkRows, channelRows, storage, heartbeat, repositories] = await Promise.all([
    db.all<CheckMetricsRow>(sql`
      SELECT ${c.slug}, ${c.name}, ${c.kind}, ${c.group}, ${c.status}, ${c.lastPingAt},
        ${c.periodS}, ${c.cron}, ${c.tz}, ${c.graceS}, ${c.rpoS},
        CASE WHEN ${c.kind} = 'restic' THEN
          (SELECT json_array(${f.receivedAt}, ${f.addedBytes}) FROM ${resticFiles} f
            WHERE ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots' ORDER BY ${f.receivedAt} DESC LIMIT 1)
        ELSE (SELECT json_array(${b.receivedAt}, ${b.size}) FROM ${backups} b
          WHERE ${b.checkId} = ${c.id} AND ${b.status} = 'complete' ORDER BY ${b.receivedAt} DESC LIMIT 1) END AS last_good,
        (SELECT json_array(${d.reportedAt}, ${d.ok}, ${d.durationMs}) FROM ${drills} d
          WHERE ${d.checkId} = ${c.id} AND ${TESTED_THE_BACKUP} ORDER BY ${d.reportedAt} DESC LIMIT 1) AS last_drill
      FROM ${checks} c ORDER BY ${c.slug}`),
    db.all<ChannelMetricsRow>(sql`
      SELECT ${ch.name}, ${ch.kind}, ${ch.status},
        (SELECT count(*) FROM ${notifications} n WHERE ${n.channelId} = ${ch.id} AND ${n.status} = 'failed') AS failed,
        (SELECT count(*) FROM ${notifications} n WHERE ${n.channelId} = ${ch.id} AND ${n.status} = 'pending') AS pending
      FROM ${channels} ch ORDER BY ${ch.id}`),
    storageTotals(db),
    readHeartbeat(db),
    db.all<RepositoryRow>(sql`
      SELECT ${c.slug}, ${c.quotaBytes}, ${r.storedBytes}, ${r.files},
        (SELECT count(*) FROM ${resticFiles} f WHERE ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots') AS snapshots
      FROM ${checks} c LEFT JOIN ${resticRepos} r ON ${r.checkId} = ${c.id} WHERE ${c.kind} = 'restic' ORDER BY ${c.slug}`),
  ]);
  return { checkRows, channelRows, storage, heartbeat, repositories };
}

export type MetricsSnapshot = Awaited<ReturnType<typeof readMetrics>>;
