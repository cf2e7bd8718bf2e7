import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dayBar, runsOf, runWords, type CheckLife } from "../../worker/domain/status/bars";
import { dayOf, dayStart } from "../../worker/domain/status/days";
import {
  effectiveRpoS,
  newestTakenBefore,
  restoreHistory,
  rpoRag,
  scheduleIntervalS,
  worstAgeMs,
  type RestorePoint,
} from "../../worker/domain/status/rpo";
import { timelineOf, type StatusChange } from "../../worker/domain/status/timeline";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const TODAY = dayOf(NOW);
const schedule = { periodS: 86_400, cron: null, tz: "UTC", graceS: 3_600, rpoS: null };

describe("RPO: the default comes from the schedule", () => {
  it("is the period plus the grace time, or the RPO the check sets", () => {
    expect(effectiveRpoS(schedule, NOW)).toBe(25 * 3600);
    expect(effectiveRpoS({ ...schedule, rpoS: 7200 }, NOW)).toBe(7200);
  });

  it("is the longest gap between cron fires: a weekday job's weekend, not its weeknights", () => {
    const daily = { ...schedule, periodS: null, cron: "0 3 * * *" };
    const weekdays = { ...schedule, periodS: null, cron: "0 3 * * 1-5" };
    expect(effectiveRpoS(daily, NOW)).toBe(24 * 3600 + 3600);
    expect(effectiveRpoS(weekdays, NOW)).toBe(72 * 3600 + 3600);
    // Whatever day it is asked on (the clock is injected), the weekend is found.
    for (let d = 0; d < 7; d++)
      expect(scheduleIntervalS({ kind: "cron", cron: "0 3 * * 1-5", tz: "UTC", graceS: 0 }, NOW + d * DAY)).toBe(
        72 * 3600,
      );
  });

  it("follows daylight saving time in the check's zone", () => {
    // 2026-10-25: Berlin falls back, so that night's gap is 25 h.
    const before = Date.parse("2026-10-22T12:00:00Z");
    expect(scheduleIntervalS({ kind: "cron", cron: "0 3 * * *", tz: "Europe/Berlin", graceS: 0 }, before)).toBe(
      25 * 3600,
    );
  });

  it("is green within the RPO, amber up to twice it, red beyond", () => {
    expect(rpoRag(3600_000, 3600)).toBe("green");
    expect(rpoRag(3600_001, 3600)).toBe("amber");
    expect(rpoRag(7200_000, 3600)).toBe("amber");
    expect(rpoRag(7200_001, 3600)).toBe("red");
  });
});

/** Brute force, independent of the implementation: the age just before every ms of (from, to]. */
function bruteWorst(points: RestorePoint[], from: number, to: number, baseline: number) {
  let worst = 0;
  for (let t = from + 1; t <= to; t++) {
    const newest = points.filter((p) => p.availableAt < t).reduce((n, p) => Math.max(n, p.takenAt), baseline);
    worst = Math.max(worst, t - newest);
  }
  return worst;
}

const point = fc
  .record({ takenAt: fc.integer({ min: 0, max: 400 }), upload: fc.integer({ min: 0, max: 60 }) })
  .map(({ takenAt, upload }) => ({ takenAt, availableAt: takenAt + upload }));

