import { desc, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { checks, flips, notifications, settings, type FlipRow } from "../db/schema";
import { col } from "./columns";
import { batch, type Db } from "./db";

/** A check's history, newest first: its transitions and events (services/state-changes.ts). */
export async function listFlips(db: Db, checkId: number, limit = 100): Promise<FlipRow[]> {
  return db.select().from(flips).where(eq(flips.checkId, checkId)).orderBy(desc(flips.id)).limit(limit);
}

// Flips and their notifications grow with every state change (a flapping check adds one a
// minute), and nothing else ever removes them. This keeps HISTORY_DAYS of them: more than the
// status page's 90 days of bars and 14 days of incidents. Older flips go, except what later
// decisions still read:
// - each check's newest flip before the cutoff: its state at the start of the kept history;
// - a flip whose notification is the newest one a channel got about the check: the channel's
//   "belief" (worker/services/alert-pipeline/enqueue.ts channelKnowledge) decides whether a recovery is news to it,
//   and a reminder counts the reminders of its incident flip;
// - a flip with a notification still pending, or suppressed and not yet resolved.
// Notifications go with their flip (ON DELETE CASCADE).
//
// A run visits CHECKS_PER_RUN checks after a cursor kept in `settings`, so its D1 reads stay
// bounded (a few per visited check plus what it deletes) whatever the number of checks; the cursor
// wraps around, so every check is visited once per ceil(checks / CHECKS_PER_RUN) runs.

export const HISTORY_DAYS = 100;
const DAY = 86_400_000;
export const CHECKS_PER_RUN = 500;
/** Deleted flips per run at most (their notifications go too); a long backlog drains over cycles. */
const FLIPS_PER_RUN = 2_000;
const CURSOR = "history_prune_cursor";
/** The sweep prunes once an hour, at this minute (a skipped sweep just waits for the next hour). */
export const PRUNE_MINUTE = 17;

const f = alias(flips, "f");
const g = alias(flips, "g");
const n = alias(notifications, "n");
const newer = alias(notifications, "newer");

export const pruneDue = (now: number) => new Date(now).getUTCMinutes() === PRUNE_MINUTE;

/**
 * Deletes old history of the next slice of checks. `deleted` is what D1 reports changed (flips and
 * their notifications); `rowsRead` is D1's billing metric for the run.
 */
export async function pruneHistory(db: Db, now: number): Promise<{ deleted: number; rowsRead: number }> {
  const cutoff = now - HISTORY_DAYS * DAY;
  const cursor = sql`coalesce((SELECT CAST(${settings.value} AS INTEGER) FROM ${settings} WHERE ${settings.key} = ${CURSOR}), 0)`;
  const slice = sql`SELECT ${checks.id} AS id FROM ${checks} WHERE ${checks.id} > ${cursor} ORDER BY ${checks.id} LIMIT ${CHECKS_PER_RUN}`;
  // "Still read later", as in the comment above; `newer` is a later notification of the same pair.
  const stillRead = sql`
    SELECT 1 FROM ${notifications} n WHERE ${n.flipId} = ${f.id} AND (
      ${n.status} = 'pending'
      OR (${n.status} = 'suppressed' AND ${n.resolvedAt} IS NULL)
      OR (${n.status} != 'suppressed' AND ${n.kind} NOT IN ('retention', 'drill') AND NOT EXISTS (
        SELECT 1 FROM ${notifications} newer
        WHERE ${newer.checkId} = ${n.checkId} AND ${newer.channelId} = ${n.channelId} AND ${newer.id} > ${n.id}
          AND ${newer.status} != 'suppressed' AND ${newer.kind} NOT IN ('retention', 'drill'))))`;
  const [deleted, cursorSaved] = await batch(db, [
    // Raw: a set-based DELETE over a correlated slice, bounded by LIMIT, in one statement.
    sql`DELETE FROM ${flips} WHERE ${col(flips, "id")} IN (
      SELECT ${f.id} FROM (${slice}) c JOIN ${flips} f ON ${f.checkId} = c.id AND ${f.createdAt} < ${cutoff}
      WHERE ${f.id} != (SELECT ${g.id} FROM ${flips} g WHERE ${g.checkId} = c.id AND ${g.createdAt} < ${cutoff}
                     ORDER BY ${g.createdAt} DESC, ${g.id} DESC LIMIT 1)
        AND NOT EXISTS (${stillRead})
      LIMIT ${FLIPS_PER_RUN})`,
    // The last check of this slice; none (past the last check) starts the next run from the first.
    db
      .insert(settings)
      .values({ key: CURSOR, value: sql`(SELECT coalesce(max(id), 0) FROM (${slice}))`, updatedAt: now })
      .onConflictDoUpdate({
        target: settings.key,
        set: { value: sql`excluded.${col(settings, "value")}`, updatedAt: now },
      }),
  ]);
  return {
    deleted: deleted!.meta.changes ?? 0,
    rowsRead: (deleted!.meta.rows_read ?? 0) + (cursorSaved!.meta.rows_read ?? 0),
  };
}
