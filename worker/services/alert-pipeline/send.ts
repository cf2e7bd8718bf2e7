import { sql } from "drizzle-orm";
import type { ChannelRow } from "../../db/schema";
import { kindOf, renderAlert } from "../../domain/alerts";
import type { Alert, AlertKind } from "../../domain/alerts/alert";
import { retryDelayMs, GIVE_UP_AFTER_MS } from "../../domain/alerts/retry";
import { FLAPPING_OVER } from "../../domain/alerts/rules";
import { egressProblem } from "../../domain/egress";
import { unseal } from "../../domain/seal";
import { brokenStatement, channelSecret, markBroken, markWorking } from "../channels";
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

type DueRow = {
  id: number;
  idempotency_key: string;
  kind: AlertKind;
  attempts: number;
  created_at: number;
  channel_id: number;
  channel_uuid: string;
  channel_kind: ChannelRow["kind"];
  channel_config: string;
  check_id: number;
  check_uuid: string;
  check_name: string;
  check_unique_key: string;
  check_slug: string;
  check_tags: string;
  check_status: string;
  last_ping_at: number | null;
  from_status: string;
  reason: string;
  detail: string;
  flip_at: number;
  log: string | null;
  flips_last_hour: number;
  changes_since_flapping: number | null;
};

export async function deliverDue(
  ctx: DeliveryContext,
  limit = DELIVERIES_PER_RUN,
): Promise<{ sent: number; failed: number }> {
  const { db, now } = ctx;
  const ids = await db.all<{ id: number }>(sql`
    UPDATE notifications SET claimed_until = ${now + CLAIM_MS}, attempts = attempts + 1
    WHERE id IN (
      SELECT n.id FROM notifications n JOIN channels ch ON ch.id = n.channel_id
      WHERE n.status = 'pending' AND n.next_attempt_at <= ${now}
        AND (n.claimed_until IS NULL OR n.claimed_until < ${now}) AND ch.status = 'ok'
      ORDER BY n.next_attempt_at LIMIT ${limit}
    )
    RETURNING id`);
  if (ids.length === 0) return { sent: 0, failed: 0 };

  const rows = await db.all<DueRow>(sql`
    SELECT n.id, n.idempotency_key, n.kind, n.attempts, n.created_at,
      ch.id AS channel_id, ch.uuid AS channel_uuid, ch.kind AS channel_kind, ch.config AS channel_config,
      c.id AS check_id, c.uuid AS check_uuid, c.unique_key AS check_unique_key, c.name AS check_name, c.slug AS check_slug, c.tags AS check_tags,
      c.status AS check_status, c.last_ping_at, f.from_status, f.reason, f.detail, f.created_at AS flip_at,
      (SELECT body FROM pings WHERE check_id = c.id AND received_at <= max(f.created_at, n.created_at) AND body != ''
        ORDER BY n DESC LIMIT 1) AS log,
      (SELECT count(*) FROM flips WHERE check_id = c.id AND created_at > n.created_at - 3600000
        AND created_at <= n.created_at AND ${UP_DOWN_CHANGE}) AS flips_last_hour,
      CASE WHEN n.idempotency_key LIKE ${`%:${FLAPPING_OVER}`} THEN (
        SELECT count(*) FROM flips WHERE check_id = c.id AND created_at <= n.created_at AND ${UP_DOWN_CHANGE}
          AND created_at > (SELECT max(p.created_at) FROM notifications p WHERE p.check_id = n.check_id
            AND p.channel_id = n.channel_id AND p.kind = 'flapping' AND p.status != 'suppressed' AND p.id < n.id))
      END AS changes_since_flapping
    FROM notifications n
      JOIN channels ch ON ch.id = n.channel_id
      JOIN flips f ON f.id = n.flip_id
      JOIN checks c ON c.id = f.check_id
    WHERE n.id IN (SELECT value FROM json_each(${JSON.stringify(ids.map((r) => r.id))}))`);
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
  const { now } = ctx;
  if (result.ok) {
    return sql`UPDATE notifications SET status = 'sent', sent_at = ${now}, claimed_until = NULL, last_error = NULL,
      response_status = ${result.status} WHERE id = ${row.id}`;
  }
  const giveUp = isPermanent(row.channel_kind, result) || now - row.created_at >= GIVE_UP_AFTER_MS;
  return sql`
    UPDATE notifications SET status = ${giveUp ? "failed" : "pending"}, next_attempt_at = ${now + retryDelayMs(row.attempts)},
      claimed_until = NULL, last_error = ${result.message}, response_status = ${result.status}
    WHERE id = ${row.id}`;
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
  const rows = await db.all<{ parent_id: number; name: string; unique_key: string }>(sql`
    SELECT parent_id, name, unique_key FROM checks
    WHERE parent_id IN (SELECT value FROM json_each(${JSON.stringify([...new Set(parentIds)])})) AND status = 'down'
    ORDER BY name`);
  const map = new Map<number, Alert["children"]>();
  for (const row of rows) {
    map.set(row.parent_id, [
      ...(map.get(row.parent_id) ?? []),
      { name: row.name, url: dashboardUrl(publicUrl, row.unique_key) },
    ]);
  }
  return map;
}
