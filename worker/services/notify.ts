import { sql } from "drizzle-orm";
import {
  eventName,
  GIVE_UP_AFTER_MS,
  isPermanentFailure,
  retryDelayMs,
  webhookBody,
  webhookSignature,
  type AlertEvent,
} from "../domain/webhook";
import { channelSecret } from "./channels";
import { batch, type Db } from "./db";

/** Free plan: 50 subrequests per invocation. Deliveries stay well under it; the rest goes next run. */
export const DELIVERIES_PER_RUN = 20;
const FLIPS_PER_RUN = 200;
const CLAIM_MS = 60_000;
const SEND_TIMEOUT_MS = 10_000;

export type NotifyContext = { db: Db; masterKey: string; publicUrl: string; now: number };

/**
 * Turns unprocessed flips into one outbox row per (flip, channel). Down flips alert, and so do up
 * flips that end an outage; new→up does not. A channel hears of flips from its creation on. Both statements see the same flips (a D1 batch is one
 * transaction) and the idempotency key makes a rerun harmless.
 */
export async function fanOutFlips(db: Db, now: number): Promise<number> {
  const pending = sql`SELECT id FROM flips WHERE processed_at IS NULL ORDER BY id LIMIT ${FLIPS_PER_RUN}`;
  const [inserted] = await batch(db, [
    sql`
      INSERT INTO notifications (idempotency_key, flip_id, channel_id, status, next_attempt_at, created_at)
      SELECT f.id || ':' || ch.id, f.id, ch.id, 'pending', ${now}, ${now}
      FROM flips f CROSS JOIN channels ch
      WHERE f.id IN (${pending}) AND ch.created_at <= f.created_at
        AND (f.to_status = 'down' OR (f.to_status = 'up' AND f.from_status = 'down'))
      ON CONFLICT (idempotency_key) DO NOTHING`,
    sql`UPDATE flips SET processed_at = ${now} WHERE id IN (${pending})`,
  ]);
  return inserted!.meta.changes ?? 0;
}

type DueRow = {
  id: number;
  idempotency_key: string;
  attempts: number;
  created_at: number;
  channel_uuid: string;
  channel_url: string;
  check_uuid: string;
  check_name: string;
  check_slug: string;
  check_tags: string;
  last_ping_at: number | null;
  from_status: string;
  to_status: string;
  reason: string;
  detail: string;
  flip_at: number;
};

/**
 * Sends due notifications. Rows are claimed with one conditional UPDATE, so two overlapping runs
 * never send the same row; a run that dies mid-send leaves a claim that expires and is retried.
 */
export async function deliverDue(
  ctx: NotifyContext,
  limit = DELIVERIES_PER_RUN,
): Promise<{ sent: number; failed: number }> {
  const { db, now } = ctx;
  const ids = await db.all<{ id: number }>(sql`
    UPDATE notifications SET claimed_until = ${now + CLAIM_MS}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM notifications
      WHERE status = 'pending' AND next_attempt_at <= ${now} AND (claimed_until IS NULL OR claimed_until < ${now})
      ORDER BY next_attempt_at LIMIT ${limit}
    )
    RETURNING id`);
  if (ids.length === 0) return { sent: 0, failed: 0 };
  const claimed = await db.all<DueRow>(sql`
    SELECT n.id, n.idempotency_key, n.attempts, n.created_at,
      ch.uuid AS channel_uuid, json_extract(ch.config, '$.url') AS channel_url,
      c.uuid AS check_uuid, c.name AS check_name, c.slug AS check_slug, c.tags AS check_tags, c.last_ping_at,
      f.from_status, f.to_status, f.reason, f.detail, f.created_at AS flip_at
    FROM notifications n
      JOIN channels ch ON ch.id = n.channel_id
      JOIN flips f ON f.id = n.flip_id
      JOIN checks c ON c.id = f.check_id
    WHERE n.id IN (${sql.join(
      ids.map((r) => sql`${r.id}`),
      sql`, `,
    )})`);

  const outcomes = await Promise.all(claimed.map((row) => send(ctx, row)));
  await batch(
    db,
    outcomes.map((o) => o.statement),
  );
  return {
    sent: outcomes.filter((o) => o.ok).length,
    failed: outcomes.filter((o) => !o.ok).length,
  };
}

async function send(ctx: NotifyContext, row: DueRow) {
  const { db, now } = ctx;
  const event: AlertEvent = {
    deliveryId: row.idempotency_key,
    check: {
      uuid: row.check_uuid,
      name: row.check_name,
      slug: row.check_slug,
      tags: JSON.parse(row.check_tags) as string[],
      url: `${ctx.publicUrl}/api/v1/checks/${row.check_uuid}`,
    },
    flip: { from: row.from_status, to: row.to_status, reason: row.reason, detail: row.detail, at: row.flip_at },
    lastPingAt: row.last_ping_at,
  };
  const error = await postWebhook(ctx, row, event);
  if (error === null) {
    return {
      ok: true,
      statement: sql`UPDATE notifications SET status = 'sent', sent_at = ${now}, claimed_until = NULL, last_error = NULL WHERE id = ${row.id}`,
    };
  }
  const giveUp = error.permanent || now - row.created_at >= GIVE_UP_AFTER_MS;
  const status = giveUp ? "failed" : "pending";
  const nextAttemptAt = now + retryDelayMs(row.attempts);
  return {
    ok: false,
    statement: sql`
      UPDATE notifications SET status = ${status}, next_attempt_at = ${nextAttemptAt}, claimed_until = NULL,
        last_error = ${error.message}
      WHERE id = ${row.id}`,
  };
}

async function postWebhook(ctx: NotifyContext, row: DueRow, event: AlertEvent) {
  const body = webhookBody(event);
  const timestamp = Math.floor(ctx.now / 1000);
  const secret = await channelSecret(ctx.masterKey, { uuid: row.channel_uuid });
  try {
    const response = await fetch(row.channel_url, {
      method: "POST",
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Lifeboat-Webhook/1",
        "X-Lifeboat-Event": eventName(event.flip),
        "X-Lifeboat-Delivery": row.idempotency_key,
        "X-Lifeboat-Webhook-Timestamp": String(timestamp),
        "X-Lifeboat-Webhook-Signature": await webhookSignature(secret, timestamp, body),
      },
    });
    await response.body?.cancel();
    if (response.ok) return null;
    return { permanent: isPermanentFailure(response.status), message: `receiver answered HTTP ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    return {
      permanent: false,
      message: timedOut ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : `could not connect: ${String(error)}`,
    };
  }
}
