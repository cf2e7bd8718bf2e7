import type { MaintenanceWindow } from "../domain/maintenance";
import { currentStatus, type Status } from "../domain/state";
import type { CheckRecord, WindowRecord } from "./status-queries";

// The status page's raw rows (snake_case, JSON as text) as the domain's shapes.

/** The derived status (late, started) from the columns the page reads. */
export function statusNow(c: CheckRecord, now: number): Status {
  const state = {
    periodS: c.period_s,
    cron: c.cron,
    tz: c.tz,
    graceS: c.grace_s,
    status: c.status,
    lastStartAt: c.last_start_at,
    nextDueAt: c.next_due_at,
    alertAfter: c.alert_after,
    // Not read by currentStatus.
    lastPingAt: null,
    lastStartRid: null,
    lastDurationMs: null,
    minDurationS: null,
    earlyS: null,
    failureThreshold: 1,
    consecutiveFailures: 0,
  };
  return currentStatus(state, now);
}

export function windowOf(row: WindowRecord): MaintenanceWindow & { createdAt: number } {
  return {
    id: row.id,
    name: row.name,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    cron: row.cron,
    tz: row.tz,
    durationS: row.duration_s,
    tags: JSON.parse(row.tags),
    checks: JSON.parse(row.checks),
    createdAt: row.created_at,
  };
}
