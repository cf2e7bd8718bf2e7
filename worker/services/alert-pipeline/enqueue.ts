import { sql } from "drizzle-orm";
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
import { batch, type Db } from "../db";
import { listWindows } from "../maintenance";

// The enqueue side of the outbox: which notifications exist. Delivery is services/alert-pipeline/send.ts.
// Every step reads a bounded batch, decides in pure code (domain/alerts/rules.ts) and writes in one
// D1 batch whose rows carry idempotency keys, so a rerun or an overlapping run adds nothing twice.

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

type ChannelScopeRow = {
  id: number;
  filter_tags: string;
  filter_checks: string;
  created_at: number;
  repeat_every_s: number | null;
};
type Scope = { id: number; tags: string[]; checks: string[]; createdAt: number; repeatEveryS: number | null };
type Knowledge = { belief: Belief; lastAt: number; flappingAt: number | null };

/** Unprocessed flips → one outbox row per (flip, channel) that should hear of it. */
export async function fanOutFlips(db: Db, now: number): Promise<number> {
  const flips = await db.all<{
    id: number;
    check_id: number;
    from_status: string;
    to_status: string;
    reason: string;
    created_at: number;
    slug: string;
    tags: string;
    flap_threshold: number;
    parent_status: string | null;
  }>(sql`
    SELECT f.id, f.check_id, f.from_status, f.to_status, f.reason, f.created_at, c.slug, c.tags, c.flap_threshold,
      p.status AS parent_status
    FROM flips f JOIN checks c ON c.id = f.check_id LEFT JOIN checks p ON p.id = c.parent_id
    WHERE f.processed_at IS NULL ORDER BY f.id LIMIT ${FLIPS_PER_RUN}`);
  if (flips.length === 0) return 0;

  const checkIds = [...new Set(flips.map((f) => f.check_id))];
  const since = Math.min(...flips.map((f) => f.created_at)) - HOUR;
  const [scopes, windows, knowledge, recent] = await Promise.all([
    channelScopes(db),
    listWindows(db),
    channelKnowledge(db, checkIds),
    recentFlips(db, checkIds, since),
  ]);

  const planned: Planned[] = [];
  for (const flip of flips) {
    const check = { slug: flip.slug, tags: JSON.parse(flip.tags) as string[] };
    const hour = (recent.get(flip.check_id) ?? []).filter(
      (f) => f.at > flip.created_at - HOUR && f.at <= flip.created_at,
    );
    const flipsLastHour = stateChanges(hour);
    const recentDownReasons = hour.filter((f) => f.id < flip.id && f.to === "down").map((f) => f.reason);
    for (const channel of scopes) {
      if (channel.createdAt > flip.created_at || !channelCovers(channel, check)) continue;
      const known = knowledge.get(pair(flip.check_id, channel.id)) ?? unknown;
      const quiet: Quiet = {
        inMaintenance: activeWindowFor(windows, check, flip.created_at) !== null,
        parentDown: flip.parent_status === "down",
        flipsLastHour,
        flapThreshold: flip.flap_threshold,
        flappingAlerted: known.flappingAt !== null && flip.created_at - known.flappingAt < HOUR,
        recentDownReasons,
      };
      const decision = decide({ from: flip.from_status, to: flip.to_status, reason: flip.reason }, known.belief, quiet);
      if (!decision) continue;
      planned.push({
        key: `${flip.id}:${channel.id}`,
        flip: flip.id,
        channel: channel.id,
        check: flip.check_id,
        ...decision,
      });
      if (!decision.suppressed) learn(knowledge, flip.check_id, channel.id, decision.kind, flip.created_at);
    }
  }
  await batch(db, [
    insertNotifications(planned, now),
    sql`UPDATE flips SET processed_at = ${now} WHERE id IN (SELECT value FROM json_each(${JSON.stringify(flips.map((f) => f.id))}))`,
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
  const quietRows = await db.all<{
    id: number;
    check_id: number;
    channel_id: number;
    kind: NotificationKind;
    suppressed_reason: Suppression;
    status: string;
    slug: string;
    tags: string;
    flap_threshold: number;
    parent_status: string | null;
    latest_flip: number;
  }>(sql`
    SELECT n.id, n.check_id, n.channel_id, n.kind, n.suppressed_reason, c.status, c.slug, c.tags, c.flap_threshold,
      p.status AS parent_status, (SELECT max(id) FROM flips WHERE check_id = c.id) AS latest_flip
    FROM notifications n JOIN checks c ON c.id = n.check_id LEFT JOIN checks p ON p.id = c.parent_id
    WHERE n.id IN (
      SELECT id FROM notifications WHERE status = 'suppressed' AND resolved_at IS NULL
      UNION SELECT id FROM notifications WHERE kind = 'flapping' AND resolved_at IS NULL)
    ORDER BY n.id LIMIT ${ROWS_PER_RUN}`);
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
    sql`UPDATE notifications SET resolved_at = ${now} WHERE id IN (SELECT value FROM json_each(${JSON.stringify(resolved)}))`,
  ]);
  return planned.length;
}

