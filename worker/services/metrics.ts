import { sql } from "drizzle-orm";
import type { CheckSnapshot, MetricsInput } from "../domain/metrics";
import type { Db } from "./db";
import { TESTED_THE_BACKUP } from "./drills";
import { storageTotals } from "./storage";
import { readHeartbeat } from "./sweep-runs";

/** A check's snapshot (domain/metrics.ts) with the schedule its effective RPO is derived from. */
export type CheckMetricsRow = Omit<CheckSnapshot, "rpo_s"> & {
  period_s: number | null;
  cron: string | null;
  tz: string;
  grace_s: number;
  rpo_s: number | null;
};

export type ChannelMetricsRow = MetricsInput["channels"][number];

/**
 * What /metrics reports, read in four D1 queries whatever the number of checks: one row per check
 * (its newest good backup or restic snapshot and newest drill found through their (check_id, time) indexes, a few rows
 * each), one row per channel, the storage totals, the sweep's heartbeat and the restic repositories.
 */
export async function readMetrics(db: Db) {
  const [checkRows, channelRows, storage, heartbeat, repositories] = await Promise.all([
    db.all<CheckMetricsRow>(sql`
      SELECT c.slug, c.name, c.kind, c.group_name, c.status, c.last_ping_at,
        c.period_s, c.cron, c.tz, c.grace_s, c.rpo_s,
        CASE WHEN c.kind = 'restic' THEN
          (SELECT json_array(f.received_at, f.added_bytes) FROM restic_files f
            WHERE f.check_id = c.id AND f.type = 'snapshots' ORDER BY f.received_at DESC LIMIT 1)
        ELSE (SELECT json_array(b.received_at, b.size) FROM backups b
          WHERE b.check_id = c.id AND b.status = 'complete' ORDER BY b.received_at DESC LIMIT 1) END AS last_good,
        (SELECT json_array(d.reported_at, d.ok, d.duration_ms) FROM drills d
          WHERE d.check_id = c.id AND ${TESTED_THE_BACKUP} ORDER BY d.reported_at DESC LIMIT 1) AS last_drill
      FROM checks c ORDER BY c.slug`),
    db.all<ChannelMetricsRow>(sql`
      SELECT ch.name, ch.kind, ch.status,
        (SELECT count(*) FROM notifications n WHERE n.channel_id = ch.id AND n.status = 'failed') AS failed,
        (SELECT count(*) FROM notifications n WHERE n.channel_id = ch.id AND n.status = 'pending') AS pending
      FROM channels ch ORDER BY ch.id`),
    storageTotals(db),
    readHeartbeat(db),
    db.all<MetricsInput["repositories"][number]>(sql`
      SELECT c.slug, c.quota_bytes, r.stored_bytes, r.files,
        (SELECT count(*) FROM restic_files f WHERE f.check_id = c.id AND f.type = 'snapshots') AS snapshots
      FROM checks c LEFT JOIN restic_repos r ON r.check_id = c.id WHERE c.kind = 'restic' ORDER BY c.slug`),
  ]);
  return { checkRows, channelRows, storage, heartbeat, repositories };
}

export type MetricsSnapshot = Awaited<ReturnType<typeof readMetrics>>;
