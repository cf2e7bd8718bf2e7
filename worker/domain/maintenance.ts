import { Cron } from "croner";

/**
 * A maintenance window: one-off (`startsAt`–`endsAt`) or recurring (every `cron` fire in `tz`, for
 * `durationS`, optionally bounded by `startsAt`/`endsAt`). It covers the checks whose slug is listed
 * or that carry one of the tags; with neither list it covers every check.
 */
export type MaintenanceWindow = {
  id: number;
  name: string;
  startsAt: number | null;
  endsAt: number | null;
  cron: string | null;
  tz: string;
  durationS: number | null;
  tags: string[];
  checks: string[];
};

export type Occurrence = { start: number; end: number };

export function covers(window: Pick<MaintenanceWindow, "tags" | "checks">, check: { slug: string; tags: string[] }) {
  if (window.tags.length === 0 && window.checks.length === 0) return true;
  return window.checks.includes(check.slug) || check.tags.some((tag) => window.tags.includes(tag));
}

/** The occurrence that contains `at`, or null when the window is not active then. */
export function occurrenceAt(window: MaintenanceWindow, at: number): Occurrence | null {
  if (window.startsAt !== null && at < window.startsAt) return null;
  if (window.endsAt !== null && at >= window.endsAt) return null;
  if (!window.cron)
    return window.startsAt !== null && window.endsAt !== null ? { start: window.startsAt, end: window.endsAt } : null;
  const cron = new Cron(window.cron, { timezone: window.tz, mode: "5-part" });
  // Asked from a second after `at` so a fire earlier in `at`'s own second counts; that may also
  // return a fire in the second after `at` (not started yet), so take the latest one not after it.
  const start = cron.previousRuns(2, new Date(at + 1000)).find((run) => run.getTime() <= at);
  if (!start) return null;
  const end = start.getTime() + (window.durationS ?? 0) * 1000;
  return at >= start.getTime() && at < end ? { start: start.getTime(), end } : null;
}

/** The next occurrence that has not ended by `after` (the current one if active), for display. */
export function nextOccurrence(window: MaintenanceWindow, after: number): Occurrence | null {
  const current = occurrenceAt(window, after);
  if (current) return current;
  if (!window.cron) {
    return window.startsAt !== null && window.endsAt !== null && window.startsAt > after
      ? { start: window.startsAt, end: window.endsAt }
      : null;
  }
  const from = Math.max(after, window.startsAt ?? after);
  const next = new Cron(window.cron, { timezone: window.tz, mode: "5-part" }).nextRun(new Date(from));
  if (!next || (window.endsAt !== null && next.getTime() >= window.endsAt)) return null;
  return { start: next.getTime(), end: next.getTime() + (window.durationS ?? 0) * 1000 };
}

/** The first active window that covers the check at `at`, if any. */
export function activeWindowFor(
  windows: MaintenanceWindow[],
  check: { slug: string; tags: string[] },
  at: number,
): MaintenanceWindow | null {
  return windows.find((w) => covers(w, check) && occurrenceAt(w, at) !== null) ?? null;
}
