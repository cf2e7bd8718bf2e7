import type { StoredStatus } from "../state";

/** A state change as the status page needs it (flips where the status did not change are left out). */
/** `seq` orders changes made in the same millisecond (a flip's id: the order they were written). */
export type StatusChange = {
  at: number;
  seq?: number;
  from: StoredStatus;
  to: StoredStatus;
  reason: string;
  detail: string;
};

/**
 * A check's stored status over time: the status before the first change we know of, then each
 * change in time order. Built from flips, which the flip_on_status trigger writes for every change.
 */
export type Timeline = { initial: StoredStatus; changes: StatusChange[] };

export type Segment = { from: number; to: number; status: StoredStatus };

/**
 * `lastBefore` is the last change before the window (it says exactly what the status was when the
 * window began, and since when); without it the first change inside says where it came from; with
 * no change at all, the status never moved.
 */
export function timelineOf(lastBefore: StatusChange | null, inWindow: StatusChange[], current: StoredStatus): Timeline {
  const changes = (lastBefore ? [lastBefore, ...inWindow] : [...inWindow]).sort(
    (a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0),
  );
  return { initial: changes[0]?.from ?? current, changes };
}

/** The statuses the check had during [from, to), as adjacent segments. */
export function segmentsOf(timeline: Timeline, from: number, to: number): Segment[] {
  if (to <= from) return [];
  const segments: Segment[] = [];
  let status = timeline.initial;
  let start = from;
  for (const change of timeline.changes) {
    if (change.at <= from) {
      status = change.to;
      continue;
    }
    if (change.at >= to) break;
    if (change.at > start) segments.push({ from: start, to: change.at, status });
    start = change.at;
    status = change.to;
  }
  segments.push({ from: start, to, status });
  return segments;
}
