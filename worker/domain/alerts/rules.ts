import type { AlertKind } from "./alert";

/** What a channel was last told about a check: the kind of its last notification that was not suppressed. */
export type Belief = "up" | "down" | "flapping";

export type NotificationKind = Exclude<AlertKind, "test">;

export type Suppression = "maintenance" | "parent_down" | "flapping";

export type Decision = { kind: NotificationKind; suppressed: Suppression | null };

/** Flip reasons that alert without a state change, and the kind of alert each sends. */
const NOTICES: Record<string, NotificationKind> = {
  retention: "retention",
  drill_failed: "drill",
  drill_not_started: "drill",
};
export const isNotice = (kind: NotificationKind) => kind === "retention" || kind === "drill";

export function beliefOf(lastKind: NotificationKind | null): Belief {
  if (lastKind === null || lastKind === "up") return "up";
  return lastKind === "flapping" ? "flapping" : "down";
}

export type ChannelScope = { tags: string[]; checks: string[] };

/** A channel limited by tags and/or slugs hears only of those checks; without limits, of all. */
export function channelCovers(scope: ChannelScope, check: { slug: string; tags: string[] }): boolean {
  if (scope.tags.length === 0 && scope.checks.length === 0) return true;
  return scope.checks.includes(check.slug) || check.tags.some((tag) => scope.tags.includes(tag));
}

/** What currently keeps a check's alerts quiet, in order of precedence. */
export type Quiet = {
  inMaintenance: boolean;
  parentDown: boolean;
  /** State changes in the last hour, this one included. */
  flipsLastHour: number;
  flapThreshold: number;
  /** A flapping alert already went to this channel within the hour. */
  flappingAlerted: boolean;
  /** Why the check went down in its other flips of the last hour: what its flapping is made of. */
  recentDownReasons: readonly string[];
};

/** Flip reasons of notices: news that changes no state, so the flapping count leaves them out. */
export const NOTICE_REASONS = Object.keys(NOTICES);

/** Idempotency-key suffix of the one message that ends a flapping episode (the summary). */
export const FLAPPING_OVER = "flapping-over";

export const isFlapping = (quiet: Pick<Quiet, "flipsLastHour" | "flapThreshold">) =>
  quiet.flipsLastHour > quiet.flapThreshold;

/**
 * The notification one flip causes on one channel, or null for none.
 * - down → "down" (down → down too: the check is down for a new reason); up → "up" only if the
 *   channel was told of a problem (no up-alert for a check that was never down, or whose outage
 *   was never announced).
 * - In maintenance everything is suppressed. A child's down is suppressed while its parent is
 *   down (the parent's alert lists it). More than `flapThreshold` flips in an hour send one
 *   "flapping" alert per hour and suppress the rest, except a down for a reason the flapping was
 *   not made of (a failed backup, an anomaly among failed pings): flapping never hides a new failure.
 * Suppressed rows are kept (visible in the delivery log) and re-examined by `afterQuiet`.
 */
export function decide(
  flip: { from: string; to: string; reason?: string },
  belief: Belief,
  quiet: Quiet,
): Decision | null {
  // A retention shortfall or a failed drill is news of its own: it changes no state and no belief.
  const notice = NOTICES[flip.reason ?? ""];
  if (notice) return { kind: notice, suppressed: quiet.inMaintenance ? "maintenance" : null };
  let kind: NotificationKind;
  if (flip.to === "down") kind = "down";
  else if (flip.to === "up" && flip.from === "down") kind = "up";
  else return null;
  if (kind === "up" && belief === "up") return null;

  if (quiet.inMaintenance) return { kind, suppressed: "maintenance" };
  const newFailure = kind === "down" && !quiet.recentDownReasons.includes(flip.reason ?? "");
  if (isFlapping(quiet) && !newFailure) {
    return quiet.flappingAlerted ? { kind, suppressed: "flapping" } : { kind: "flapping", suppressed: null };
  }
  if (kind === "down" && quiet.parentDown) return { kind, suppressed: "parent_down" };
  return { kind, suppressed: null };
}

/** Whether anything keeps this check quiet now: maintenance, a down parent, or flapping. */
export function isQuiet(
  actual: string,
  quiet: Pick<Quiet, "inMaintenance" | "parentDown" | "flipsLastHour" | "flapThreshold">,
): boolean {
  return quiet.inMaintenance || (actual === "down" && quiet.parentDown) || isFlapping(quiet);
}

/**
 * Once the quiet is over, the channel is brought up to date once: a check still down that the
 * channel has not been told about alerts now; a check back up after the channel heard "down" or
 * "flapping" sends its recovery. Returns null when the channel already knows the truth.
 */
export function resumeAfterQuiet(actual: string, belief: Belief): NotificationKind | null {
  if (actual === "down") return belief === "down" ? null : "down";
  if (actual === "up" || actual === "new") return belief === "up" ? null : "up";
  return null; // paused: nothing to say
}

/**
 * What a channel hears when a quiet spell ends. The end of a flapping episode the channel was
 * told about is always one summary, the state the check settled in, even when the channel
 * already believes it (it still needs to hear that the flapping is over); any other quiet ends
 * as resumeAfterQuiet says.
 */
export function afterQuiet(actual: string, belief: Belief, endsFlapping: boolean): NotificationKind | null {
  if (!endsFlapping) return resumeAfterQuiet(actual, belief);
  if (actual === "down") return "down";
  return actual === "up" || actual === "new" ? "up" : null;
}

/** A reminder is due when the channel believes "down", the check is still down, and `repeatEveryS` passed. */
export function reminderDue(
  actual: string,
  belief: Belief,
  lastSentAt: number,
  repeatEveryS: number | null,
  now: number,
) {
  return repeatEveryS !== null && actual === "down" && belief === "down" && now - lastSentAt >= repeatEveryS * 1000;
}
