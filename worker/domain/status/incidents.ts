import type { Timeline } from "./timeline";

/** Down from `start` until `end` (null: still down), with what ended it. */
export type Incident = {
  start: number;
  end: number | null;
  endedBy: "up" | "paused" | "new" | null;
  reason: string;
  detail: string;
};

/** Incidents shown: those still open and those that ended within the window. */
export const INCIDENT_DAYS = 14;

/**
 * A down flip opens an incident, the next change away from down closes it (normally a ping bringing
 * the check up; pausing or resetting it also ends it). Newest first.
 */
export function incidentsOf(timeline: Timeline, since: number): Incident[] {
  const incidents: Incident[] = [];
  let open: Incident | null = null;
  for (const change of timeline.changes) {
    if (change.to === "down" && !open) {
      open = { start: change.at, end: null, endedBy: null, reason: change.reason, detail: change.detail };
    } else if (change.to !== "down" && open) {
      open.end = change.at;
      open.endedBy = change.to;
      incidents.push(open);
      open = null;
    }
  }
  if (open) incidents.push(open);
  return incidents.filter((i) => i.end === null || i.end >= since).sort((a, b) => b.start - a.start);
}
