import type { AgentKeyRow, BackupRow, CheckRow, FlipRow, PingRow } from "../../db/schema";
import { describeRetention, isDefaultRetention } from "../../domain/retention";
import { currentReason, currentStatus } from "../../domain/state";
import { effectiveRpoS } from "../../domain/status/rpo";
import type { DeliveryRow } from "../../services/alert-pipeline/delivery-log";
import { RETENTION_FIELDS, TOP_LEVEL_FIELDS, valuesOf } from "../../domain/check-fields";

/** Unix ms → ISO 8601, keeping null: every time in the API goes through here. */
export const iso = <T extends number | null>(ms: T) =>
  (ms === null ? null : new Date(ms).toISOString()) as T extends number ? string : string | null;

/**
 * `pingKey` null: the answer is for the read-only token, which gets no capability: no uuid and no
 * ping URLs, and the parent by its unique_key (docs/SECURITY.md, "The read-only token").
 */
export type Links = { baseUrl: string; pingKey: string | null };

/** A check as the API shows it: snake_case, ISO times, derived status and both ping URLs. */
export function checkView(row: CheckRow, links: Links, now: number, parent: CheckIds | null = null) {
  const pingKey = links.pingKey;
  // A push token pings the check, like its uuid: only the admin token sees it.
  const { push_token, ...fields } = valuesOf(TOP_LEVEL_FIELDS, row);
  return {
    ...(pingKey !== null ? { uuid: row.uuid } : {}),
    unique_key: uniqueKeyOf(row),
    ...fields,
    ...(pingKey !== null ? { push_token } : {}),
    period_s: row.cron ? null : row.periodS,
    parent: parent && (pingKey !== null ? parent.uuid : parent.uniqueKey),
    status: currentStatus(row, now),
    status_reason: currentReason(row, now).reason,
    retention: {
      ...valuesOf(RETENTION_FIELDS, row),
      problem: row.retentionProblem,
      summary: describeRetention(row),
      default: isDefaultRetention(row, now),
    },
    effective_rpo_s: effectiveRpoS(row, now),
    badges: badgeUrls(links.baseUrl, row.badgeKey ?? ""),
    n_pings: row.nPings,
    last_ping_at: iso(row.lastPingAt),
    last_duration_s: row.lastDurationMs === null ? null : row.lastDurationMs / 1000,
    next_due_at: iso(row.nextDueAt),
    alert_after: iso(row.alertAfter),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    ...(pingKey !== null
      ? {
          ping_url: `${links.baseUrl}/ping/${row.uuid}`,
          slug_ping_url: `${links.baseUrl}/ping/${pingKey}/${row.slug}`,
          push_url: pushUrl(links.baseUrl, row),
        }
      : {}),
  };
}

/** The Uptime Kuma push URL of a check (routes/push.ts): its push token, or its uuid. */
export const pushUrl = (baseUrl: string, row: Pick<CheckRow, "uuid" | "pushToken">) =>
  `${baseUrl}/api/push/${row.pushToken ?? row.uuid}`;

/** How a check may be named: the uuid (a ping capability) and the unique_key (grants nothing). */
export type CheckIds = { uuid: string; uniqueKey: string };

/** The column is filled on every insert (drizzle default or trigger); "" only if a row escaped both. */
export const uniqueKeyOf = (row: { uniqueKey: string | null }) => row.uniqueKey ?? "";

/** The badge URLs of a check (routes/badges.ts). */
export function badgeUrls(baseUrl: string, key: string) {
  const url = (file: string) => `${baseUrl}/badge/${key}/${file}`;
  return {
    state_svg: url("state.svg"),
    rpo_svg: url("rpo.svg"),
    drill_svg: url("drill.svg"),
    state_json: url("state.json"),
    rpo_json: url("rpo.json"),
    drill_json: url("drill.json"),
  };
}

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
