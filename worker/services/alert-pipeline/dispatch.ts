import { allowsInsecureChannels, type Env } from "../../env";
import { openDb } from "../db";
import { deliverDue, type DeliveryContext } from "./send";
import { fanOutFlips } from "./enqueue";
import type { SweepContext } from "../sweep";

/** Everything a delivery needs from the Worker's environment. */
export function deliveryContext(env: Env, publicUrl: string, now: number): DeliveryContext {
  return {
    db: openDb(env.DB),
    masterKey: env.LIFEBOAT_MASTER_KEY,
    publicUrl,
    mailer: { binding: env.EMAIL, from: env.EMAIL_FROM },
    allowInsecure: allowsInsecureChannels(env),
    now,
  };
}

/** The delivery context plus the bucket the sweep's storage steps need. */
export function sweepContext(env: Env, publicUrl: string, now: number): SweepContext {
  return { ...deliveryContext(env, publicUrl, now), bucket: env.BUCKET };
}

/**
 * Sends the alerts a ping just caused without waiting for the next sweep (run via waitUntil).
 * The outbox makes this safe to race with a sweep: a row is claimed by exactly one sender.
 */
export async function dispatchAlerts(env: Env, publicUrl: string, now: number): Promise<void> {
  const ctx = deliveryContext(env, publicUrl, now);
  try {
    await fanOutFlips(ctx.db, now);
    await deliverDue(ctx);
  } catch (error) {
    // The sweep retries within a minute; log the failure without request data.
    console.error("immediate alert dispatch failed:", error instanceof Error ? error.message : error);
  }
}
