import { hmacSha256, toHex } from "./signing";

export type AlertEvent = {
  deliveryId: string;
  check: { uuid: string; name: string; slug: string; tags: string[]; url: string };
  flip: { from: string; to: string; reason: string; detail: string; at: number };
  lastPingAt: number | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function eventName(flip: AlertEvent["flip"]): string {
  return flip.to === "down" ? "check.down" : "check.up";
}

/** The JSON a webhook receives; documented in docs/WEBHOOKS.md. */
export function webhookBody(event: AlertEvent): string {
  return JSON.stringify({
    event: eventName(event.flip),
    delivery_id: event.deliveryId,
    check: event.check,
    status: event.flip.to,
    previous_status: event.flip.from,
    reason: event.flip.reason,
    detail: event.flip.detail,
    since: iso(event.flip.at),
    last_ping_at: iso(event.lastPingAt),
  });
}

/**
 * Receivers verify `X-Lifeboat-Webhook-Signature: sha256=<hex>` as HMAC-SHA256 of
 * "<X-Lifeboat-Webhook-Timestamp>.<raw body>" under the channel's signing secret (Stripe's scheme).
 */
export async function webhookSignature(secret: string, timestamp: number, body: string): Promise<string> {
  return `sha256=${toHex(await hmacSha256(secret, `${timestamp}.${body}`))}`;
}

/** Exponential backoff: 30 s, 1 min, 2 min, … capped at one hour between tries. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export const GIVE_UP_AFTER_MS = 24 * 3_600_000;

/** 404 and 410 mean the receiver is gone; retrying cannot help. */
export function isPermanentFailure(status: number): boolean {
  return status === 404 || status === 410;
}
