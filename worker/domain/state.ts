import { nextExpectedAt, scheduleOf, type ScheduleFields } from "./schedule";

export type StoredStatus = "new" | "up" | "down" | "paused";
export type Status = StoredStatus | "late" | "started";
/** "ign": received and kept, but ignored (healthchecks' methods, keyword filters, manual_resume). */
export type PingKind = "success" | "start" | "fail" | "log" | "exit" | "ign";

/** Why a check changed state: stored on flips and shown in alerts. */
export type FlipReason =
  | "ping" // a success ping brought it up
  | "fail" // /fail
  | "backup_failed" // the agent reported that a backup run failed (POST /v1/backups/{id}/fail)
  | "exit_status" // /<non-zero exit status>
  | "too_short" // success sooner than min_duration_s after /start
  | "too_early" // success more than early_s before the expected time
  | "timeout" // nothing arrived before alert_after
  | "run_timeout" // /start without a finish within the grace time
  | "paused"
  | "resumed"
  | "anomaly"; // a backup arrived but looks wrong (empty, shrank, unchanged)

/** The part of a check the state machine reads and writes. */
export type CheckState = ScheduleFields & {
  /**
   * A backup check is brought up only by a good backup, a restic repository only by a new snapshot
   * (`Ping.goodBackup`); absent: a heartbeat.
   */
  kind?: "heartbeat" | "backup" | "restic";
  status: StoredStatus;
  lastPingAt: number | null;
  lastStartAt: number | null;
  lastStartRid: string | null;
  lastDurationMs: number | null;
  nextDueAt: number | null;
  alertAfter: number | null;
  minDurationS: number | null;
  earlyS: number | null;
  /** Down only after this many failures in a row (1: the first failure). */
  failureThreshold: number;
  consecutiveFailures: number;
  /** healthchecks' manual_resume: a paused check ignores pings until it is resumed. */
  manualResume?: boolean;
  /** Why the status last changed; a down check that fails for another reason flips down → down. */
  statusReason?: string | null;
};

export type Ping = {
  kind: PingKind;
  exitStatus?: number | null;
  rid?: string | null;
  /** For a `fail` raised by the server itself (a suspicious backup): the reason to record. */
  failure?: { reason: FlipReason; detail: string };
  /** A duration the client measured itself (an Uptime Kuma push's `ping`), instead of start → finish. */
  durationMs?: number | null;
  /**
   * When the start with this ping's rid arrived, if that run is not the check's open one (runs that
   * overlap: start R1, start R2, success R1). Looked up by the ping service; measures this ping only.
   */
  runStartedAt?: number | null;
  /**
   * Set only by completeBackup, for the success of a backup that arrived complete and not
   * suspicious, and by the restic server for a new snapshot: the one success that counts on a backup
   * or restic check. No ping URL or signed ping can set it.
   */
  goodBackup?: true;
};

/**
 * A transition: the status changed (or a down check went down for a new reason). Recorded in
 * `flips` only by the flip_on_status trigger, in the statement that changes the check.
 */
export type Flip = { from: StoredStatus; to: StoredStatus; reason: FlipReason; detail: string };

/**
 * Why an event is recorded: news about a check that leaves its status as it is. An event is a
 * `flips` row with from = to, written by services/state-changes.ts recordEvent and by nothing else.
 */
export type EventReason =
  | "retention" // a backup check keeps fewer restore points than its policy asks (services/retention.ts)
  | "drill_failed" // a restore drill failed (services/drills.ts)
  | "drill_not_started" // a restore drill could not start: the backup was not tested
  | "quota"; // the storage quota check, down at 80 %, reached 95 % (services/storage.ts)

/** An event: a Flip that is not a transition, so it carries only its reason and its words. */
export type CheckEvent = Pick<Flip, "detail"> & { reason: EventReason };

export type PingEffect = {
  state: CheckState;
  flip: Flip | null;
  durationMs: number | null;
  /**
   * Why the ping did not count as it said: a success judged a failure, a failure under the
   * threshold, or a success on a backup check that was not a backup (kept in the log, changes nothing).
   */
  outcome: "too_short" | "too_early" | "tolerated" | "not_a_backup" | null;
};

/** The status a person should see now: `late` and `started` come from the clock. */
export function currentStatus(check: CheckState, now: number): Status {
  if (check.status === "paused") return "paused";
  if (check.lastStartAt !== null && now < check.lastStartAt + check.graceS * 1000) return "started";
  if (check.status === "down") return "down";
  if (check.alertAfter !== null && now >= check.alertAfter) return "down";
  if (check.status === "new") return "new";
  if (check.nextDueAt !== null && now >= check.nextDueAt) return "late";
  return "up";
}

