// The wording every channel shares, so Slack, email and PagerDuty say the same thing the same way.
// Everything here returns plain, unescaped text: each renderer escapes it for its own format.
import type { Alert, AlertKind } from "./alert";

export const ELLIPSIS = "…";

/** Short state words for titles and subjects. */
const STATE_WORD: Record<AlertKind, string> = {
  down: "DOWN",
  up: "UP",
  reminder: "STILL DOWN",
  flapping: "FLAPPING",
  retention: "RESTORE POINTS MISSING",
  drill: "RESTORE DRILL FAILED",
  test: "TEST",
};

/** An icon for chat formats, so the state shows before the words are read. */
const STATE_ICON: Record<AlertKind, string> = {
  down: "🔴",
  up: "🟢",
  reminder: "🔔",
  flapping: "🟠",
  retention: "🟡",
  drill: "🧯",
  test: "🧪",
};

/** Used when a flip carries no words of its own (an up flip's detail is empty). */
const REASON_WORDS: Record<string, string> = {
  ping: "a success ping arrived",
  fail: "the job reported a failure",
  backup_failed: "a backup run failed",
  exit_status: "the job exited with a non-zero status",
  too_short: "the run finished sooner than its minimum duration",
  too_early: "the ping arrived earlier than expected",
  timeout: "no ping before the deadline",
  run_timeout: "the run started but did not finish in time",
  anomaly: "the run looked unusual",
  paused: "the check was paused",
  resumed: "the check was resumed",
  retention: "fewer restore points than the retention policy keeps",
  drill_failed: "a restore drill failed",
  drill_not_started: "a restore drill could not start: the backup was not tested",
  test: "a test alert sent from Lifeboat",
};

/** Caps for untrusted one-line values, so no single field can crowd out the rest of a message. */
export const MAX_NAME = 200;
export const MAX_REASON = 500;
/** Children named in human messages; the rest are counted ("and 7 more"). */
export const MAX_CHILDREN_LISTED = 10;

export const stateIcon = (kind: AlertKind) => STATE_ICON[kind];

/**
 * "DOWN: Nightly backup", "STILL DOWN (reminder 2): Nightly backup", … `escapeName` escapes only
 * the untrusted name, so a format whose escapes could show literally leaves our own words alone.
 */
export function headline(alert: Alert, escapeName = (name: string) => name): string {
  const name = escapeName(oneLine(alert.check.name, MAX_NAME));
  if (alert.kind === "reminder") return `${STATE_WORD.reminder} (reminder ${alert.reminderNumber ?? 1}): ${name}`;
  if (drillNotStarted(alert)) return `RESTORE DRILL COULD NOT START: ${name}`;
  return `${STATE_WORD[alert.kind]}: ${name}`;
}

/**
 * A drill that never reached the backup (its scratch database could not be made): news about the
 * host, not about the backup, so it is said in its own words (a `drill` notice all the same).
 */
export function drillNotStarted(alert: Pick<Alert, "kind" | "reason">): boolean {
  return alert.kind === "drill" && alert.reason === "drill_not_started";
}

/** The state in a sentence's words: "down", "up", "still down", "flapping (now down)". */
export function stateWords(alert: Alert): string {
  const now = oneLine(alert.check.status, 40);
  if (alert.kind === "flapping") return `flapping (now ${now})`;
  if (alert.changesSinceFlapping !== null) return `${alert.kind}: no longer flapping`;
  if (alert.kind === "test") return `test alert (the check is ${now})`;
  if (alert.kind === "reminder") return "still down";
  if (alert.kind === "retention") return `short of restore points (the check is ${now})`;
  if (drillNotStarted(alert)) return `restore drill could not start (the check is ${now})`;
  if (alert.kind === "drill") return `restore drill failed (the check is ${now})`;
  if (alert.kind === "down" && alert.previousStatus === "down") return "still down, for a new reason";
  return alert.kind;
}

export function reasonWords(alert: Alert): string {
  const given = oneLine(alert.reasonText, MAX_REASON);
  // A flip without words may arrive with its machine reason ("ping") as the text: say it properly.
  if (given && given !== alert.reason) return given;
  return REASON_WORDS[alert.kind === "test" ? "test" : alert.reason] ?? oneLine(alert.reason, 60);
}

