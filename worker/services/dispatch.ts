import type { Env } from "../env";
import { openDb } from "./db";
import { deliverDue, fanOutFlips } from "./notify";

/**
 * Sends the alerts a ping just caused without waiting for the next sweep (run via waitUntil).
 * The outbox makes this safe to race with a sweep: a row is claimed by exactly one sender.
 */
export async function dispatchAlerts(env: Env, publicUrl: string, now: number): Promise<void> {
  const db = openDb(env.DB);
  try {
    await fanOutFlips(db, now);
    await deliverDue({ db, masterKey: env.LIFEBOAT_MASTER_KEY, publicUrl, now });
  } catch (error) {
    // The sweep retries within a minute; log the failure without request data.
    console.error("immediate alert dispatch failed:", error instanceof Error ? error.message : error);
  }
}
