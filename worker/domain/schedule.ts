import { Cron } from "croner";

/** How often a check is expected to report: a fixed period, or a cron expression in a time zone. */
export type Schedule =
  { kind: "period"; periodS: number; graceS: number } | { kind: "cron"; cron: string; tz: string; graceS: number };

export type ScheduleFields = {
  periodS: number | null;
  cron: string | null;
  tz: string;
  graceS: number;
};

export function scheduleOf(fields: ScheduleFields): Schedule {
  if (fields.cron) return { kind: "cron", cron: fields.cron, tz: fields.tz, graceS: fields.graceS };
  return { kind: "period", periodS: fields.periodS ?? 86_400, graceS: fields.graceS };
}

function cronOf(expression: string, tz: string): Cron {
  // 5-part only: the classic crontab syntax people paste from their servers.
  return new Cron(expression, { timezone: tz, mode: "5-part" });
}

/** A human reason why the expression cannot be used, or null when it is valid. */
export function cronProblem(expression: string, tz: string): string | null {
  if (!isTimeZone(tz)) return `unknown time zone "${tz}"`;
  try {
    const next = cronOf(expression, tz).nextRun(new Date(0));
    return next ? null : "the expression never fires";
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^CronPattern: /, "") : "invalid cron expression";
  }
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The first time after `after` at which the next ping is expected. */
export function nextExpectedAt(schedule: Schedule, after: number): number {
  if (schedule.kind === "period") return after + schedule.periodS * 1000;
  const next = cronOf(schedule.cron, schedule.tz).nextRun(new Date(after));
  // An expression that never fires again (e.g. a past year) never makes the check late.
  return next ? next.getTime() : Number.MAX_SAFE_INTEGER;
}

const DAY_S = 86_400;
const NICKNAME_RUNS: Record<string, number> = {
  "@yearly": 1,
  "@annually": 1,
  "@monthly": 1,
  "@weekly": 1,
  "@daily": 1,
  "@midnight": 1,
  "@hourly": 24,
};

/** How many values of `lo..hi` a crontab field allows (`*`, `a-b`, `a,b`, `*\/n`, `a-b/n`), or null. */
function fieldCount(field: string, lo: number, hi: number): number | null {
  const allowed = new Set<number>();
  for (const part of field.split(",")) {
    const match = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) return null;
    const [, range, stepText] = match;
    const step = stepText ? Number(stepText) : 1;
    if (step < 1) return null;
    let [from, to] = range === "*" ? [lo, hi] : (range!.split("-").map(Number) as [number, number?]);
    if (to === undefined) to = stepText ? hi : from;
    for (let v = from!; v <= Math.min(to, hi); v += step) allowed.add(v);
  }
  return allowed.size;
}

/**
 * Expected runs on a day the schedule runs at all: 86400/period, or for a cron its minutes × hours
 * (a weekday-only job still costs its full count on each weekday, and the Free plan's limits are
 * per day). Counted from the expression, not by stepping croner through the day: stepping costs
 * ~85 µs a run, 120 ms for a minutely cron, beyond the Free plan's 10 ms CPU. An expression the
 * counter cannot read is stepped through the next 24 h, at most 48 runs, and extrapolated.
 */
export function runsPerDay(schedule: Schedule, now: number): number {
  if (schedule.kind === "period") return DAY_S / Math.max(1, schedule.periodS);
  const expression = schedule.cron.trim().toLowerCase();
  if (expression in NICKNAME_RUNS) return NICKNAME_RUNS[expression]!;
  const fields = expression.split(/\s+/);
  const minutes = fields.length === 5 ? fieldCount(fields[0]!, 0, 59) : null;
  const hours = fields.length === 5 ? fieldCount(fields[1]!, 0, 23) : null;
  if (minutes !== null && hours !== null) return minutes * hours;
  return steppedRunsPerDay(schedule.cron, schedule.tz, now);
}

function steppedRunsPerDay(expression: string, tz: string, now: number, cap = 48): number {
  const end = now + DAY_S * 1000;
  const cron = cronOf(expression, tz);
  let at = new Date(now);
  for (let runs = 0; runs < cap; runs++) {
    const next = cron.nextRun(at);
    if (!next || next.getTime() > end) return runs;
    at = next;
  }
  return (cap * DAY_S * 1000) / Math.max(1, at.getTime() - now);
}