/** "2026-11-23T03:45:00Z": ISO 8601 in UTC, to the second. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "under a minute", "12 min", "3 h 12 min", "2 d 4 h": coarse on purpose, people read it at a glance. */
export function durationWords(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "3 h 12 min ago"; a time slightly in the future (clock skew) reads as "under a minute ago". */
export const relativeTime = (at: number, now: number) => `${durationWords(now - at)} ago`;

/** "2026-11-23T03:45:00Z (3 h 12 min ago)". */
export const whenWords = (at: number, now: number) => `${isoUtc(at)} (${relativeTime(at, now)})`;

export const lastPingWords = (alert: Alert, now: number) =>
  alert.lastPingAt === null ? "never" : whenWords(alert.lastPingAt, now);

/** "#2, down for 1 d 3 h". */
export const reminderWords = (alert: Alert, now: number) =>
  `#${alert.reminderNumber ?? 1}, down for ${durationWords(now - alert.since)}`;

/** "changed state 7 times in the last hour"; for the summary that ends it, the changes since the flapping alert. */
export const flappingWords = (alert: Alert) => {
  const times = (n: number) => `${n} ${n === 1 ? "time" : "times"}`;
  if (alert.changesSinceFlapping !== null) {
    return `over: changed state ${times(alert.changesSinceFlapping)} after the flapping alert, then settled ${alert.kind}`;
  }
  return `changed state ${times(alert.flipsLastHour ?? 0)} in the last hour`;
};

/** The children to name, and how many more were left out. */
export function childrenListed(alert: Alert, cap = MAX_CHILDREN_LISTED) {
  const named = alert.children.slice(0, cap).map((child) => ({ ...child, name: oneLine(child.name, 100) }));
  return { named, more: Math.max(0, alert.children.length - cap) };
}

/** "a, b, c and 4 more", or null when no dependent check is down. */
export function alsoDownWords(alert: Alert, cap = MAX_CHILDREN_LISTED): string | null {
  if (alert.children.length === 0) return null;
  const { named, more } = childrenListed(alert, cap);
  const names = named.map((child) => child.name).join(", ");
  return more > 0 ? `${names} and ${more} more` : names;
}

export type Fact = { label: string; value: string };

/**
 * The body every human-readable message carries, in order. The log excerpt and the link are
 * left to each renderer, because each format has its own code-block and link syntax.
 */
export function facts(alert: Alert, now: number): Fact[] {
  const list: Fact[] = [
    { label: "State", value: stateWords(alert) },
    { label: "Since", value: whenWords(alert.since, now) },
    { label: "Reason", value: reasonWords(alert) },
    { label: "Last ping", value: lastPingWords(alert, now) },
  ];
  if (alert.kind === "flapping" || alert.changesSinceFlapping !== null) {
    list.push({ label: "Flapping", value: flappingWords(alert) });
  }
  if (alert.kind === "reminder") list.push({ label: "Reminder", value: reminderWords(alert, now) });
  const alsoDown = alsoDownWords(alert);
  if (alsoDown) list.push({ label: "Also down", value: alsoDown });
  return list;
}

/** The log text to show, cleaned of control characters, or null when the last ping carried none. */
export function logText(alert: Alert): string | null {
  const text = alert.logExcerpt === null ? "" : multiLine(alert.logExcerpt).replace(/\s+$/, "");
  return text.trim() === "" ? null : text;
}

// C0/C1 controls (NUL, ESC, …) and bidi overrides can hide or reorder text in a reader's client.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Untrusted multi-line text with line breaks normalised to \n and controls removed. */
export function multiLine(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(CONTROLS, "").replace(LONE_SURROGATE, "\uFFFD");
}

/** Untrusted text on one line (safe for a header or a title), cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  return keepHead(multiLine(text).replace(/\s+/g, " ").trim(), max);
}

/**
 * Keeps the start of `text` so that `measure(result) <= max`, marking a cut with "…". `measure` is
 * how the target format counts (see keepTail).
 */
export function keepHead(text: string, max: number, measure: (s: string) => number = (s) => s.length): string {
  if (measure(text) <= max) return text;
  const withMarker = (end: number) => text.slice(0, end) + ELLIPSIS;
  // Binary search for the longest head that fits; never longer than `max` (see keepTail).
  let low = 0;
  let high = Math.min(text.length - 1, max);
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (measure(withMarker(pairSafeEnd(text, mid))) <= max) low = mid;
    else high = mid - 1;
  }
  const end = pairSafeEnd(text, low);
  return measure(withMarker(end)) <= max ? withMarker(end) : "";
}

/**
 * Keeps the end of `text` (the newest output of a job) so that `measure(result) <= max`, marking
 * the cut with "…". `measure` is how the target format counts: UTF-16 length by default, bytes for
 * ntfy, the escaped length for HTML. It must not grow when characters are removed, and must count
 * at least one per UTF-16 unit.
 * Returns "" when not even the marker fits.
 */
export function keepTail(text: string, max: number, measure: (s: string) => number = (s) => s.length): string {
  if (measure(text) <= max) return text;
  const withMarker = (start: number) => ELLIPSIS + text.slice(start);
  // Binary search for the earliest start whose tail fits. Every measure counts at least one per
  // UTF-16 unit, so the answer lies in the last `max` units: a megabyte of log costs no more than
  // a few kilobytes to cut.
  let low = Math.max(1, text.length - max);
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (measure(withMarker(pairSafe(text, mid))) <= max) high = mid;
    else low = mid + 1;
  }
  const start = pairSafe(text, low);
  if (measure(withMarker(start)) > max) return "";
  // Start at a whole line when one begins soon after the cut: a log reads badly from mid-line.
  const nextLine = text.indexOf("\n", start);
  if (nextLine !== -1 && nextLine - start < 200 && nextLine + 1 < text.length) {
    const snapped = `${ELLIPSIS}\n${text.slice(nextLine + 1)}`;
    if (measure(snapped) <= max) return snapped;
  }
  return withMarker(start);
}

const isLowSurrogate = (text: string, index: number) => /[\uDC00-\uDFFF]/.test(text.charAt(index));

/** Moves a cut that would fall between the halves of a surrogate pair to after the pair. */
const pairSafe = (text: string, index: number) => (isLowSurrogate(text, index) ? index + 1 : index);
/** … or, for a head, to before it. */
const pairSafeEnd = (text: string, index: number) => (index > 0 && isLowSurrogate(text, index) ? index - 1 : index);

/**
 * Breaks "scheme://" with a zero-width space, so a URL in a check's name is not turned into a link
 * by a chat client's auto-linking; it reads the same. For text outside code blocks only.
 */
export const breakAutolinks = (text: string) => text.replace(/:\/\//g, ":/\u200B/");

/**
 * Breaks every run of backticks with zero-width spaces, so untrusted text inside a ``` block can
 * neither close it nor open another. It looks the same to a reader.
 */
export const breakBacktickRuns = (text: string) => text.replace(/`(?=`)/g, "`\u200B");

export const utf8Length = (text: string) => new TextEncoder().encode(text).length;
