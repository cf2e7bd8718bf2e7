import { and, desc, eq, lte, sql } from "drizzle-orm";
import { sweepRuns, sweepState, type SweepRunRow } from "../db/schema";
import { SWEEP_RING, sweepSlot, type SweepHeartbeat } from "../domain/monitoring";
import { batch, type Db } from "./db";
import { selfPing } from "./self-ping";
import { runSweep, type SweepContext, type SweepReport } from "./sweep";

// The sweep's own heartbeat (domain/monitoring.ts): each run writes its start and its end, one
// batch (one D1 round trip) each, into a single state row and a fixed ring of the last runs.

const ERROR_CHARS = 1000;

/** The heartbeat row the migration created; null only if it is missing (a hand-built database). */
export async function readHeartbeat(db: Db): Promise<SweepHeartbeat | null> {
  const [row] = await db.select().from(sweepState).where(eq(sweepState.id, 1)).limit(1);
  return row ?? null;
}

/** The ring, newest first, for the dashboard. */
export async function recentSweeps(db: Db): Promise<SweepRunRow[]> {
  return db.select().from(sweepRuns).orderBy(desc(sweepRuns.startedAt)).limit(SWEEP_RING);
}

async function recordStart(db: Db, startedAt: number) {
  await batch(db, [
    db
      .insert(sweepRuns)
      .values({ slot: sweepSlot(startedAt), startedAt })
      .onConflictDoUpdate({
        target: sweepRuns.slot,
        set: { startedAt, finishedAt: null, durationMs: null, error: null },
      }),
    db
      .insert(sweepState)
      .values({ id: 1, installedAt: startedAt, lastStartedAt: startedAt })
      .onConflictDoUpdate({
        target: sweepState.id,
        set: { lastStartedAt: sql`max(coalesce(${sweepState.lastStartedAt}, 0), ${startedAt})` },
      }),
  ]);
}

/** The run's end: the ring slot if it still holds this run, and the state (times only move forward). */
async function recordEnd(db: Db, startedAt: number, finishedAt: number, error: string | null) {
  const slot = sweepSlot(startedAt);
  const ended = db
    .update(sweepRuns)
    .set({ finishedAt, durationMs: finishedAt - startedAt, error })
    .where(and(eq(sweepRuns.slot, slot), eq(sweepRuns.startedAt, startedAt)));
  const state = error
    ? db
        .update(sweepState)
        .set({ lastErrorAt: finishedAt, lastError: error })
        .where(and(eq(sweepState.id, 1), lte(sql`coalesce(${sweepState.lastErrorAt}, 0)`, finishedAt)))
    : db
        .update(sweepState)
        .set({ lastOkAt: finishedAt })
        .where(and(eq(sweepState.id, 1), lte(sql`coalesce(${sweepState.lastOkAt}, 0)`, finishedAt)));
  await batch(db, [ended, state]);
}

export type WatchOptions = {
  /** A healthchecks-compatible ping URL: pinged after each good run, its /fail after a failed one. */
  selfPingUrl?: string;
  /** The sweep itself (tests pass one that throws); runSweep by default. */
  sweep?: (ctx: SweepContext) => Promise<SweepReport>;
};

/**
 * One cron run, watched: the start is recorded first (so a run the platform cuts off still shows),
 * then the sweep, then its end or its error, then the self-ping (its /fail also when D1 itself
 * refused the start). The bookkeeping after the sweep
 * never turns a good run into a failure, and the self-ping is bounded and never throws. `ctx.now`
 * is the run's start (the cron's scheduled time); its end adds the measured duration.
 */
export async function runWatchedSweep(ctx: SweepContext, options: WatchOptions = {}): Promise<SweepReport> {
  const startedAt = ctx.now;
  const clockStart = Date.now();
  const finished = () => startedAt + Math.max(0, Date.now() - clockStart);
  let report: SweepReport;
  try {
    await recordStart(ctx.db, startedAt);
    report = await (options.sweep ?? runSweep)(ctx);
  } catch (error) {
    const message = rootMessage(error).slice(0, ERROR_CHARS) || "unknown error";
    await recordEnd(ctx.db, startedAt, finished(), message).catch(() => undefined);
    await selfPing(options.selfPingUrl, { ok: false, body: `sweep failed: ${message}` });
    throw error;
  }
  const end = finished();
  await recordEnd(ctx.db, startedAt, end, null).catch((error) =>
    console.error("sweep bookkeeping failed:", error instanceof Error ? error.message : error),
  );
  await selfPing(options.selfPingUrl, {
    ok: true,
    body: `sweep ok in ${end - startedAt} ms: ${report.timedOut} down, ${report.sent} sent, ${report.failed} failed`,
  });
  return report;
}

/**
 * The innermost cause's message: drizzle wraps a D1 error in "Failed query: <sql> params: <values>",
 * and the values are nothing to store or show; D1's own words ("no such table: …") say what failed.
 */
function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
