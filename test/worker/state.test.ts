import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextExpectedAt } from "../../worker/domain/schedule";
import {
  applyPing,
  applyTimeout,
  currentStatus,
  pendingTimeout,
  pause,
  reschedule,
  resume,
  type CheckState,
  type Ping,
} from "../../worker/domain/state";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function check(overrides: Partial<CheckState> = {}): CheckState {
  return {
    periodS: 3600,
    cron: null,
    tz: "UTC",
    graceS: 600,
    status: "new",
    lastPingAt: null,
    lastStartAt: null,
    lastStartRid: null,
    lastDurationMs: null,
    nextDueAt: null,
    alertAfter: null,
    minDurationS: null,
    earlyS: null,
    failureThreshold: 1,
    consecutiveFailures: 0,
    ...overrides,
  };
}

/** Applies pings in order, each at its own time, and returns the final state and every flip. */
function run(start: CheckState, steps: [number, Ping][]) {
  let state = start;
  const flips: string[] = [];
  for (const [at, ping] of steps) {
    const effect = applyPing(state, ping, at);
    state = effect.state;
    if (effect.flip) flips.push(`${effect.flip.from}->${effect.flip.to}:${effect.flip.reason}`);
  }
  return { state, flips };
}

const success: Ping = { kind: "success" };

describe("period schedule", () => {
  it.each([
    // [description, minutes after the ping, expected status]
    ["just pinged", 0, "up"],
    ["inside the period", 59, "up"],
    ["period over, inside grace", 61, "late"],
    ["grace over", 70, "down"],
  ])("%s → %s", (_, minutes, expected) => {
    const { state } = run(check(), [[T0, success]]);
    expect(state.nextDueAt).toBe(T0 + HOUR);
    expect(state.alertAfter).toBe(T0 + HOUR + 10 * MIN);
    expect(currentStatus(state, T0 + (minutes as number) * MIN)).toBe(expected);
  });

  it("a new check never goes down by the clock before its first ping", () => {
    expect(currentStatus(check(), T0 + 1000 * HOUR)).toBe("new");
  });
});

describe("cron schedule with a time zone", () => {
  const nightly = check({ periodS: null, cron: "30 2 * * *", tz: "Europe/Berlin", graceS: 900 });

  it("expects the next 02:30 Berlin time (CET, UTC+1 in winter)", () => {
    const { state } = run(nightly, [[Date.UTC(2026, 0, 10, 1, 31), success]]);
    expect(new Date(state.nextDueAt!).toISOString()).toBe("2026-01-11T01:30:00.000Z");
    expect(new Date(state.alertAfter!).toISOString()).toBe("2026-01-11T01:45:00.000Z");
  });

  it("across the spring-forward gap (02:30 does not exist on 2026-03-29) it expects 03:00 CEST", () => {
    const { state } = run(nightly, [[Date.UTC(2026, 2, 28, 1, 31), success]]);
    expect(new Date(state.nextDueAt!).toISOString()).toBe("2026-03-29T01:00:00.000Z");
    // The day after, 02:30 exists again, now in CEST (UTC+2).
    expect(
      new Date(
        nextExpectedAt({ kind: "cron", cron: "30 2 * * *", tz: "Europe/Berlin", graceS: 0 }, state.nextDueAt!),
      ).toISOString(),
    ).toBe("2026-03-30T00:30:00.000Z");
  });

  it("across the fall-back change (02:30 happens twice on 2026-10-25) it expects the first one only", () => {
    const { state } = run(nightly, [[Date.UTC(2026, 9, 24, 0, 31), success]]);
    expect(new Date(state.nextDueAt!).toISOString()).toBe("2026-10-25T00:30:00.000Z");
    const after = nextExpectedAt(
      { kind: "cron", cron: "30 2 * * *", tz: "Europe/Berlin", graceS: 0 },
      state.nextDueAt!,
    );
    expect(new Date(after).toISOString()).toBe("2026-10-26T01:30:00.000Z");
  });

  it("the same expression in UTC fires at UTC times", () => {
    const { state } = run(check({ periodS: null, cron: "0 3 * * *", tz: "UTC" }), [
      [Date.UTC(2026, 5, 1, 3, 0, 5), success],
    ]);
    expect(new Date(state.nextDueAt!).toISOString()).toBe("2026-06-02T03:00:00.000Z");
  });
});

