import { eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { channels, checks, flips, notifications, pings, type ChannelRow } from "../../db/schema";
import { kindOf, renderAlert } from "../../domain/alerts";
import type { Alert, AlertKind } from "../../domain/alerts/alert";
import { retryDelayMs, GIVE_UP_AFTER_MS } from "../../domain/alerts/retry";
import { FLAPPING_OVER } from "../../domain/alerts/rules";
import { egressProblem } from "../../domain/egress";
import { unseal } from "../../domain/seal";
import { brokenStatement, channelSecret, markBroken, markWorking } from "../channels";
import { col, type NonNullIn, type RawAs, type RawRow } from "../columns";
import { batch, type Db } from "../db";
import { UP_DOWN_CHANGE } from "../state-changes";
import { transmit, type Mailer, type TransmitResult } from "./transport";

// The sending side of the outbox. Rows are claimed with one conditional UPDATE, so overlapping
// runs never send the same row; a run that dies mid-send leaves a claim that expires and retries.

/**
 * Free plan: 50 subrequests per invocation, and D1 queries may count too. A sweep makes at most
 * ~30 D1 calls of its own (bench/alerts.mjs counts them), so 15 deliveries keep it under 50; the
 * rest goes next minute.
 */
export const DELIVERIES_PER_RUN = 15;
/** Workers open at most 6 connections at once; more would queue and eat into each 10 s timeout. */
const PARALLEL_SENDS = 6;
const CLAIM_MS = 60_000;

export type DeliveryContext = {
  db: Db;
  masterKey: string;
  publicUrl: string;
  mailer: Mailer;
  /** ALLOW_INSECURE_CHANNELS: the egress rules (domain/egress.ts) are off. */
  allowInsecure: boolean;
  now: number;
};

// Raw SQL here: the claim is a guarded UPDATE … RETURNING, and the due rows need correlated
// subqueries per row; columns come from schema.ts through these aliases, rows are typed by RawRow.
const n = alias(notifications, "n");
const ch = alias(channels, "ch");
const c = alias(checks, "c");
const f = alias(flips, "f");

type DueRow = RawRow<typeof notifications, "id" | "idempotencyKey" | "kind" | "attempts" | "createdAt"> &
  RawAs<typeof channels, "id", "channel_id"> &
  RawAs<typeof channels, "uuid", "channel_uuid"> &
  RawAs<typeof channels, "kind", "channel_kind"> &
  RawAs<typeof channels, "config", "channel_config"> &
  RawAs<typeof checks, "id", "check_id"> &
  RawAs<typeof checks, "uuid", "check_uuid"> &
  RawAs<typeof checks, "name", "check_name"> &
  // Null in SQL only until the checks_unique_key_default trigger fills it, in the insert's statement.
  NonNullIn<RawAs<typeof checks, "uniqueKey", "check_unique_key">, "check_unique_key"> &
  RawAs<typeof checks, "slug", "check_slug"> &
  RawAs<typeof checks, "tags", "check_tags"> &
  RawAs<typeof checks, "status", "check_status"> &
  RawRow<typeof checks, "lastPingAt"> &
  RawRow<typeof flips, "fromStatus" | "reason" | "detail"> &
  RawAs<typeof flips, "createdAt", "flip_at"> &
  RawAs<typeof pings, "body", "log"> & {
    flips_last_hour: number;
    changes_since_flapping: number | null;
  };

export async function deliverDue(
  ctx: DeliveryContext,
  limit = DELIVERIES_PER_RUN,
): Promise<{ sent: number; failed: number }> {
  const { db, now } = ctx;
  const [claimedUntil, attempts, id] = [
    col(notifications, "claimedUntil"),
    col(notifications, "attempts"),
    col(notifications, "id"),
  ];
  const ids = await db.all<RawRow<typeof notifications, "id">>(sql`
    UPDATE notifications SET ${claimedUntil} = ${now + CLAIM_MS}, ${attempts} = ${attempts} + 1
    WHERE ${id} IN (
      SELECT ${n.id} FROM notifications n JOIN channels ch ON ${ch.id} = ${n.channelId}
      WHERE ${n.status} = 'pending' AND ${n.nextAttemptAt} <= ${now}
        AND (${n.claimedUntil} IS NULL OR ${n.claimedUntil} < ${now}) AND ${ch.status} = 'ok'
      ORDER BY ${n.nextAttemptAt} LIMIT ${limit}
    )
    RETURNING ${id}`);
  if (ids.length === 0) return { sent: 0, failed: 0 };

  const p = alias(notifications, "p");
  const rows = await db.all<DueRow>(sql`
    SELECT ${n.id}, ${n.idempotencyKey}, ${n.kind}, ${n.attempts}, ${n.createdAt},
      ${ch.id} AS channel_id, ${ch.uuid} AS channel_uuid, ${ch.kind} AS channel_kind, ${ch.config} AS channel_config,
      ${c.id} AS check_id, ${c.uuid} AS check_uuid, ${c.uniqueKey} AS check_unique_key, ${c.name} AS check_name,
      ${c.slug} AS check_slug, ${c.tags} AS check_tags, ${c.status} AS check_status, ${c.lastPingAt},
      ${f.fromStatus}, ${f.reason}, ${f.detail}, ${f.createdAt} AS flip_at,
      (SELECT ${pings.body} FROM pings WHERE ${pings.checkId} = ${c.id}
        AND ${pings.receivedAt} <= max(${f.createdAt}, ${n.createdAt}) AND ${pings.body} != ''
        ORDER BY ${pings.n} DESC LIMIT 1) AS log,
      (SELECT count(*) FROM flips WHERE ${flips.checkId} = ${c.id} AND ${flips.createdAt} > ${n.createdAt} - 3600000
        AND ${flips.createdAt} <= ${n.createdAt} AND ${UP_DOWN_CHANGE}) AS flips_last_hour,
      CASE WHEN ${n.idempotencyKey} LIKE ${`%:${FLAPPING_OVER}`} THEN (
        SELECT count(*) FROM flips WHERE ${flips.checkId} = ${c.id} AND ${flips.createdAt} <= ${n.createdAt}
          AND ${UP_DOWN_CHANGE} AND ${flips.createdAt} > (
            SELECT max(${p.createdAt}) FROM notifications p WHERE ${p.checkId} = ${n.checkId}
              AND ${p.channelId} = ${n.channelId} AND ${p.kind} = 'flapping' AND ${p.status} != 'suppressed'
              AND ${p.id} < ${n.id}))
      END AS changes_since_flapping
    FROM notifications n
      JOIN channels ch ON ${ch.id} = ${n.channelId}
      JOIN flips f ON ${f.id} = ${n.flipId}
      JOIN checks c ON ${c.id} = ${f.checkId}
    WHERE ${n.id} IN (SELECT value FROM json_each(${JSON.stringify(ids.map((r) => r.id))}))`);
  const children = await downChildren(
    db,
    rows.map((r) => r.check_id),
    ctx.publicUrl,
  );

  const outcomes = await inBatchesOf(PARALLEL_SENDS, rows, async (row) => ({
    row,
    result: await sendOne(ctx, row, alertOf(row, children.get(row.check_id) ?? [], ctx)),
  }));
  // A channel that answered for good is marked broken once, in the same batch as the outcomes:
  // one D1 call however many of its deliveries failed (the Free plan counts D1 calls as subrequests).
  const broken = new Map<number, string>();
  for (const { row, result } of outcomes) {
    if (!result.ok && isPermanent(row.channel_kind, result) && !broken.has(row.channel_id))
      broken.set(row.channel_id, result.message);
  }
  await batch(db, [
    ...outcomes.map(({ row, result }) => recordOutcome(ctx, row, result)),
    ...[...broken].map(([channelId, reason]) => brokenStatement(channelId, reason, now)),
  ]);
  return { sent: outcomes.filter((o) => o.result.ok).length, failed: outcomes.filter((o) => !o.result.ok).length };
}

/** A test message through a channel, sent now; its result repairs or breaks the channel like any delivery. */
export async function sendTest(ctx: DeliveryContext, channel: ChannelRow): Promise<TransmitResult> {
  const alert: Alert = {
    kind: "test",
    deliveryId: `test:${channel.uuid}:${ctx.now}`,
    check: {
      uuid: channel.uuid,
      name: "Lifeboat test alert",
      slug: "lifeboat-test",
      tags: [],
      status: "up",
      // A test is about the channel: its links lead to the channels page and the channel's API document.
      url: `${ctx.publicUrl}/admin/channels`,
      apiUrl: `${ctx.publicUrl}/api/v1/channels/${channel.uuid}`,
    },
    previousStatus: null,
    reason: "test",
    reasonText: "a test sent from the API: this channel works",
    since: ctx.now,
    lastPingAt: null,
    logExcerpt: null,
    children: [],
    flipsLastHour: null,
    changesSinceFlapping: null,
    reminderNumber: null,
  };
  const result = await sendOne(
    ctx,
    { channel_kind: channel.kind, channel_config: channel.config, channel_uuid: channel.uuid },
    alert,
  );
  if (result.ok) await markWorking(ctx.db, channel.id);
  else if (isPermanent(channel.kind, result)) await markBroken(ctx.db, channel.id, result.message, ctx.now);
  return result;
}

async function inBatchesOf<T, R>(size: number, items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

async function sendOne(
  ctx: DeliveryContext,
  row: Pick<DueRow, "channel_kind" | "channel_config" | "channel_uuid">,
  alert: Alert,
): Promise<TransmitResult> {
  try {
    const config = await unseal(ctx.masterKey, row.channel_config);
    const signingSecret = await channelSecret(ctx.masterKey, { uuid: row.channel_uuid });
    const delivery = await renderAlert(row.channel_kind, alert, config, { signingSecret, now: ctx.now });
    // Checked again at send time: a channel stored before these rules (or while the flag was on)
    // must not reach an internal address either. Refused before any request is made.
    const refused = delivery.transport === "http" ? egressProblem(delivery.url, ctx.allowInsecure) : null;
    if (refused) return { ok: false, status: null, body: "", message: `refused: ${refused}`, permanent: true };
    return await transmit(delivery, ctx.mailer);
  } catch (error) {
    // A config that no longer parses or renders cannot succeed on retry.
    return { ok: false, status: null, body: "", message: `could not render: ${String(error)}`, permanent: true };
  }
}

function isPermanent(kind: ChannelRow["kind"], result: Extract<TransmitResult, { ok: false }>): boolean {
  if (result.permanent !== undefined) return result.permanent;
  return result.status !== null && kindOf(kind).classify(result.status, result.body) === "permanent";
}

function recordOutcome(ctx: DeliveryContext, row: DueRow, result: TransmitResult) {
  const { db, now } = ctx;
  const giveUp = !result.ok && (isPermanent(row.channel_kind, result) || now - row.created_at >= GIVE_UP_AFTER_MS);
  const outcome: Partial<typeof notifications.$inferInsert> = result.ok
    ? { status: "sent", sentAt: now, lastError: null }
    : {
        status: giveUp ? "failed" : "pending",
        nextAttemptAt: now + retryDelayMs(row.attempts),
        lastError: result.message,
      };
  return db
    .update(notifications)
    .set({ ...outcome, claimedUntil: null, responseStatus: result.status })
    .where(eq(notifications.id, row.id));
}

function alertOf(row: DueRow, children: Alert["children"], ctx: DeliveryContext): Alert {
  const reminder = row.kind === "reminder";
  return {
    kind: row.kind,
    deliveryId: row.idempotency_key,
    check: {
      uuid: row.check_uuid,
      name: row.check_name,
      slug: row.check_slug,
      tags: JSON.parse(row.check_tags) as string[],
      status: STATE_OF[row.kind] ?? row.check_status,
      url: dashboardUrl(ctx.publicUrl, row.check_unique_key),
      apiUrl: `${ctx.publicUrl}/api/v1/checks/${row.check_uuid}`,
    },
    previousStatus: row.kind === "down" || row.kind === "up" ? row.from_status : null,
    reason: row.reason,
    reasonText: row.detail || row.reason,
    since: row.flip_at,
    lastPingAt: row.last_ping_at,
    logExcerpt: row.log,
    children: row.kind === "down" || reminder ? children : [],
    flipsLastHour: row.kind === "flapping" ? row.flips_last_hour : null,
    changesSinceFlapping: row.changes_since_flapping,
    reminderNumber: reminder ? Number(/:reminder:(\d+)$/.exec(row.idempotency_key)?.[1] ?? 1) : null,
  };
}

/** The state an alert reports, whatever the check did since (a retry may go out later). */
const STATE_OF: Partial<Record<AlertKind, string>> = { down: "down", reminder: "down", up: "up" };

/** The check's dashboard page: people follow alert links in a browser, which has a login but no bearer token. */
const dashboardUrl = (publicUrl: string, uniqueKey: string) => `${publicUrl}/admin/checks/${uniqueKey}`;

/** Dependent checks that are down too: a parent's alert lists them instead of each alerting alone. */
async function downChildren(db: Db, parentIds: number[], publicUrl: string): Promise<Map<number, Alert["children"]>> {
  // The status as a literal, not a parameter: SQLite uses the checks_down partial index only then.
  const rows = await db
    .select({ parentId: checks.parentId, name: checks.name, uniqueKey: checks.uniqueKey })
    .from(checks)
    .where(
      sql`${checks.parentId} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(parentIds)])}))
        AND ${checks.status} = 'down'`,
    )
    .orderBy(checks.name);
  const map = new Map<number, Alert["children"]>();
  for (const row of rows) {
    map.set(row.parentId!, [
      ...(map.get(row.parentId!) ?? []),
      { name: row.name, url: dashboardUrl(publicUrl, row.uniqueKey!) },
    ]);
  }
  return map;
}
