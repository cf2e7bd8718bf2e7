// The generic webhook: a signed JSON POST, documented in docs/WEBHOOKS.md. The body keeps every
// field receivers already read (event … last_ping_at) and adds the newer ones after them.
import { z } from "zod";
import { hmacSha256, toHex } from "../signing";
import type { Alert, AlertKind } from "./alert";
import { defineKind, httpUrl, maskedUrl } from "./channel";
import { drillNotStarted, keepTail } from "./text";

/** The log excerpt is data here, not display text, but a receiver should not get megabytes of it. */
const MAX_LOG = 10_000;

const EVENT: Record<AlertKind, string> = {
  down: "check.down",
  up: "check.up",
  reminder: "check.reminder",
  flapping: "check.flapping",
  retention: "check.retention",
  drill: "check.drill_failed",
  test: "test",
};

/** The event a webhook receiver sees; a drill that could not start has its own. */
const eventOf = (alert: Alert) => (drillNotStarted(alert) ? "check.drill_not_started" : EVENT[alert.kind]);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The JSON a webhook receives. */
export function webhookBody(alert: Alert): string {
  const { uuid, name, slug, tags, url, apiUrl } = alert.check;
  return JSON.stringify({
    event: eventOf(alert),
    delivery_id: alert.deliveryId,
    check: { uuid, name, slug, tags, url, api_url: apiUrl },
    status: alert.check.status,
    previous_status: alert.previousStatus,
    reason: alert.reason,
    detail: alert.reasonText,
    since: iso(alert.since),
    last_ping_at: iso(alert.lastPingAt),
    kind: alert.kind,
    log_excerpt: alert.logExcerpt === null ? null : keepTail(alert.logExcerpt, MAX_LOG),
    children: alert.children,
    flips_last_hour: alert.flipsLastHour,
    flapping_ended: alert.changesSinceFlapping !== null,
    changes_since_flapping: alert.changesSinceFlapping,
    reminder_number: alert.reminderNumber,
  });
}

/**
 * Receivers verify `X-Lifeboat-Webhook-Signature: sha256=<hex>` as HMAC-SHA256 of
 * "<X-Lifeboat-Webhook-Timestamp>.<raw body>" under the channel's signing secret (Stripe's scheme).
 */
export async function webhookSignature(secret: string, timestamp: number, body: string): Promise<string> {
  return `sha256=${toHex(await hmacSha256(secret, `${timestamp}.${body}`))}`;
}

export const webhook = defineKind({
  kind: "webhook",
  config: z.strictObject({ url: httpUrl("url") }),
  // The URL is a credential like a Slack hook's: receivers often carry a token in its path or query,
  // and whoever knows it can post. It is sealed and shown back only as the masked `target`.
  secretFields: ["url"],
  destinationFields: ["url"],
  async render(alert, config, ctx) {
    const body = webhookBody(alert);
    const timestamp = Math.floor(ctx.now / 1000);
    return {
      transport: "http",
      url: config.url,
      body,
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Lifeboat-Webhook/1",
        "X-Lifeboat-Event": eventOf(alert),
        "X-Lifeboat-Delivery": alert.deliveryId,
        "X-Lifeboat-Webhook-Timestamp": String(timestamp),
        "X-Lifeboat-Webhook-Signature": await webhookSignature(ctx.signingSecret, timestamp, body),
      },
    };
  },
  // As documented: only 404 and 410 say the receiver is gone. Anything else, a 401 from a receiver
  // whose clock is off included, may pass, and retries stop after 24 h anyway.
  classify: (status) => (status === 404 || status === 410 ? "permanent" : "retry"),
  describeTarget: (config) => `webhook ${maskedUrl(config.url)}`,
});
