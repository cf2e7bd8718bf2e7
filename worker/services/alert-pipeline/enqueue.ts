import { eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { channels, checks, flips, notifications } from "../../db/schema";
import { activeWindowFor, type MaintenanceWindow } from "../../domain/maintenance";
import {
  afterQuiet,
  beliefOf,
  FLAPPING_OVER,
  channelCovers,
  decide,
  isNotice,
  isQuiet,
  NOTICE_REASONS,
  reminderDue,
  type Belief,
  type NotificationKind,
  type Quiet,
  type Suppression,
} from "../../domain/alerts/rules";
import { col, type NonNullIn, type RawAs, type RawRow } from "../columns";
import { batch, type Db } from "../db";
import { listWindows } from "../maintenance";

// The enqueue side of the outbox: which notifications exist. Delivery is services/alert-pipeline/send.ts.
// Every step reads a bounded batch, decides in pure code (domain/alerts/rules.ts) and writes in one
// D1 batch whose rows carry idempotency keys, so a rerun or an overlapping run adds nothing twice.
// Raw SQL stays where the builder cannot say it on D1 (json_each lists past D1's 100 bound
// parameters, correlated max/count subqueries, a UNION of two partial indexes); its columns come
// from schema.ts through these aliases and col(), and its rows are typed by RawRow.
const c = alias(checks, "c");
const p = alias(checks, "p");
const n = alias(notifications, "n");
const ch = alias(channels, "ch");

const HOUR = 3_600_000;
const FLIPS_PER_RUN = 200;
const ROWS_PER_RUN = 500;

type Planned = {
  key: string;
  flip: number;
  channel: number;
  check: number;
  kind: NotificationKind;
  suppressed: Suppression | null;
};

type Scope = { id: number; tags: string[]; checks: string[]; createdAt: number; repeatEveryS: number | null };
type Knowledge = { belief: Belief; lastAt: number; flappingAt: number | null };

/** Unprocessed flips → one outbox row per (flip, channel) that should hear of it. */
export async function fanOutFlips(db: Db, now: number): Promise<number> {
  const due = await db
    .select({
      id: flips.id,
      checkId: flips.checkId,
      from: flips.fromStatus,
      to: flips.toStatus,
      reason: flips.reason,
      createdAt: flips.createdAt,
      slug: checks.slug,
      tags: checks.tags,
      flapThreshold: checks.flapThreshold,
      parentStatus: p.status,
    })
    .from(flips)
    .innerJoin(checks, eq(checks.id, flips.checkId))
    .leftJoin(p, eq(p.id, checks.parentId))
    .where(isNull(flips.processedAt))
    .orderBy(flips.id)
    .limit(FLIPS_PER_RUN);
  if (due.length === 0) return 0;

  const checkIds = [...new Set(due.map((f) => f.checkId))];
  const since = Math.min(...due.map((f) => f.createdAt)) - HOUR;
  const [scopes, windows, knowledge, recent] = await Promise.all([
    channelScopes(db),
    listWindows(db),
    channelKnowledge(db, checkIds),
    recentFlips(db, checkIds, since),
  ]);

  const planned: Planned[] = [];
  for (const flip of due) {
    const check = { slug: flip.slug, tags: flip.tags };
    const hour = (recent.get(flip.checkId) ?? []).filter((f) => f.at > flip.createdAt - HOUR && f.at <= flip.createdAt);
    const flipsLastHour = stateChanges(hour);
    const recentDownReasons = hour.filter((f) => f.id < flip.id && f.to === "down").map((f) => f.reason);
    for (const channel of scopes) {
      if (channel.createdAt > flip.createdAt || !channelCovers(channel, check)) continue;
      const known = knowledge.get(pair(flip.checkId, channel.id)) ?? unknown;
      const quiet: Quiet = {
        inMaintenance: activeWindowFor(windows, check, flip.createdAt) !== null,
        parentDown: flip.parentStatus === "down",
        flipsLastHour,
        flapThreshold: flip.flapThreshold,
        flappingAlerted: known.flappingAt !== null && flip.createdAt - known.flappingAt < HOUR,
        recentDownReasons,
      };
      const decision = decide(flip, known.belief, quiet);
      if (!decision) continue;
      planned.push({
        key: `${flip.id}:${channel.id}`,
        flip: flip.id,
        channel: channel.id,
        check: flip.checkId,
        ...decision,
      });
      if (!decision.suppressed) learn(knowledge, flip.checkId, channel.id, decision.kind, flip.createdAt);
    }
  }
  await batch(db, [
    insertNotifications(planned, now),
    sql`UPDATE flips SET ${col(flips, "processedAt")} = ${now}
      WHERE ${col(flips, "id")} IN (SELECT value FROM json_each(${JSON.stringify(due.map((f) => f.id))}))`,
  ]);
  return planned.length;
}

/**
 * Suppressed rows whose quiet is over (maintenance ended, parent back up, flapping calmed) bring
 * their channel up to date once: "still down" if it never heard, "up" if it heard of a problem.
 * A flapping alert stays open until its check calms down too; then the channel gets one summary,
 * the state the check settled in (a check still down after flapping alerts, even when the
 * flapping alert was the last thing the channel heard).
 */
export async function resumeAfterQuietEnds(db: Db, now: number): Promise<number> {
  const quietRows = await db.all<
    NonNullIn<RawRow<typeof notifications, "id" | "checkId" | "channelId" | "kind">, "check_id"> &
      RawRow<typeof checks, "status" | "slug" | "tags" | "flapThreshold"> &
      RawAs<typeof checks, "status", "parent_status"> & { latest_flip: number }
  >(sql`
    SELECT ${n.id}, ${n.checkId}, ${n.channelId}, ${n.kind}, ${c.status}, ${c.slug}, ${c.tags}, ${c.flapThreshold},
      ${p.status} AS parent_status, (SELECT max(${flips.id}) FROM flips WHERE ${flips.checkId} = ${c.id}) AS latest_flip
    FROM notifications n JOIN checks c ON ${c.id} = ${n.checkId} LEFT JOIN checks p ON ${p.id} = ${c.parentId}
    WHERE ${n.id} IN (
      SELECT ${notifications.id} FROM notifications
      WHERE ${notifications.status} = 'suppressed' AND ${notifications.resolvedAt} IS NULL
      UNION SELECT ${notifications.id} FROM notifications
      WHERE ${notifications.kind} = 'flapping' AND ${notifications.resolvedAt} IS NULL)
    ORDER BY ${n.id} LIMIT ${ROWS_PER_RUN}`);
  if (quietRows.length === 0) return 0;

  const checkIds = [...new Set(quietRows.map((r) => r.check_id))];
  const [windows, knowledge, recent] = await Promise.all([
    listWindows(db),
    channelKnowledge(db, checkIds),
    recentFlips(db, checkIds, now - HOUR),
  ]);
  const resolved: number[] = [];
  const planned: Planned[] = [];
  const caughtUp = new Set<string>(); // one message per (check, channel) and run, whatever ended
  for (const row of quietRows) {
    const check = { slug: row.slug, tags: JSON.parse(row.tags) as string[] };
    const quiet = {
      inMaintenance: activeWindowFor(windows, check, now) !== null,
      parentDown: row.parent_status === "down",
      flipsLastHour: stateChanges(recent.get(row.check_id) ?? []),
      flapThreshold: row.flap_threshold,
    };
    if (isQuiet(row.status, quiet)) continue;
    resolved.push(row.id);
    if (isNotice(row.kind)) continue; // news of its moment, not a state to catch up on
    const to = pair(row.check_id, row.channel_id);
    if (caughtUp.has(to)) continue;
    const known = knowledge.get(to) ?? unknown;
    const endsFlapping = row.kind === "flapping";
    const kind = afterQuiet(row.status, known.belief, endsFlapping);
    if (!kind) continue;
    // The suffix tells delivery that this one sums up a flapping episode (services/alert-pipeline/send.ts).
    const key = `${row.latest_flip}:${row.channel_id}:${endsFlapping ? FLAPPING_OVER : "resume"}`;
    planned.push({ key, flip: row.latest_flip, channel: row.channel_id, check: row.check_id, kind, suppressed: null });
    caughtUp.add(to);
    learn(knowledge, row.check_id, row.channel_id, kind, now);
  }
  if (resolved.length === 0) return 0;
  await batch(db, [
    insertNotifications(planned, now),
    sql`UPDATE notifications SET ${col(notifications, "resolvedAt")} = ${now}
      WHERE ${col(notifications, "id")} IN (SELECT value FROM json_each(${JSON.stringify(resolved)}))`,
  ]);
  return planned.length;
}

/** Reminders: every `repeat_every_s` of a channel while a check it was told is down stays down. */
export async function queueReminders(db: Db, now: number, windows?: MaintenanceWindow[]): Promise<number> {
  const r = alias(notifications, "r");
  const candidates = await db.all<
    RawAs<typeof checks, "id", "check_id"> &
      RawRow<typeof checks, "slug" | "tags" | "flapThreshold"> &
      RawAs<typeof checks, "status", "parent_status"> &
      RawAs<typeof channels, "id", "channel_id"> &
      RawRow<typeof channels, "repeatEveryS" | "filterTags" | "filterChecks"> & { incident: number; reminders: number }
  >(sql`
    SELECT d.*, (SELECT count(*) FROM notifications r
                 WHERE ${r.flipId} = d.incident AND ${r.channelId} = d.channel_id AND ${r.kind} = 'reminder') AS reminders
    FROM (
      SELECT ${c.id} AS check_id, ${c.slug}, ${c.tags}, ${c.flapThreshold}, ${p.status} AS parent_status,
        ${ch.id} AS channel_id, ${ch.repeatEveryS}, ${ch.filterTags}, ${ch.filterChecks},
        (SELECT max(${flips.id}) FROM flips WHERE ${flips.checkId} = ${c.id} AND ${flips.toStatus} = 'down') AS incident
      FROM checks c LEFT JOIN checks p ON ${p.id} = ${c.parentId} CROSS JOIN channels ch
      WHERE ${c.status} = 'down' AND ${ch.repeatEveryS} IS NOT NULL AND ${ch.status} = 'ok'
      LIMIT ${ROWS_PER_RUN}) d
    WHERE d.incident IS NOT NULL`);
  if (candidates.length === 0) return 0;
  const checkIds = [...new Set(candidates.map((c) => c.check_id))];
  const [active, knowledge, recent] = await Promise.all([
    windows ?? listWindows(db),
    channelKnowledge(db, checkIds),
    recentFlips(db, checkIds, now - HOUR),
  ]);

  const planned: Planned[] = [];
  for (const row of candidates) {
    const check = { slug: row.slug, tags: JSON.parse(row.tags) as string[] };
    const scope = { tags: JSON.parse(row.filter_tags) as string[], checks: JSON.parse(row.filter_checks) as string[] };
    if (!channelCovers(scope, check)) continue;
    const quiet = {
      inMaintenance: activeWindowFor(active, check, now) !== null,
      parentDown: row.parent_status === "down",
      flipsLastHour: stateChanges(recent.get(row.check_id) ?? []),
      flapThreshold: row.flap_threshold,
    };
    if (isQuiet("down", quiet)) continue;
    const known = knowledge.get(pair(row.check_id, row.channel_id)) ?? unknown;
    // Not null: the query keeps only channels that repeat.
    if (!reminderDue("down", known.belief, known.lastAt, row.repeat_every_s!, now)) continue;
    const n = row.reminders + 1;
    planned.push({
      key: `${row.incident}:${row.channel_id}:reminder:${n}`,
      flip: row.incident,
      channel: row.channel_id,
      check: row.check_id,
      kind: "reminder",
      suppressed: null,
    });
  }
  if (planned.length > 0) await batch(db, [insertNotifications(planned, now)]);
  return planned.length;
}

// One JSON parameter carries every row: D1 allows 100 bound parameters per statement.
function insertNotifications(rows: Planned[], now: number) {
  const columns = (
    [
      "idempotencyKey",
      "flipId",
      "channelId",
      "checkId",
      "kind",
      "status",
      "suppressedReason",
      "nextAttemptAt",
      "createdAt",
    ] as const
  ).map((key) => col(notifications, key));
  return sql`
    INSERT INTO notifications (${sql.join(columns, sql`, `)})
    SELECT json_extract(value, '$.key'), json_extract(value, '$.flip'), json_extract(value, '$.channel'),
      json_extract(value, '$.check'), json_extract(value, '$.kind'),
      CASE WHEN json_extract(value, '$.suppressed') IS NULL THEN 'pending' ELSE 'suppressed' END,
      json_extract(value, '$.suppressed'), ${now}, ${now}
    FROM json_each(${JSON.stringify(rows)}) WHERE true
    ON CONFLICT (${col(notifications, "idempotencyKey")}) DO NOTHING`;
}

const unknown: Knowledge = { belief: "up", lastAt: 0, flappingAt: null };
const pair = (checkId: number, channelId: number) => `${checkId}:${channelId}`;

function learn(map: Map<string, Knowledge>, checkId: number, channelId: number, kind: NotificationKind, at: number) {
  const known = map.get(pair(checkId, channelId)) ?? unknown;
  map.set(pair(checkId, channelId), {
    belief: kind === "reminder" || isNotice(kind) ? known.belief : beliefOf(kind),
    lastAt: at,
    flappingAt: kind === "flapping" ? at : known.flappingAt,
  });
}

function channelScopes(db: Db): Promise<Scope[]> {
  return db
    .select({
      id: channels.id,
      tags: channels.filterTags,
      checks: channels.filterChecks,
      createdAt: channels.createdAt,
      repeatEveryS: channels.repeatEveryS,
    })
    .from(channels)
    .orderBy(channels.id);
}

/** What each channel was last told about each of these checks (suppressed rows told nothing). */
async function channelKnowledge(db: Db, checkIds: number[]): Promise<Map<string, Knowledge>> {
  const ids = JSON.stringify(checkIds);
  const [latest, flapping] = await Promise.all([
    db.all<NonNullIn<RawRow<typeof notifications, "checkId" | "channelId" | "kind" | "createdAt">, "check_id">>(sql`
      SELECT ${n.checkId}, ${n.channelId}, ${n.kind}, ${n.createdAt} FROM notifications n WHERE ${n.id} IN (
        SELECT max(${notifications.id}) FROM notifications
        WHERE ${notifications.checkId} IN (SELECT value FROM json_each(${ids}))
          AND ${notifications.status} != 'suppressed' AND ${notifications.kind} NOT IN ('retention', 'drill')
        GROUP BY ${notifications.checkId}, ${notifications.channelId})`),
    db.all<
      NonNullIn<RawRow<typeof notifications, "checkId" | "channelId">, "check_id"> &
        RawAs<typeof notifications, "createdAt", "at">
    >(sql`
      SELECT ${n.checkId}, ${n.channelId}, max(${n.createdAt}) AS at FROM notifications n
      WHERE ${n.checkId} IN (SELECT value FROM json_each(${ids})) AND ${n.kind} = 'flapping' AND ${n.status} != 'suppressed'
      GROUP BY ${n.checkId}, ${n.channelId}`),
  ]);
  const map = new Map<string, Knowledge>();
  const flappingAt = new Map(flapping.map((f) => [pair(f.check_id, f.channel_id), f.at]));
  for (const row of latest) {
    // A reminder repeats a "down"; the belief is the same.
    const belief = row.kind === "reminder" ? "down" : beliefOf(row.kind);
    const key = pair(row.check_id, row.channel_id);
    map.set(key, { belief, lastAt: row.created_at, flappingAt: flappingAt.get(key) ?? null });
  }
  return map;
}

type RecentFlip = RawRow<typeof flips, "id" | "reason"> &
  RawAs<typeof flips, "createdAt", "at"> &
  RawAs<typeof flips, "fromStatus", "from"> &
  RawAs<typeof flips, "toStatus", "to">;

/**
 * The up/down flips of each check since `since` (notices left out: they change no state): what
 * the flapping count and the "new reason" rule are computed from.
 */
async function recentFlips(db: Db, checkIds: number[], since: number): Promise<Map<number, RecentFlip[]>> {
  const rows = await db.all<RecentFlip & RawRow<typeof flips, "checkId">>(sql`
    SELECT ${flips.checkId}, ${flips.id}, ${flips.createdAt} AS at, ${flips.fromStatus} AS "from",
      ${flips.toStatus} AS "to", ${flips.reason} FROM flips
    WHERE ${flips.checkId} IN (SELECT value FROM json_each(${JSON.stringify(checkIds)})) AND ${flips.createdAt} > ${since}
      AND ${flips.toStatus} IN ('up', 'down')
      AND ${flips.reason} NOT IN (SELECT value FROM json_each(${JSON.stringify(NOTICE_REASONS)}))`);
  const map = new Map<number, RecentFlip[]>();
  for (const row of rows) map.set(row.check_id, [...(map.get(row.check_id) ?? []), row]);
  return map;
}

/** State changes among these flips: a down check failing for a new reason is news, not flapping. */
const stateChanges = (flips: RecentFlip[]) => flips.filter((f) => f.from !== f.to).length;
