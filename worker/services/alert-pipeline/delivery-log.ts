import { desc, eq } from "drizzle-orm";
import { channels, checks, notifications } from "../../db/schema";
import type { Db } from "../db";

export type DeliveryRow = Awaited<ReturnType<typeof listDeliveries>>[number];

/**
 * The delivery log: the last notifications of a channel or of a check, newest first, under the
 * API's snake_case names (routes/api/views.ts deliveryView).
 */
export async function listDeliveries(db: Db, of: { channelId?: number; checkId?: number }, limit = 100) {
  const where =
    of.channelId !== undefined ? eq(notifications.channelId, of.channelId) : eq(notifications.checkId, of.checkId!);
  const rows = await db
    .select({
      id: notifications.id,
      check_uuid: checks.uuid,
      check_unique_key: checks.uniqueKey,
      check_name: checks.name,
      channel_uuid: channels.uuid,
      kind: notifications.kind,
      status: notifications.status,
      suppressed_reason: notifications.suppressedReason,
      attempts: notifications.attempts,
      last_error: notifications.lastError,
      response_status: notifications.responseStatus,
      created_at: notifications.createdAt,
      sent_at: notifications.sentAt,
      next_attempt_at: notifications.nextAttemptAt,
    })
    .from(notifications)
    .innerJoin(checks, eq(checks.id, notifications.checkId))
    .innerJoin(channels, eq(channels.id, notifications.channelId))
    .where(where)
    .orderBy(desc(notifications.id))
    .limit(limit);
  // Null in SQL only until the checks_unique_key_default trigger fills it, in the insert's statement.
  return rows.map((row) => ({ ...row, check_unique_key: row.check_unique_key! }));
}