describe("start, duration and run timeouts", () => {
  it("measures the duration from /start to success", () => {
    const { state } = run(check(), [
      [T0, { kind: "start" }],
      [T0 + 90_000, success],
    ]);
    expect(state.lastDurationMs).toBe(90_000);
    expect(state.lastStartAt).toBeNull();
  });

  it("shows `started` while running and `down` when the run outlives the grace time", () => {
    const { state } = run(
      check({ status: "up", lastPingAt: T0 - HOUR, nextDueAt: T0 + 23 * HOUR, alertAfter: T0 + 24 * HOUR }),
      [[T0, { kind: "start" }]],
    );
    expect(currentStatus(state, T0 + MIN)).toBe("started");
    // The run deadline (start + grace) comes before the schedule's own deadline.
    expect(state.alertAfter).toBe(T0 + 10 * MIN);
    expect(currentStatus(state, T0 + 11 * MIN)).toBe("down");
  });

  it("matches the finish to its start by run id", () => {
    const a = "00000000-0000-4000-8000-00000000000a";
    const b = "00000000-0000-4000-8000-00000000000b";
    const matched = run(check(), [
      [T0, { kind: "start", rid: a }],
      [T0 + 5000, { kind: "success", rid: a }],
    ]);
    expect(matched.state.lastDurationMs).toBe(5000);
    const other = run(check(), [
      [T0, { kind: "start", rid: a }],
      [T0 + 5000, { kind: "success", rid: b }],
    ]);
    expect(other.state.lastDurationMs).toBeNull();
  });

  it("a log ping changes nothing", () => {
    const before = check({ status: "up", lastPingAt: T0, nextDueAt: T0 + HOUR, alertAfter: T0 + HOUR + 10 * MIN });
    expect(applyPing(before, { kind: "log" }, T0 + MIN)).toMatchObject({ state: before, flip: null });
  });
});

describe("failures", () => {
  it.each([
    ["/fail", { kind: "fail" } as Ping, "fail"],
    ["exit status 1", { kind: "exit", exitStatus: 1 } as Ping, "exit_status"],
    ["exit status 255", { kind: "exit", exitStatus: 255 } as Ping, "exit_status"],
  ])("%s takes an up check down", (_, ping, reason) => {
    const { state, flips } = run(check(), [
      [T0, success],
      [T0 + MIN, ping],
    ]);
    expect(state.status).toBe("down");
    expect(state.alertAfter).toBeNull();
    expect(flips).toEqual(["new->up:ping", `up->down:${reason}`]);
  });

  it("exit status 0 is a success", () => {
    expect(run(check(), [[T0, { kind: "exit", exitStatus: 0 }]]).state.status).toBe("up");
  });

  it("a run shorter than min_duration_s is a failure", () => {
    const effect = run(check({ minDurationS: 60 }), [
      [T0, { kind: "start" }],
      [T0 + 3000, success],
    ]);
    expect(effect.flips).toEqual(["new->down:too_short"]);
  });

  it("a run of at least min_duration_s is a success", () => {
    const effect = run(check({ minDurationS: 60 }), [
      [T0, { kind: "start" }],
      [T0 + 61_000, success],
    ]);
    expect(effect.state.status).toBe("up");
  });

  it("a success more than early_s before the expected cron time is a failure", () => {
    const nightly = check({ periodS: null, cron: "0 3 * * *", tz: "UTC", earlyS: 1800 });
    const effect = run(nightly, [
      [Date.UTC(2026, 5, 1, 3, 0, 10), success],
      [Date.UTC(2026, 5, 1, 14, 0, 0), success], // 13 h before the next 03:00
    ]);
    expect(effect.flips).toEqual(["new->up:ping", "up->down:too_early"]);
  });

  it("a success within early_s of the expected time is fine", () => {
    const nightly = check({ periodS: null, cron: "0 3 * * *", tz: "UTC", earlyS: 1800 });
    const effect = run(nightly, [
      [Date.UTC(2026, 5, 1, 3, 0, 10), success],
      [Date.UTC(2026, 5, 2, 2, 45, 0), success], // 15 min early, allowed 30
    ]);
    expect(effect.flips).toEqual(["new->up:ping"]);
  });

  it("a success after a failure brings the check back up", () => {
    const { flips } = run(check(), [
      [T0, { kind: "fail" }],
      [T0 + MIN, success],
    ]);
    expect(flips).toEqual(["new->down:fail", "down->up:ping"]);
  });
});

