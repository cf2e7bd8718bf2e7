import type { AgentKeyRow, BackupRow, CheckRow, FlipRow, PingRow } from "../../db/schema";
import { currentStatus } from "../../domain/state";
import { effectiveRpoS } from "../../domain/status/rpo";
import type { DeliveryRow } from "../../services/deliveries";

/** Unix ms → ISO 8601, keeping null: every time in the API goes through here. */
export const iso = <T extends number | null>(ms: T) =>
  (ms === null ? null : new Date(ms).toISOString()) as T extends number ? string : string | null;

export type Links = { baseUrl: string; pingKey: string };

/** A check as the API shows it: snake_case, ISO times, derived status and both ping URLs. */
export function checkView(row: CheckRow, links: Links, now: number, parentUuid: string | null = null) {
  return {
    uuid: row.uuid,
    name: row.name,
    slug: row.slug,
    kind: row.kind,
    status: currentStatus(row, now),
    status_reason: row.statusReason,
    period_s: row.cron ? null : row.periodS,
    cron: row.cron,
    tz: row.tz,
    grace_s: row.graceS,
    tags: row.tags,
    desc: row.desc,
    group: row.group,
    public: row.public,
    min_duration_s: row.minDurationS,
    early_s: row.earlyS,
    failure_threshold: row.failureThreshold,
    flap_threshold: row.flapThreshold,
    min_size_fraction: row.minSizeFraction,
    expect_change: row.expectChange,
    retention: {
      keep_last: row.keepLast,
      keep_hourly: row.keepHourly,
      keep_daily: row.keepDaily,
      keep_weekly: row.keepWeekly,
      keep_monthly: row.keepMonthly,
      keep_yearly: row.keepYearly,
      keep_within_s: row.keepWithinS,
      min_age_days: row.minAgeDays,
      tombstone_days: row.tombstoneDays,
      problem: row.retentionProblem,
    },
    parent: parentUuid,
    rpo_s: row.rpoS,
    effective_rpo_s: effectiveRpoS(row, now),
    drill_every_s: row.drillEveryS,
    public_details: row.publicDetails,
    quota_bytes: row.quotaBytes,
    badges: badgeUrls(links.baseUrl, row.badgeKey ?? ""),
    n_pings: row.nPings,
    last_ping_at: iso(row.lastPingAt),
    last_duration_s: row.lastDurationMs === null ? null : row.lastDurationMs / 1000,
    next_due_at: iso(row.nextDueAt),
    alert_after: iso(row.alertAfter),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    ping_url: `${links.baseUrl}/ping/${row.uuid}`,
    slug_ping_url: `${links.baseUrl}/ping/${links.pingKey}/${row.slug}`,
  };
}

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
    n: row.id,
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

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    check: { uuid: row.check_uuid, name: row.check_name },
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
    completed_at: iso(row.completedAt),
    anomaly: row.anomaly,
    failure_log: row.failureLog,
    new_bytes: row.newBytes,
    tombstoned_at: iso(row.tombstonedAt),
    purge_after: iso(row.purgeAfter),
  };
}
