import { DAY_MS, dayRangeLabel, dayStart, shortDuration } from "./days";
import { rpoRag, worstAgeMs, type RestoreHistory } from "./rpo";
import { segmentsOf, type Timeline } from "./timeline";
import type { CheckKind } from "../../db/schema";
import { keepsRestorePoints } from "../kinds";

/** A day's colour; `unknown` is a finished day not computed yet (the fill is bounded per render). */
export type Colour = "green" | "amber" | "red" | "grey" | "unknown";

/** One day: its colour and what decided it (worst restore-point age in s, or the uptime ratio). */
export type DayBar = { colour: Colour; value: number | null };

/** Equal days side by side, drawn and described once. */
export type BarRun = { first: number; last: number; colour: Colour; worst: number | null };

/** Downtime above this share of the watched time makes a heartbeat's day red rather than amber. */
export const RED_DOWNTIME_SHARE = 0.05;

export type CheckLife = { kind: CheckKind; createdAt: number; rpoS: number };

/**
 * The bar of `day`, judged up to `now` (today's bar is the day so far). Before the check existed,
 * and while it was paused, nothing was expected: grey.
 */
export function dayBar(
  check: CheckLife,
  day: number,
  timeline: Timeline,
  history: RestoreHistory,
  now: number,
): DayBar {
  const from = Math.max(dayStart(day), check.createdAt);
  const to = Math.min(dayStart(day) + DAY_MS, now);
  const watched = segmentsOf(timeline, from, to).filter((s) => s.status !== "paused");
  if (keepsRestorePoints(check.kind)) {
    if (watched.length === 0) return { colour: "grey", value: null };
    const worst = Math.max(...watched.map((s) => worstAgeMs(history, s.from, s.to)));
    return { colour: rpoRag(worst, check.rpoS), value: Math.round(worst / 1000) };
  }
  // Heartbeats: `new` means no ping was expected yet, so only up and down time counts.
  const counted = watched.filter((s) => s.status !== "new");
  const total = counted.reduce((sum, s) => sum + s.to - s.from, 0);
  if (total === 0) return { colour: "grey", value: null };
  const down = counted.filter((s) => s.status === "down").reduce((sum, s) => sum + s.to - s.from, 0);
  const uptime = 1 - down / total;
  const colour = down === 0 ? "green" : down / total <= RED_DOWNTIME_SHARE ? "amber" : "red";
  return { colour, value: Math.round(uptime * 10_000) / 10_000 };
}

/** Merges equal neighbours; `firstDay` is the day of bars[0]. The worst value of a run is kept. */
export function runsOf(bars: readonly DayBar[], firstDay: number, kind: CheckLife["kind"]): BarRun[] {
  const runs: BarRun[] = [];
  bars.forEach((bar, i) => {
    const last = runs[runs.length - 1];
    if (last && last.colour === bar.colour) {
      last.last = firstDay + i;
      last.worst = worse(last.worst, bar.value, kind);
    } else runs.push({ first: firstDay + i, last: firstDay + i, colour: bar.colour, worst: bar.value });
  });
  return runs;
}

function worse(a: number | null, b: number | null, kind: CheckLife["kind"]): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return keepsRestorePoints(kind) ? Math.max(a, b) : Math.min(a, b);
}

/**
 * The words of a run, its tooltip and text alternative: "3–9 Nov: within RPO, backup ≤ 24 h old",
 * "28 Nov: 91.6 % up". Terse, because a page of 50 checks carries hundreds.
 */
export function runWords(run: BarRun, kind: CheckLife["kind"]): string {
  const when = dayRangeLabel(run.first, run.last);
  if (run.colour === "unknown") return `${when}: not computed yet`;
  if (run.colour === "grey" || run.worst === null) return `${when}: nothing expected`;
  if (keepsRestorePoints(kind)) {
    const age = shortDuration(Math.max(run.worst, 60) * 1000);
    const judged = { green: "within RPO", amber: "over RPO", red: "over 2× RPO" }[run.colour];
    return `${when}: ${judged}, backup ${run.colour === "green" ? "≤" : "up to"} ${age} old`;
  }
  if (run.colour === "green") return `${when}: 100 % up`;
  return `${when}: ${(Math.floor(run.worst * 1000) / 10).toString()} % up${run.first === run.last ? "" : " at worst"}`;
}