/** Reminders: every `repeat_every_s` of a channel while a check it was told is down stays down. */
export async function queueReminders(db: Db, now: number, windows?: MaintenanceWindow[]): Promise<number> {
  const candidates = await db.all<{
    check_id: number;
    slug: string;
    tags: string;
    parent_status: string | null;
    flap_threshold: number;
    channel_id: number;
    repeat_every_s: number;
    filter_tags: string;
    filter_checks: string;
    incident: number;
    reminders: number;
  }>(sql`
    SELECT d.*, (SELECT count(*) FROM notifications r
                 WHERE r.flip_id = d.incident AND r.channel_id = d.channel_id AND r.kind = 'reminder') AS reminders
    FROM (
      SELECT c.id AS check_id, c.slug, c.tags, c.flap_threshold, p.status AS parent_status, ch.id AS channel_id,
        ch.repeat_every_s, ch.filter_tags, ch.filter_checks,
        (SELECT max(id) FROM flips WHERE check_id = c.id AND to_status = 'down') AS incident
      FROM checks c LEFT JOIN checks p ON p.id = c.parent_id CROSS JOIN channels ch
      WHERE c.status = 'down' AND ch.repeat_every_s IS NOT NULL AND ch.status = 'ok'
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
    if (!reminderDue("down", known.belief, known.lastAt, row.repeat_every_s, now)) continue;
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
  return sql`
    INSERT INTO notifications (idempotency_key, flip_id, channel_id, check_id, kind, status, suppressed_reason,
      next_attempt_at, created_at)
    SELECT json_extract(value, '$.key'), json_extract(value, '$.flip'), json_extract(value, '$.channel'),
      json_extract(value, '$.check'), json_extract(value, '$.kind'),
      CASE WHEN json_extract(value, '$.suppressed') IS NULL THEN 'pending' ELSE 'suppressed' END,
      json_extract(value, '$.suppressed'), ${now}, ${now}
    FROM json_each(${JSON.stringify(rows)}) WHERE true
    ON CONFLICT (idempotency_key) DO NOTHING`;
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

async function channelScopes(db: Db): Promise<Scope[]> {
  const rows = await db.all<ChannelScopeRow>(
    sql`SELECT id, filter_tags, filter_checks, created_at, repeat_every_s FROM channels ORDER BY id`,
  );
  return rows.map((r) => ({
    id: r.id,
    tags: JSON.parse(r.filter_tags) as string[],
    checks: JSON.parse(r.filter_checks) as string[],
    createdAt: r.created_at,
    repeatEveryS: r.repeat_every_s,
  }));
}

/** What each channel was last told about each of these checks (suppressed rows told nothing). */
async function channelKnowledge(db: Db, checkIds: number[]): Promise<Map<string, Knowledge>> {
  const ids = JSON.stringify(checkIds);
  const [latest, flapping] = await Promise.all([
    db.all<{ check_id: number; channel_id: number; kind: NotificationKind; created_at: number }>(sql`
      SELECT check_id, channel_id, kind, created_at FROM notifications WHERE id IN (
        SELECT max(id) FROM notifications
        WHERE check_id IN (SELECT value FROM json_each(${ids})) AND status != 'suppressed'
          AND kind NOT IN ('retention', 'drill')
        GROUP BY check_id, channel_id)`),
    db.all<{ check_id: number; channel_id: number; at: number }>(sql`
      SELECT check_id, channel_id, max(created_at) AS at FROM notifications
      WHERE check_id IN (SELECT value FROM json_each(${ids})) AND kind = 'flapping' AND status != 'suppressed'
      GROUP BY check_id, channel_id`),
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

type RecentFlip = { id: number; at: number; from: string; to: string; reason: string };

/**
 * The up/down flips of each check since `since` (notices left out: they change no state): what
 * the flapping count and the "new reason" rule are computed from.
 */
async function recentFlips(db: Db, checkIds: number[], since: number): Promise<Map<number, RecentFlip[]>> {
  const rows = await db.all<RecentFlip & { check_id: number }>(sql`
    SELECT check_id, id, created_at AS at, from_status AS "from", to_status AS "to", reason FROM flips
    WHERE check_id IN (SELECT value FROM json_each(${JSON.stringify(checkIds)})) AND created_at > ${since}
      AND to_status IN ('up', 'down')
      AND reason NOT IN (SELECT value FROM json_each(${JSON.stringify(NOTICE_REASONS)}))`);
  const map = new Map<number, RecentFlip[]>();
  for (const row of rows) map.set(row.check_id, [...(map.get(row.check_id) ?? []), row]);
  return map;
}

/** State changes among these flips: a down check failing for a new reason is news, not flapping. */
const stateChanges = (flips: RecentFlip[]) => flips.filter((f) => f.from !== f.to).length;