describe("pause and resume", () => {
  it("a paused check cannot go down by the clock", () => {
    const up = run(check(), [[T0, success]]).state;
    const paused = pause(up);
    expect(paused.alertAfter).toBeNull();
    expect(currentStatus(paused, T0 + 1000 * HOUR)).toBe("paused");
  });

  it("resume starts over as new", () => {
    const resumed = resume(pause(run(check(), [[T0, success]]).state));
    expect(resumed.status).toBe("new");
    expect(currentStatus(resumed, T0 + 1000 * HOUR)).toBe("new");
  });

  it("a success ping resumes a paused check (healthchecks' default)", () => {
    const { state, flips } = run(pause(check()), [[T0, success]]);
    expect(state.status).toBe("up");
    expect(flips).toEqual(["paused->up:ping"]);
  });

  it("a schedule edit moves the deadline from the last ping", () => {
    const up = run(check(), [[T0, success]]).state;
    const edited = reschedule({ ...up, periodS: 7200 });
    expect(edited.nextDueAt).toBe(T0 + 2 * HOUR);
  });
});

describe("the clock and the sweep agree (issue 14, item 9)", () => {
  it("keeps a run started just before the deadline `started` until its own grace ends, for the sweep too", () => {
    const { state } = run(check({ status: "up", lastPingAt: T0 - HOUR, nextDueAt: T0, alertAfter: T0 + 10 * MIN }), [
      [T0 + 8 * MIN, { kind: "start" }],
    ]);
    expect(currentStatus(state, T0 + 11 * MIN)).toBe("started");
    expect(applyTimeout(state, T0 + 11 * MIN)).toBeNull();
    expect(currentStatus(state, T0 + 18 * MIN)).toBe("down");
    expect(applyTimeout(state, T0 + 18 * MIN)?.flip.reason).toBe("run_timeout");
  });

  it("reads down by the clock exactly when the sweep would mark it down, for the reason it would record", () => {
    const ping = fc.oneof(
      fc.constant<Ping>({ kind: "start" }),
      fc.constant<Ping>({ kind: "success" }),
      fc.constant<Ping>({ kind: "fail" }),
      fc.constant<Ping>({ kind: "log" }),
      fc.integer({ min: 0, max: 3 }).map((exitStatus): Ping => ({ kind: "exit", exitStatus })),
    );
    const steps = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * HOUR }), ping), { maxLength: 8 });
    const fields = fc.record({
      periodS: fc.constantFrom(600, 3600),
      graceS: fc.constantFrom(60, 600, 1800),
      failureThreshold: fc.constantFrom(1, 2),
      minDurationS: fc.constantFrom(null, 30),
    });
    fc.assert(
      fc.property(fields, steps, fc.integer({ min: 0, max: 4 * HOUR }), (overrides, gaps, later) => {
        let at = T0;
        const timed = gaps.map(([gap, p]): [number, Ping] => [(at += gap), p]);
        const { state } = run(check(overrides), timed);
        const now = at + later;
        const timeout = applyTimeout(state, now);
        const downByClock = currentStatus(state, now) === "down" && state.status !== "down";
        expect(downByClock).toBe(timeout !== null);
        expect(pendingTimeout(state, now)?.reason ?? null).toBe(timeout?.flip.reason ?? null);
      }),
      { numRuns: 2000 },
    );
  });
});
