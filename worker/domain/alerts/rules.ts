import type { AlertKind } from "./alert";

/** What a channel was last told about a check: the kind of its last notification that was not suppressed. */
export type Belief = "up" | "down" | "flapping";

export type NotificationKind = Exclude<AlertKind, "test">;

export type Suppression = "maintenance" | "parent_down" | "flapping";

export type Decision = { kind: NotificationKind; suppressed: Suppression | null };

export const DEFAULT_FLAP_THRESHOLD = 6;

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
};

/**
 * The notification one flip causes on one channel, or null for none.
 * - down → "down"; up → "up" only if the channel was told of a problem (no up-alert for a check
 *   that was never down, or whose outage was never announced).
 * - In maintenance everything is suppressed. A child's down is suppressed while its parent is
 *   down (the parent's alert lists it). More than `flapThreshold` flips in an hour send one
 *   "flapping" alert per hour and suppress the rest.
 * Suppressed rows are kept (visible in the delivery log) and re-examined by `resumeAfterQuiet`.
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
  if (quiet.flipsLastHour > quiet.flapThreshold) {
    return quiet.flappingAlerted ? { kind, suppressed: "flapping" } : { kind: "flapping", suppressed: null };
  }
  if (kind === "down" && quiet.parentDown) return { kind, suppressed: "parent_down" };
  return { kind, suppressed: null };
}

/** Whether anything keeps this check quiet now: maintenance, a down parent, or flapping. */
export function isQuiet(actual: string, quiet: Omit<Quiet, "flappingAlerted">): boolean {
  return quiet.inMaintenance || (actual === "down" && quiet.parentDown) || quiet.flipsLastHour > quiet.flapThreshold;
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
