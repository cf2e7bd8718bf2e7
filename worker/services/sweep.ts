import { sql } from "drizzle-orm";
import { checks } from "../db/schema";
import { TIMEOUT_DETAIL } from "../domain/state";
import { col } from "./columns";
import type { Db } from "./db";
import { pruneDue, pruneHistory } from "./history";
import { planCountDue, refreshPlanCounts } from "./free-plan";
import { pruneNonces } from "./keys";
import { deliverDue, type DeliveryContext } from "./alert-pipeline/send";
import { purgeTombstones, retentionSweep } from "./retention";
import { abandonStaleUploads, checkQuota, purgeUnreferenced } from "./storage";
import { fanOutFlips, queueReminders, resumeAfterQuietEnds } from "./alert-pipeline/enqueue";

export type SweepContext = DeliveryContext & { bucket: R2Bucket };

export type SweepReport = {
  timedOut: number;
  rowsRead: number;
  notificationsQueued: number;
  sent: number;
  failed: number;
  abandonedUploads: number;
  tombstoned: number;
  purgedBackups: number;
  purgedObjects: number;
  /** Old flips and notifications deleted (once an hour; services/history.ts). */
  historyPruned: number;
};

/**
 * Marks overdue checks down with one set-based UPDATE through the partial index on alert_after,
 * so the work is O(due) whatever the number of checks; the flip_on_status trigger records each
 * flip in the same statement. A rerun or an overlapping run finds nothing left: a down check no
 * longer matches `status IN ('new', 'up')`, and a ping that arrived meanwhile moved alert_after.
 * A check that was started and never finished timed out its run, not its schedule. The trigger
 * dates a timeout's flip at the deadline it missed, not at this run (migrations/0010), so a late
 * sweep records what currentStatus and pendingTimeout already showed.
 *
 * This is domain/state.ts applyTimeout as one set-based statement (applying it check by check
 * would cost a read and a write each); test/worker/timeout-rule.test.ts holds the two to one rule.
 */
export async function markOverdue(db: Db, now: number): Promise<{ timedOut: number; rowsRead: number }> {
  const [status, alertAfter, lastStartAt] = [
    col(checks, "status"),
    col(checks, "alertAfter"),
    col(checks, "lastStartAt"),
  ];
  // Raw: one set-based UPDATE whose WHERE repeats the checks_due partial index's own literals, so
  // SQLite scans only that index (a bound status would not match it).
  const result = await db.run(sql`
    UPDATE checks SET ${status} = 'down',
      ${col(checks, "statusReason")} = CASE WHEN ${lastStartAt} IS NOT NULL THEN 'run_timeout' ELSE 'timeout' END,
      ${col(checks, "statusDetail")} = CASE WHEN ${lastStartAt} IS NOT NULL THEN ${TIMEOUT_DETAIL.run_timeout}
                           ELSE ${TIMEOUT_DETAIL.timeout} END,
      ${alertAfter} = NULL, ${lastStartAt} = NULL, ${col(checks, "lastStartRid")} = NULL,
      ${col(checks, "revision")} = lower(hex(randomblob(16))), ${col(checks, "updatedAt")} = ${now}
    WHERE ${status} IN ('new', 'up') AND ${alertAfter} IS NOT NULL AND ${alertAfter} <= ${now}`);
  // D1 counts the trigger's inserts in `changes`: each timed-out check is one UPDATE plus one flip.
  // (RETURNING would cost a read per row; the sweep test pins this arithmetic.)
  // rows_read is 3 per timed-out check: because the UPDATE moves rows out of the index it scans
  // (and the table has a trigger), SQLite runs it in two passes — index entries into a rowid FIFO,
  // then FIFO entry + table row per check — and D1 counts each step (docs/BENCHMARKS.md, Sweep).
  return { timedOut: (result.meta.changes ?? 0) / 2, rowsRead: result.meta.rows_read ?? 0 };
}

/** One cron run: every step is idempotent, so a skipped or doubled run is harmless. */
export async function runSweep(ctx: SweepContext): Promise<SweepReport> {
  const { db, now } = ctx;
  const overdue = await markOverdue(db, now);
  await checkQuota(db, now);
  // Before the outbox, so a retention shortfall found now alerts in this run.
  const tombstoned = await retentionSweep(db, now);
  const notificationsQueued =
    (await fanOutFlips(db, now)) + (await resumeAfterQuietEnds(db, now)) + (await queueReminders(db, now));
  const delivery = await deliverDue(ctx);
  const abandonedUploads = await abandonStaleUploads(db, now);
  const purgedBackups = await purgeTombstones(db, now);
  const purgedObjects = await purgeUnreferenced(db, ctx.bucket, now);
  await pruneNonces(db, now);
  const historyPruned = pruneDue(now) ? (await pruneHistory(db, now)).deleted : 0;
  if (planCountDue(now)) await refreshPlanCounts(db, now);
  return {
    ...overdue,
    notificationsQueued,
    ...delivery,
    abandonedUploads,
    tombstoned,
    purgedBackups,
    purgedObjects,
    historyPruned,
  };
}
