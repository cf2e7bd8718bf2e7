import { dayOf, timeLabel } from "../../domain/status/days";

export { timeLabel };

/** "2 Nov 03:00 – 06:12 UTC", or across days "2 Nov 23:00 UTC – 3 Nov 01:10 UTC". */
export function spanLabel(start: number, end: number): string {
  if (dayOf(start) === dayOf(end))
    return `${timeLabel(start).slice(0, -4)} – ${new Date(end).toISOString().slice(11, 16)} UTC`;
  return `${timeLabel(start)} – ${timeLabel(end)}`;
}

/** Why a check went down, in words a visitor understands; details only when the check opted in. */
const REASONS: Record<string, string> = {
  timeout: "did not report in time",
  run_timeout: "started but did not finish in time",
  fail: "reported a failure",
  backup_failed: "a backup run failed",
  exit_status: "exited with an error",
  too_short: "finished suspiciously fast",
  too_early: "ran earlier than expected",
  anomaly: "produced a suspicious backup",
  quota: "storage quota reached",
};
export const reasonWords = (reason: string) => REASONS[reason] ?? "failed";