describe("RPO: the worst age of the newest restore point in a window", () => {
  it("matches a brute-force scan over every instant (property)", () => {
    fc.assert(
      fc.property(
        fc.array(point, { maxLength: 8 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (points, from, length) => {
          const history = restoreHistory(points, 0);
          expect(worstAgeMs(history, from, from + length)).toBe(bruteWorst(points, from, from + length, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never gets worse when a restore point is added (property)", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 8 }), point, fc.integer({ min: 0, max: 300 }), (points, extra, from) => {
        const without = worstAgeMs(restoreHistory(points, 0), from, from + 100);
        const withIt = worstAgeMs(restoreHistory([...points, extra], 0), from, from + 100);
        expect(withIt).toBeLessThanOrEqual(without);
      }),
      { numRuns: 300 },
    );
  });

  it("counts a backup only once it completed, and its age from when it began", () => {
    const history = restoreHistory([{ takenAt: 10 * HOUR, availableAt: 12 * HOUR }], 0);
    expect(newestTakenBefore(history, 11 * HOUR)).toBe(0);
    expect(newestTakenBefore(history, 12 * HOUR + 1)).toBe(10 * HOUR);
    // Just before 12:00 the newest point was the baseline (created at 0): 12 h old.
    expect(worstAgeMs(history, 0, DAY)).toBe(14 * HOUR);
  });
});

const created = NOW - 30 * DAY;
const backupCheck: CheckLife = { kind: "backup", createdAt: created, rpoS: 25 * 3600 };
const heartbeat: CheckLife = { kind: "heartbeat", createdAt: created, rpoS: 25 * 3600 };
const upAllAlong = timelineOf(null, [], "up");
const daily = (days: number, skip: number[] = []) =>
  Array.from({ length: days }, (_, i) => i)
    .filter((i) => !skip.includes(i))
    .map((i) => ({
      takenAt: dayStart(TODAY - days + i) + 3 * HOUR,
      availableAt: dayStart(TODAY - days + i) + 3 * HOUR + 10 * MIN,
    }));

describe("day bars: backup checks judge the RPO all day", () => {
  it("green while a nightly backup keeps the newest point within the RPO", () => {
    const history = restoreHistory(daily(30), created);
    const bar = dayBar(backupCheck, TODAY - 2, upAllAlong, history, NOW);
    expect(bar.colour).toBe("green");
    expect(bar.value).toBe(24 * 3600 + 600); // just before 03:10 the newest point began 24 h 10 min earlier
  });

  it("amber the day after one missed night, red when two in a row are missed", () => {
    const one = restoreHistory(daily(30, [25]), created);
    expect(dayBar(backupCheck, TODAY - 5, upAllAlong, one, NOW).colour).toBe("amber");
    const two = restoreHistory(daily(30, [24, 25]), created);
    expect(dayBar(backupCheck, TODAY - 6, upAllAlong, two, NOW).colour).toBe("amber");
    expect(dayBar(backupCheck, TODAY - 5, upAllAlong, two, NOW).colour).toBe("red");
    expect(dayBar(backupCheck, TODAY - 4, upAllAlong, two, NOW).colour).toBe("red"); // until 03:10
    expect(dayBar(backupCheck, TODAY - 3, upAllAlong, two, NOW).colour).toBe("green");
  });

  it("grey before the check existed, and on a day it was paused throughout", () => {
    const history = restoreHistory(daily(30), created);
    expect(dayBar(backupCheck, TODAY - 40, upAllAlong, history, NOW).colour).toBe("grey");
    const paused = timelineOf(
      null,
      [change(dayStart(TODAY - 11), "up", "paused"), change(dayStart(TODAY - 9), "paused", "up")],
      "up",
    );
    expect(dayBar(backupCheck, TODAY - 10, paused, history, NOW)).toEqual({ colour: "grey", value: null });
  });

  it("judges today only up to now", () => {
    const history = restoreHistory(daily(30), created);
    const earlyMorning = dayStart(TODAY) + 2 * HOUR;
    expect(dayBar(backupCheck, TODAY, upAllAlong, history, earlyMorning).value).toBe(23 * 3600);
  });
});

const change = (at: number, from: StatusChange["from"], to: StatusChange["to"]): StatusChange => ({
  at,
  from,
  to,
  reason: "timeout",
  detail: "",
});

describe("day bars: heartbeats count uptime from flips", () => {
  const day = TODAY - 3;
  const downFor = (ms: number) =>
    timelineOf(
      null,
      [change(dayStart(day) + 6 * HOUR, "up", "down"), change(dayStart(day) + 6 * HOUR + ms, "down", "up")],
      "up",
    );

  it("green without downtime, amber for a little, red beyond 5 % of the day", () => {
    expect(dayBar(heartbeat, day, upAllAlong, restoreHistory([], created), NOW)).toEqual({ colour: "green", value: 1 });
    const short = dayBar(heartbeat, day, downFor(30 * MIN), restoreHistory([], created), NOW);
    expect(short.colour).toBe("amber");
    expect(short.value).toBeCloseTo(1 - 30 / 1440, 4);
    expect(dayBar(heartbeat, day, downFor(3 * HOUR), restoreHistory([], created), NOW).colour).toBe("red");
  });

  it("grey while new (no ping expected yet) and before the check existed", () => {
    expect(dayBar(heartbeat, day, timelineOf(null, [], "new"), restoreHistory([], created), NOW).colour).toBe("grey");
    expect(dayBar(heartbeat, TODAY - 31, upAllAlong, restoreHistory([], created), NOW).colour).toBe("grey");
  });

  it("knows the status before the window from the last change before it", () => {
    const before = change(dayStart(day) - HOUR, "up", "down");
    const timeline = timelineOf(before, [change(dayStart(day) + 12 * HOUR, "down", "up")], "up");
    expect(dayBar(heartbeat, day, timeline, restoreHistory([], created), NOW)).toEqual({ colour: "red", value: 0.5 });
  });
});

describe("runs: equal days merge into one bar with one description", () => {
  it("merges neighbours and keeps the worst value", () => {
    const bars = [
      { colour: "green" as const, value: 100 },
      { colour: "green" as const, value: 200 },
      { colour: "amber" as const, value: 100_000 },
      { colour: "green" as const, value: 50 },
    ];
    const runs = runsOf(bars, TODAY - 3, "backup");
    expect(runs.map((r) => [r.colour, r.last - r.first + 1, r.worst])).toEqual([
      ["green", 2, 200],
      ["amber", 1, 100_000],
      ["green", 1, 50],
    ]);
    expect(runWords(runs[1]!, "backup")).toBe("19 Nov: over RPO, backup up to 27 h old");
    expect(runWords(runs[0]!, "backup")).toBe("17–18 Nov: within RPO, backup ≤ 3 min old");
  });
});
