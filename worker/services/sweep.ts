import { sql } from "drizzle-orm";
import { batch, rowsRead, type Db } from "./db";
import { pruneNonces } from "./keys";
import { deliverDue, fanOutFlips, type NotifyContext } from "./notify";

/** Checks moved to down per run; more wait for the next minute (the oldest deadlines go first). */
export const TIMEOUTS_PER_RUN = 500;

export type SweepReport = { timedOut: number; rowsRead: number; notificationsQueued: number; sent: number; failed: number };

/**
 * Marks overdue checks down. Two statements in one D1 batch (one transaction): the flips are
 * written from the same rows the UPDATE then changes, both chosen through the partial index on
 * alert_after, so the work is O(due) whatever the number of checks. A rerun or an overlapping
 * run finds nothing left to do: a down check no longer matches `status IN ('new', 'up')`, and a
 * ping that arrived meanwhile moved alert_after past `now`.
 */
export async function markOverdue(db: Db, now: number): Promise<{ timedOut: number; rowsRead: number }> {
  const due = sql`
    SELECT id FROM checks
    WHERE status IN ('new', 'up') AND alert_after IS NOT NULL AND alert_after <= ${now}
    ORDER BY alert_after, id LIMIT ${TIMEOUTS_PER_RUN}`;
  // A check that was started and never finished timed out its run, not its schedule.
  const results = await batch(db, [
    sql`
      INSERT INTO flips (check_id, from_status, to_status, reason, detail, created_at)
      SELECT id, status, 'down',
        CASE WHEN last_start_at IS NOT NULL THEN 'run_timeout' ELSE 'timeout' END,
        CASE WHEN last_start_at IS NOT NULL THEN 'started but never finished within the grace time'
             ELSE 'no ping before the deadline' END,
        ${now}
      FROM checks WHERE id IN (${due})`,
    sql`
      UPDATE checks SET status = 'down',
        status_reason = CASE WHEN last_start_at IS NOT NULL THEN 'run_timeout' ELSE 'timeout' END,
        alert_after = NULL, last_start_at = NULL, last_start_rid = NULL,
        revision = lower(hex(randomblob(16))), updated_at = ${now}
      WHERE id IN (${due})`,
  ]);
  return { timedOut: results[1]!.meta.changes ?? 0, rowsRead: rowsRead(results) };
}

/** One cron run: every step is idempotent, so a skipped or doubled run is harmless. */
export async function runSweep(ctx: NotifyContext): Promise<SweepReport> {
  const { db, now } = ctx;
  const overdue = await markOverdue(db, now);
  const notificationsQueued = await fanOutFlips(db, now);
  const delivery = await deliverDue(ctx);
  await pruneNonces(db, now);
  return { ...overdue, notificationsQueued, ...delivery };
}
