import type { AgentKeyRow, BackupRow, FlipRow, PingRow } from "../../db/schema";
import type { DeliveryRow } from "../../services/alert-pipeline/delivery-log";

/** Unix ms → ISO 8601, keeping null: every time in the API goes through here. */
export const iso = <T extends number | null>(ms: T) =>
  (ms === null ? null : new Date(ms).toISOString()) as T extends number ? string : string | null;

export function pingView(row: PingRow) {
  return {
    n: row.n,
    kind: row.kind,
    exit_status: row.exitStatus,
    rid: row.rid,
    duration_s: row.durationMs === null ? null : row.durationMs / 1000,
    outcome: row.outcome,
    body: row.body,
    body_truncated: row.bodyTruncated,
    source: row.source,
    method: row.method,
    ip: row.ip,
    user_agent: row.userAgent,
    key_id: row.keyId,
    received_at: iso(row.receivedAt),
  };
}

export function flipView(row: FlipRow) {
  return {
    from: row.fromStatus,
    to: row.toStatus,
    reason: row.reason,
    detail: row.detail,
    at: iso(row.createdAt),
  };
}

/** `capable`: the admin token (the check's uuid is shown); the read-only token gets the unique_key only. */
export function deliveryView(row: DeliveryRow, capable: boolean) {
  return {
    id: row.id,
    check: {
      ...(capable ? { uuid: row.check_uuid } : {}),
      unique_key: row.check_unique_key,
      name: row.check_name,
    },
    channel: row.channel_uuid,
    kind: row.kind,
    status: row.status,
    suppressed_reason: row.suppressed_reason,
    attempts: row.attempts,
    last_error: row.last_error,
    response_status: row.response_status,
    created_at: iso(row.created_at),
    sent_at: iso(row.sent_at),
    next_attempt_at: row.status === "pending" ? iso(row.next_attempt_at) : null,
  };
}

export function keyView(row: AgentKeyRow) {
  return {
    key_id: row.id,
    host: row.host,
    checks: row.checks,
    scopes: row.scopes,
    created_at: iso(row.createdAt),
    revoked_at: iso(row.revokedAt),
    last_used_at: iso(row.lastUsedAt),
  };
}

/** A backup's metadata as both the agent and the admin API show it (no R2 keys, no part hashes). */
export function backupView(row: BackupRow) {
  return {
    id: row.id,
    status: row.status,
    size: row.size,
    sha256: row.sha256,
    part_size: row.partSize,
    parts: row.partCount,
    compression: row.compression,
    encryption: row.encryption,
    source: row.source,
    host: row.host,
    meta: row.meta,
    key_id: row.keyId,
    received_at: iso(row.receivedAt),
    immutable_until: iso(row.immutableUntil),
    completed_at: iso(row.completedAt),
    anomaly: row.anomaly,
    failure_log: row.failureLog,
    new_bytes: row.newBytes,
    tombstoned_at: iso(row.tombstonedAt),
    purge_after: iso(row.purgeAfter),
    // Kept and returned as sent: only the restoring host can tell whether it trusts the signer.
    signature: row.signature,
  };
}
