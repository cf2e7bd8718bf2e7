import { sql } from "drizzle-orm";
import type { Db } from "../db";

export type DeliveryRow = {
  id: number;
  check_uuid: string;
  check_unique_key: string;
  check_name: string;
  channel_uuid: string;
  kind: "down" | "up" | "reminder" | "flapping" | "retention" | "drill";
  status: "pending" | "sent" | "failed" | "suppressed";
  suppressed_reason: string | null;
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: number;
  sent_at: number | null;
  next_attempt_at: number;
};

/** The delivery log: the last notifications of a channel or of a check, newest first. */
export async function listDeliveries(db: Db, of: { channelId?: number; checkId?: number }, limit = 100) {
  const where = of.channelId !== undefined ? sql`n.channel_id = ${of.channelId}` : sql`n.check_id = ${of.checkId}`;
  return db.all<DeliveryRow>(sql`
    SELECT n.id, c.uuid AS check_uuid, c.unique_key AS check_unique_key, c.name AS check_name, ch.uuid AS channel_uuid, n.kind, n.status,
      n.suppressed_reason, n.attempts, n.last_error, n.response_status, n.created_at, n.sent_at, n.next_attempt_at
    FROM notifications n JOIN checks c ON c.id = n.check_id JOIN channels ch ON ch.id = n.channel_id
    WHERE ${where} ORDER BY n.id DESC LIMIT ${limit}`);
}
