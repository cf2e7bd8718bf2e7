import { and, desc, eq, sql } from "drizzle-orm";
import { covers, occurrenceAt } from "../domain/maintenance";
import { monitoringOf } from "../domain/monitoring";
import { currentStatus } from "../domain/state";
import type { BadgeFacts } from "../domain/status/badge-values";
import { effectiveRpoS } from "../domain/status/rpo";
import { checks, drills, newBadgeKey, type CheckRow } from "../db/schema";
import type { Db } from "./db";
import { listWindows } from "./maintenance";
import { readHeartbeat } from "./sweep-runs";
import { TESTED_THE_BACKUP } from "./drills";
import { lastSuccess, newestGood, type NewestGoodRecord } from "./status-queries";
import { keepsRestorePoints } from "../domain/kinds";

/**
 * What a badge may show, found by its key alone; undefined for an unknown key (the route answers
 * that exactly like any unknown path). Three indexed reads: the check, its newest good backup, its
 * latest drill; the maintenance table is an operator's short list; the sweep's heartbeat row.
 */
export async function badgeFacts(db: Db, key: string, now: number): Promise<BadgeFacts | undefined> {
  const check = await db.query.checks.findFirst({
    where: eq(checks.badgeKey, key),
    extras: { lastSuccessAt: sql<number | null>`${lastSuccess(sql`${checks.id}`)}`.as("last_success_at") },
  });
  if (!check) return undefined;
  const [newest, drill, windows, heartbeat] = await Promise.all([
    // Raw: a UNION of two newest-first index reads (services/status-queries.ts).
    keepsRestorePoints(check.kind) ? db.get<NewestGoodRecord | undefined>(newestGood(check.id)) : undefined,
    db
      .select({ at: drills.reportedAt, ok: drills.ok })
      .from(drills)
      .where(and(eq(drills.checkId, check.id), TESTED_THE_BACKUP))
      .orderBy(desc(drills.reportedAt))
      .limit(1)
      .get(),
    listWindows(db),
    readHeartbeat(db),
  ]);
  return {
    name: check.name,
    public: check.public,
    kind: check.kind,
    status: currentStatus(check, now),
    maintenance: windows.some((w) => covers(w, check) && occurrenceAt(w, now) !== null),
    createdAt: check.createdAt,
    rpoS: effectiveRpoS(check, now),
    newestGoodAt: keepsRestorePoints(check.kind) ? (newest?.taken_at ?? null) : check.lastSuccessAt,
    drillEveryS: check.drillEveryS,
    lastDrill: drill ? { at: drill.at, ok: drill.ok } : null,
    monitoringDelayed: heartbeat ? monitoringOf(heartbeat, now).delayed : false,
  };
}

/** A new badge key for a check whose badge URLs leaked; the old URLs are unknown paths from now on. */
export async function rotateBadgeKey(db: Db, check: CheckRow): Promise<CheckRow> {
  const [updated] = await db.update(checks).set({ badgeKey: newBadgeKey() }).where(eq(checks.id, check.id)).returning();
  return updated!;
}
