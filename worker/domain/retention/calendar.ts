import { DAY_MS, type Period } from "./policy";

const HOUR_MS = 3_600_000;

const mod = (value: number, by: number) => ((value % by) + by) % by;
const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/**
 * Hour, day, ISO week, month and year buckets in one IANA time zone. Bucket keys are numbers that
 * grow with time, so a window of N buckets is plain arithmetic:
 * - hourly: the instant the local hour began. The repeated hour when clocks fall back is two
 *   buckets (02:xx CEST and 02:xx CET began an hour apart); the hour skipped in spring is none.
 * - daily: local calendar days since 1970-01-01, so a day lasts 23 or 25 hours across DST.
 * - weekly: ISO weeks (Monday to Sunday) since 1970; an ISO week that spans New Year is one
 *   bucket, labelled with its ISO week-year (2024-12-30 and 2025-01-01 are both 2025-W01).
 * - monthly: year × 12 + month; yearly: the local year.
 */
export class ZoneCalendar {
  private readonly format: Intl.DateTimeFormat;
  // UTC day → the zone's offset that whole day, or NaN on a day the offset changes. Offsets only
  // change a few times a year, so 10,000 backups cost a few hundred Intl calls, not 10,000.
  private readonly offsetByUtcDay = new Map<number, number>();
  // Backups arrive sorted, so neighbours share a day: one-entry memos skip most lookups.
  private memoUtcDay = NaN;
  private memoOffset = NaN;
  private memoLocalDay = NaN;
  private memoMonth = NaN;

  constructor(readonly tz: string) {
    // Throws a RangeError for an unknown zone: better than silently planning in UTC.
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** How far local wall-clock time is ahead of UTC at `at`, in ms. */
  offsetAt(at: number): number {
    const utcDay = Math.floor(at / DAY_MS);
    if (utcDay === this.memoUtcDay) return this.memoOffset;
    let offset = this.offsetByUtcDay.get(utcDay);
    if (offset === undefined) {
      const first = this.exactOffset(utcDay * DAY_MS);
      // Assumes no zone changes its offset and back within one UTC day (none in the tz database).
      offset = first === this.exactOffset(utcDay * DAY_MS + DAY_MS - 1) ? first : NaN;
      this.offsetByUtcDay.set(utcDay, offset);
    }
    if (Number.isNaN(offset)) return this.exactOffset(at);
    this.memoUtcDay = utcDay;
    this.memoOffset = offset;
    return offset;
  }

  private exactOffset(at: number): number {
    const field: Record<string, number> = {};
    for (const part of this.format.formatToParts(at)) field[part.type] = Number(part.value);
    const wall = Date.UTC(field.year!, field.month! - 1, field.day!, field.hour!, field.minute!, field.second!);
    return wall - (at - mod(at, 1000));
  }

  /** The bucket `at` falls in; equal keys mean the same bucket, and later buckets have larger keys. */
  key(period: Period, at: number): number {
    const local = at + this.offsetAt(at);
    switch (period) {
      case "hourly":
        return at - mod(local, HOUR_MS);
      case "daily":
        return Math.floor(local / DAY_MS);
      case "weekly":
        // 1970-01-01 was a Thursday: shifting by 3 days makes every week start on a Monday.
        return Math.floor((Math.floor(local / DAY_MS) + 3) / 7);
      case "monthly":
        return this.monthOf(Math.floor(local / DAY_MS));
      case "yearly":
        return Math.floor(this.monthOf(Math.floor(local / DAY_MS)) / 12);
    }
  }

  private monthOf(localDay: number): number {
    if (localDay !== this.memoLocalDay) {
      this.memoLocalDay = localDay;
      this.memoMonth = monthIndex(localDay);
    }
    return this.memoMonth;
  }

  /** A consecutive number per bucket, for counting the buckets of a window (hours: whole-hour shifts). */
  index(period: Period, at: number): number {
    const key = this.key(period, at);
    return period === "hourly" ? Math.floor(key / HOUR_MS) : key;
  }

  /** The bucket in words: "2026-11-20T14", "2026-11-20", "2026-W47", "2026-11", "2026". */
  label(period: Period, at: number): string {
    const offset = this.offsetAt(at);
    const local = new Date(at + offset);
    const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
    switch (period) {
      case "hourly": {
        const hour = `${date}T${pad(local.getUTCHours())}`;
        return this.isRepeatedHour(at, hour, offset) ? `${hour}${offsetText(offset)}` : hour;
      }
      case "daily":
        return date;
      case "weekly":
        return isoWeekLabel(Math.floor((at + offset) / DAY_MS));
      case "monthly":
        return date.slice(0, 7);
      case "yearly":
        return date.slice(0, 4);
    }
  }

  /** True in the hour that happens twice when clocks fall back: its label needs the offset. */
  private isRepeatedHour(at: number, hour: string, offset: number): boolean {
    return [-HOUR_MS, -HOUR_MS / 2, HOUR_MS / 2, HOUR_MS].some((shift) => {
      const otherOffset = this.offsetAt(at + shift);
      if (otherOffset === offset) return false;
      const other = new Date(at + shift + otherOffset).toISOString().slice(0, 13);
      return other === hour;
    });
  }
}

function offsetText(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * year × 12 + month (0-based) of a day counted from 1970-01-01, by the civil-from-days algorithm
 * (H. Hinnant): plain arithmetic, because a Date per backup per rule is most of a large plan's garbage.
 */
function monthIndex(day: number): number {
  const shifted = day + 719_468; // days since 0000-03-01: leap days fall at the end of a year
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const year = yearOfEra + era * 400 + (monthFromMarch >= 10 ? 1 : 0);
  return year * 12 + ((monthFromMarch + 2) % 12);
}

/** ISO 8601 week: the week belongs to the year of its Thursday. */
function isoWeekLabel(localDay: number): string {
  const weekday = mod(localDay + 3, 7); // Monday = 0
  const thursday = localDay - weekday + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1) / DAY_MS) / 7) + 1;
  return `${year}-W${pad(week)}`;
}

// Offsets are facts about the zone, so one calendar per zone serves every plan in this isolate.
const calendars = new Map<string, ZoneCalendar>();

export function calendarFor(tz: string): ZoneCalendar {
  let calendar = calendars.get(tz);
  if (!calendar) {
    calendar = new ZoneCalendar(tz);
    calendars.set(tz, calendar);
  }
  return calendar;
}
