import { asc, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { projectDay, type CheckTraffic, type Projection } from "../domain/free-plan";
import { backups, checks, flips, pings, settings } from "../db/schema";
import type { RawAs, RawRow } from "./columns";
import type { Db } from "./db";
import { PINGS_KEPT } from "./pings";

const DAY_MS = 86_400_000;
const c = alias(checks, "c");
const b = alias(backups, "b");
const f = alias(flips, "f");

const CountsSchema = z.object({
  /** Per check id: [pings, signed, backup echoes, oldest ping, backups, parts] of the day before `at`. */
  checks: z.record(
    z.string(),
    z.tuple([z.number(), z.number(), z.number(), z.number().nullable(), z.number(), z.number()]),
  ),
  dueChecks: z.number(),
});
type DayCounts = z.infer<typeof CountsSchema>;

const COUNTS_SETTING = "free_plan_counts";
/** The sweep recounts once an hour, at this minute (history pruning has minute 17). */
export const PLAN_COUNT_MINUTE = 43;
export const planCountDue = (now: number) => new Date(now).getUTCMinutes() === PLAN_COUNT_MINUTE;
/** A count older than this means the sweep missed its minute: pages count for themselves meanwhile. */
const COUNTS_FRESH_MS = 2 * 3_600_000;

/**
 * Per check the pings of the last 24 h (count, signed, a backup's echoes, oldest), the backups
 * registered in it, and the checks the sweep marked down: three queries, the first of which reads
 * every kept ping once (pings has no index on time; the log keeps PINGS_KEPT per check): 5,000 rows
 * for 50 checks, measured through D1's meta.rows_read.
 */
async function countDay(db: Db, now: number): Promise<DayCounts> {
  const since = now - DAY_MS;
  const [pingRows, backupRows, due] = await Promise.all([
    db.all<
      RawRow<typeof pings, "checkId"> &
        RawAs<typeof pings, "receivedAt", "oldest"> & { pings: number; signed: number; echoes: number }
    >(sql`
      SELECT ${pings.checkId}, count(*) AS pings, sum(${pings.source} = 'signed') AS signed,
        sum(${pings.backupId} IS NOT NULL) AS echoes, min(${pings.receivedAt}) AS oldest
      FROM ${pings} WHERE ${pings.receivedAt} >= ${since} AND ${pings.receivedAt} <= ${now} GROUP BY ${pings.checkId}`),
    // Raw: CROSS JOIN keeps checks outermost (drizzle has no CROSS JOIN … ON): backups_by_check and
    // flips_by_check_time then seek each check's last day instead of reading every backup and flip kept.
    db.all<RawAs<typeof backups, "checkId", "check_id"> & { backups: number; parts: number }>(sql`
      SELECT ${c.id} AS check_id, count(*) AS backups, sum(${b.partCount}) AS parts
      FROM ${checks} c CROSS JOIN ${backups} b ON ${b.checkId} = ${c.id} AND ${b.receivedAt} >= ${since}
        AND ${b.receivedAt} <= ${now}
      GROUP BY ${c.id}`),
    db.get<{ n: number }>(sql`
      SELECT count(*) AS n FROM ${checks} c CROSS JOIN ${flips} f ON ${f.checkId} = ${c.id}
        AND ${f.createdAt} >= ${since} AND ${f.createdAt} <= ${now}
      WHERE ${f.toStatus} = 'down' AND ${f.reason} IN ('timeout', 'run_timeout')`),
  ]);
  const backupsOf = new Map(backupRows.map((b) => [b.check_id, b]));
  const perCheck: DayCounts["checks"] = {};
  for (const p of pingRows) {
    const b = backupsOf.get(p.check_id);
    perCheck[p.check_id] = [p.pings, p.signed, p.echoes, p.oldest, b?.backups ?? 0, b?.parts ?? 0];
  }
  for (const b of backupRows) perCheck[b.check_id] ??= [0, 0, 0, null, b.backups, b.parts];
  return { checks: perCheck, dueChecks: due?.n ?? 0 };
}

/** The sweep's hourly count, kept in one `settings` row (24 rows written a day). */
export async function refreshPlanCounts(db: Db, now: number): Promise<void> {
  const counts = JSON.stringify(await countDay(db, now));
  await db
    .insert(settings)
    .values({ key: COUNTS_SETTING, value: counts, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: counts, updatedAt: now } });
}

/**
 * The day's counts as the sweep last stored them, so a dashboard open all day or a scrape every
 * minute reads one row, not the whole ping log; counted here (and not stored: a page never writes)
 * when the row is missing, damaged or older than two hours.
 */
async function dayCounts(db: Db, now: number): Promise<{ counts: DayCounts; at: number }> {
  const row = await db
    .select({ value: settings.value, updatedAt: settings.updatedAt })
    .from(settings)
    .where(eq(settings.key, COUNTS_SETTING))
    .get();
  if (row && row.updatedAt <= now && now - row.updatedAt < COUNTS_FRESH_MS) {
    const stored = CountsSchema.safeParse(safeJson(row.value));
    if (stored.success) return { counts: stored.data, at: row.updatedAt };
  }
  return { counts: await countDay(db, now), at: now };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** What the projection needs: the checks' schedules, always fresh, and the day's counts. */
export async function readPlanTraffic(db: Db, now: number) {
  const [checkRows, { counts, at }] = await Promise.all([
    db
      .select({
        id: checks.id,
        key: sql<string>`coalesce(${checks.uniqueKey}, ${checks.slug})`,
        name: checks.name,
        kind: checks.kind,
        status: checks.status,
        periodS: checks.periodS,
        cron: checks.cron,
        tz: checks.tz,
        graceS: checks.graceS,
      })
      .from(checks)
      .orderBy(asc(checks.id)),
    dayCounts(db, now),
  ]);
  const traffic = checkRows.map((row): CheckTraffic => {
    const [pings, signed, echoes, oldest, backups, parts] = counts.checks[row.id] ?? [0, 0, 0, null, 0, 0];
    return {
      key: row.key,
      name: row.name,
      kind: row.kind,
      paused: row.status === "paused",
      schedule: { periodS: row.periodS, cron: row.cron, tz: row.tz, graceS: row.graceS },
      pings,
      signedPings: signed,
      // Counted `now - at` ago: keep the span the pings covered then, which is what the rate is.
      oldestPingAt: oldest === null ? null : oldest + (now - at),
      backupEchoes: echoes,
      backups,
      parts,
    };
  });
  return { checks: traffic, dueChecks: counts.dueChecks, pingsKept: PINGS_KEPT };
}

export async function planProjection(db: Db, now: number): Promise<Projection> {
  return projectDay(await readPlanTraffic(db, now), now);
}