export function applyPing(check: CheckState, ping: Ping, now: number): PingEffect {
  if (ping.kind === "log" || ping.kind === "ign") return { state: check, flip: null, durationMs: null, outcome: null };
  // The ping route already stores such a ping as "ign"; this guard, under the write's revision
  // check, covers a pause that landed between the route's read and the write.
  if (check.status === "paused" && check.manualResume)
    return { state: check, flip: null, durationMs: null, outcome: null };
  if (ping.kind === "start") return applyStart(check, ping, now);
  // A backup check is green only because a good backup arrived: anyone holding its ping URL could
  // otherwise clear an alarm (an anomaly, a failed backup) without sending a byte.
  if ((check.kind === "backup" || check.kind === "restic") && isSuccess(ping) && !ping.goodBackup) {
    return { state: check, flip: null, durationMs: null, outcome: "not_a_backup" };
  }

  const run = finishedRun(check, ping, now);
  const durationMs = run.durationMs;
  const failure = failureOf(check, ping, durationMs, now);
  const base: CheckState = {
    ...check,
    lastPingAt: now,
    lastStartAt: run.keepsOpenRun ? check.lastStartAt : null,
    lastStartRid: run.keepsOpenRun ? check.lastStartRid : null,
    lastDurationMs: run.ofOpenRun ? durationMs : null,
  };

  if (failure) {
    const consecutiveFailures = check.consecutiveFailures + 1;
    if (consecutiveFailures < check.failureThreshold && check.status !== "down") {
      // Tolerated: the job did run, so its schedule moves on as after a success, but it is not "up".
      const state: CheckState = { ...base, ...deadlines(check, now), consecutiveFailures };
      return { state, flip: null, durationMs, outcome: "tolerated" };
    }
    const state: CheckState = { ...base, status: "down", nextDueAt: null, alertAfter: null, consecutiveFailures };
    const outcome = failure.reason === "too_short" || failure.reason === "too_early" ? failure.reason : null;
    const detail =
      check.failureThreshold > 1 ? `${failure.detail} (${consecutiveFailures} failures in a row)` : failure.detail;
    return { state, flip: flipTo(check, "down", failure.reason, detail), durationMs, outcome };
  }
  const state: CheckState = {
    ...base,
    status: "up",
    ...deadlines({ ...check, status: "up" }, now),
    consecutiveFailures: 0,
  };
  // The run still open keeps its run deadline, as a start sets it (applyStart).
  if (run.keepsOpenRun) state.alertAfter = check.lastStartAt! + check.graceS * 1000;
  return { state, flip: flipTo(check, "up", "ping", ""), durationMs, outcome: null };
}

/** The next expected ping after one that arrived at `now`, and when the check goes down without it. */
function deadlines(check: CheckState, now: number): Pick<CheckState, "nextDueAt" | "alertAfter"> {
  if (check.status === "paused") return { nextDueAt: null, alertAfter: null };
  const schedule = scheduleOf(check);
  const nextDueAt = nextExpectedAt(schedule, now);
  return { nextDueAt, alertAfter: nextDueAt + schedule.graceS * 1000 };
}

/** The words of the sweep's two reasons (services/sweep.ts writes them in its set-based UPDATE). */
export const TIMEOUT_DETAIL = {
  timeout: "no ping before the deadline",
  run_timeout: "started but never finished within the grace time",
} as const;

/**
 * The timeout transition: alert_after passed with nothing arriving. The sweep applies it to every
 * overdue check in one UPDATE (services/sweep.ts markOverdue), held to this rule by
 * test/worker/timeout-rule.test.ts; pendingTimeout shows it before the sweep runs.
 */
export function applyTimeout(check: CheckState, now: number): { state: CheckState; flip: Flip } | null {
  if (check.status !== "new" && check.status !== "up") return null;
  if (check.alertAfter === null || now < check.alertAfter) return null;
  const reason = check.lastStartAt !== null ? "run_timeout" : "timeout";
  const state: CheckState = { ...check, status: "down", alertAfter: null, lastStartAt: null, lastStartRid: null };
  return { state, flip: { from: check.status, to: "down", reason, detail: TIMEOUT_DETAIL[reason] } };
}

/**
 * The flip the sweep has yet to record for a check that is down by the clock (currentStatus says
 * down, the stored status does not): what it will say, dated at the missed deadline as the
 * flip_on_status trigger dates a timeout. Reading it, the API and the pages say the same before the
 * sweep runs as after it, whether the sweep is a second or an hour late.
 */
export function pendingTimeout(check: CheckState, now: number): (Flip & { at: number }) | null {
  if (check.status === "down" || currentStatus(check, now) !== "down") return null;
  const timeout = applyTimeout(check, now);
  return timeout ? { ...timeout.flip, at: check.alertAfter! } : null;
}

