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
