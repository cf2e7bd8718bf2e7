// The status page counts days in UTC: one calendar for every viewer and every check, so a bar
// means the same thing to everyone and a finished day never changes (docs/STATUS_PAGE.md).

export const DAY_MS = 86_400_000;
/** Bars shown per check: today (live) and the 89 finished days before it. */
export const BAR_DAYS = 90;

/** Days since 1970-01-01 (UTC) of a time. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
export const dayStart = (day: number) => day * DAY_MS;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "3 Nov": short, unambiguous in every locale, and the year is clear from context (the last 90 days). */
export function dayLabel(day: number): string {
  const date = new Date(dayStart(day));
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** "2 Nov 03:00 UTC": the page states every time in UTC, the calendar its bars use. */
export function timeLabel(ms: number): string {
  return `${dayLabel(dayOf(ms))} ${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/** "2026-11-03". */
export const isoDay = (day: number) => new Date(dayStart(day)).toISOString().slice(0, 10);

/** "3 Nov", "3–9 Nov" or "28 Oct – 9 Nov": short, since a page carries thousands of them. */
export function dayRangeLabel(first: number, last: number): string {
  if (first === last) return dayLabel(first);
  const [from, to] = [dayLabel(first), dayLabel(last)];
  const sameMonth = from.slice(-3) === to.slice(-3) && last - first < 31;
  return sameMonth ? `${from.split(" ")[0]}–${to}` : `${from} – ${to}`;
}

/** "under a minute", "12 min", "5 h", "3 d": coarse on purpose, a status page is read at a glance. */
export function shortDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return "under a minute";
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export const agoWords = (at: number, now: number) => `${shortDuration(now - at)} ago`;