/** Why a check is in the state currentStatus reports, in a word and in words. */
export function currentReason(
  check: CheckState & { statusReason: string | null; statusDetail: string | null },
  now: number,
): { reason: string | null; detail: string | null } {
  const pending = pendingTimeout(check, now);
  return pending
    ? { reason: pending.reason, detail: pending.detail }
    : { reason: check.statusReason, detail: check.statusDetail };
}

export function pause(check: CheckState): CheckState {
  return { ...check, status: "paused", nextDueAt: null, alertAfter: null, lastStartAt: null, lastStartRid: null };
}

/** Resuming starts over as `new`: the check waits for its first ping and cannot alert before it. */
export function resume(check: CheckState): CheckState {
  return { ...check, status: "new", nextDueAt: null, alertAfter: null, lastStartAt: null, lastStartRid: null };
}

/** After a schedule edit the deadline follows the new schedule from the last ping. */
export function reschedule(check: CheckState): CheckState {
  if (check.status !== "up" || check.lastPingAt === null) return check;
  const schedule = scheduleOf(check);
  const nextDueAt = nextExpectedAt(schedule, check.lastPingAt);
  return { ...check, nextDueAt, alertAfter: nextDueAt + schedule.graceS * 1000 };
}

function applyStart(check: CheckState, ping: Ping, now: number): PingEffect {
  const state: CheckState = { ...check, lastStartAt: now, lastStartRid: ping.rid ?? null };
  // A running job that does not finish within the grace time is down. That run deadline replaces
  // the schedule's, even a nearer one: currentStatus shows the run `started` until start + grace,
  // and the sweep must not mark down what the clock still shows running (as in healthchecks).
  // Paused and down checks stay as they are: only a finishing ping changes their state.
  if (check.status === "new" || check.status === "up") state.alertAfter = now + check.graceS * 1000;
  return { state, flip: null, durationMs: null, outcome: null };
}

function isSuccess(ping: Ping): boolean {
  return ping.kind === "success" || (ping.kind === "exit" && !ping.exitStatus);
}

/**
 * What a finishing ping does to runs, as healthchecks does it (hc/api/models.py Check.ping): the
 * finish of the open run (the same rid, or none on both) measures it and closes it; a success with
 * another rid measures its own run (runStartedAt) and leaves the open one open; a failure, or a
 * success without a rid, closes the open run without measuring it.
 */
function finishedRun(
  check: CheckState,
  ping: Ping,
  now: number,
): { durationMs: number | null; ofOpenRun: boolean; keepsOpenRun: boolean } {
  if (ping.durationMs !== undefined && ping.durationMs !== null) {
    return { durationMs: ping.durationMs, ofOpenRun: true, keepsOpenRun: false };
  }
  if (check.lastStartAt !== null && (ping.rid ?? null) === check.lastStartRid) {
    return { durationMs: now - check.lastStartAt, ofOpenRun: true, keepsOpenRun: false };
  }
  const own = ping.rid && ping.runStartedAt != null ? now - ping.runStartedAt : null;
  const keepsOpenRun = check.lastStartAt !== null && isSuccess(ping) && Boolean(ping.rid);
  return { durationMs: own, ofOpenRun: false, keepsOpenRun };
}

function failureOf(
  check: CheckState,
  ping: Ping,
  durationMs: number | null,
  now: number,
): { reason: FlipReason; detail: string } | null {
  if (ping.kind === "fail") return ping.failure ?? { reason: "fail", detail: "the job reported a failure" };
  if (ping.kind === "exit" && ping.exitStatus) {
    return { reason: "exit_status", detail: `exit status ${ping.exitStatus}` };
  }
  if (check.minDurationS !== null && durationMs !== null && durationMs < check.minDurationS * 1000) {
    return {
      reason: "too_short",
      detail: `ran ${formatSeconds(durationMs / 1000)}, expected at least ${formatSeconds(check.minDurationS)}`,
    };
  }
  if (check.earlyS !== null && check.lastPingAt !== null) {
    const expectedAt = nextExpectedAt(scheduleOf(check), check.lastPingAt);
    if (now < expectedAt - check.earlyS * 1000) {
      return {
        reason: "too_early",
        detail: `arrived ${formatSeconds((expectedAt - now) / 1000)} before the expected ${new Date(expectedAt).toISOString()}`,
      };
    }
  }
  return null;
}

/**
 * The state change a transition makes, or null. A check that is down already and fails for another
 * reason (a failed run after a timeout, an empty backup after a failed one) flips down → down: a
 * new reason is news of its own, which alerts even while the check flaps (domain/alerts/rules.ts).
 */
function flipTo(check: CheckState, to: StoredStatus, reason: FlipReason, detail: string): Flip | null {
  if (check.status !== to) return { from: check.status, to, reason, detail };
  const newReason = check.statusReason !== undefined && check.statusReason !== reason;
  return to === "down" && newReason ? { from: "down", to: "down", reason, detail } : null;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}
