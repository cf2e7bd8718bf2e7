import type { Status } from "../../domain/state";
export { formatBytes } from "../../domain/bytes";

/** "3 h ago", "in 5 min", "never": ages for people, from an injected now. */
export function relative(at: number | null, now: number): string {
  if (at === null) return "never";
  const past = at <= now;
  const text = duration(Math.abs(now - at) / 1000);
  return past ? `${text} ago` : `in ${text}`;
}

/** Seconds as the largest unit that reads well: "45 s", "12 min", "1.5 h", "5 d". */
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

/** A measured time (an RTO) precisely: "1 min 23.4 s". */
export function preciseDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10} s`;
  return `${Math.floor(s / 60)} min ${Math.round((s % 60) * 10) / 10} s`;
}

/** UTC, to the minute: one unambiguous zone for everyone reading the same page. */
export function timestamp(at: number | null): string {
  return at === null ? "—" : new Date(at).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function isoOf(at: number): string {
  return new Date(at).toISOString();
}

export const STATUS_WORDS: Record<Status, string> = {
  new: "new",
  up: "up",
  late: "late",
  started: "running",
  down: "down",
  paused: "paused",
};

export function percent(good: number, bad: number): string {
  const total = good + bad;
  return total === 0 ? "—" : `${Math.round((good / total) * 1000) / 10} %`;
}

/**
 * A check's dashboard page, by its unique_key: links never carry the uuid (a ping capability) into
 * pages the read-only login sees. The slug stands in for a row that has no key (inserted around
 * drizzle and its trigger).
 */
export const checkHref = (check: { uniqueKey: string | null; slug?: string } | string) =>
  `/admin/checks/${typeof check === "string" ? check : (check.uniqueKey ?? check.slug ?? "")}`;
