import type { MaintenanceWindow } from "../domain/maintenance";
import { currentStatus, pendingTimeout, type CheckState, type Status } from "../domain/state";
import type { StatusChange } from "../domain/status/timeline";
import type { CheckRecord, WindowRecord } from "./status-queries";

// The status page's raw rows (snake_case, JSON as text) as the domain's shapes.

/** The derived status (late, started) from the columns the page reads. */
export function statusNow(c: CheckRecord, now: number): Status {
  return currentStatus(stateOf(c), now);
}

/** The down change the sweep has yet to record, if the clock already says down (domain/state.ts). */
export function pendingChange(c: CheckRecord, now: number): StatusChange | null {
  const pending = pendingTimeout(stateOf(c), now);
  return (
    pending && { at: pending.at, from: pending.from, to: pending.to, reason: pending.reason, detail: pending.detail }
  );
}

function stateOf(c: CheckRecord): CheckState {
  return {
    periodS: c.period_s,
    cron: c.cron,
    tz: c.tz,
    graceS: c.grace_s,
    status: c.status,
    lastStartAt: c.last_start_at,
    nextDueAt: c.next_due_at,
    alertAfter: c.alert_after,
    // Read by neither currentStatus nor pendingTimeout.
    lastPingAt: null,
    lastStartRid: null,
    lastDurationMs: null,
    minDurationS: null,
    earlyS: null,
    failureThreshold: 1,
    consecutiveFailures: 0,
  };
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
