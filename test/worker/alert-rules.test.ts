import { describe, expect, it } from "vitest";
import {
  afterQuiet,
  beliefOf,
  channelCovers,
  decide,
  isQuiet,
  reminderDue,
  resumeAfterQuiet,
  type Quiet,
} from "../../worker/domain/alerts/rules";
import { activeWindowFor, nextOccurrence, occurrenceAt, type MaintenanceWindow } from "../../worker/domain/maintenance";
import { applyPing, type CheckState } from "../../worker/domain/state";

const calm: Quiet = {
  inMaintenance: false,
  parentDown: false,
  flipsLastHour: 1,
  flapThreshold: 6,
  flappingAlerted: false,
  recentDownReasons: [],
};
const down = { from: "up", to: "down", reason: "fail" };
const recovery = { from: "down", to: "up" };

describe("which flips alert", () => {
  it.each([
    ["up → down", down, "up", { kind: "down", suppressed: null }],
    ["new → down", { from: "new", to: "down" }, "up", { kind: "down", suppressed: null }],
    ["down → up after a down alert", recovery, "down", { kind: "up", suppressed: null }],
    ["down → up after a flapping alert", recovery, "flapping", { kind: "up", suppressed: null }],
    ["down → up the channel never heard of", recovery, "up", null],
    ["new → up (first ping)", { from: "new", to: "up" }, "up", null],
    ["up → paused", { from: "up", to: "paused" }, "up", null],
    ["paused → new (resume)", { from: "paused", to: "new" }, "down", null],
  ] as const)("%s", (_, flip, belief, expected) => {
    expect(decide(flip, belief, calm)).toEqual(expected);
  });
});

describe("what keeps alerts quiet", () => {
  it("maintenance suppresses downs and recoveries", () => {
    const quiet = { ...calm, inMaintenance: true };
    expect(decide(down, "up", quiet)).toEqual({ kind: "down", suppressed: "maintenance" });
    expect(decide(recovery, "down", quiet)).toEqual({ kind: "up", suppressed: "maintenance" });
  });

  it("a down parent folds a child's down, not its recovery", () => {
    const quiet = { ...calm, parentDown: true };
    expect(decide(down, "up", quiet)).toEqual({ kind: "down", suppressed: "parent_down" });
    expect(decide(recovery, "down", quiet)).toEqual({ kind: "up", suppressed: null });
  });

  it("flapping sends one flapping alert per hour, then stays quiet", () => {
    const flapping = { ...calm, flipsLastHour: 7, recentDownReasons: ["fail"] };
    expect(decide(down, "up", flapping)).toEqual({ kind: "flapping", suppressed: null });
    expect(decide(recovery, "flapping", { ...flapping, flappingAlerted: true })).toEqual({
      kind: "up",
      suppressed: "flapping",
    });
    expect(decide(down, "up", { ...calm, flipsLastHour: 6 })).toEqual({ kind: "down", suppressed: null });
  });

  describe("flapping never hides a new failure (issue 13.5)", () => {
    const flapping: Quiet = {
      ...calm,
      flipsLastHour: 9,
      flappingAlerted: true,
      recentDownReasons: ["fail", "timeout"],
    };
    it.each([
      ["the same failure again", { from: "up", to: "down", reason: "fail" }, { kind: "down", suppressed: "flapping" }],
      ["a failed backup", { from: "up", to: "down", reason: "backup_failed" }, { kind: "down", suppressed: null }],
      ["an anomaly while down", { from: "down", to: "down", reason: "anomaly" }, { kind: "down", suppressed: null }],
      ["a drill failure", { from: "up", to: "up", reason: "drill_failed" }, { kind: "drill", suppressed: null }],
      ["a recovery", { from: "down", to: "up", reason: "ping" }, { kind: "up", suppressed: "flapping" }],
    ] as const)("%s", (_, flip, expected) => {
      expect(decide(flip, "flapping", flapping)).toEqual(expected);
    });

    it("maintenance and a down parent still keep a new failure quiet", () => {
      const flip = { from: "up", to: "down", reason: "anomaly" };
      expect(decide(flip, "up", { ...flapping, inMaintenance: true })).toEqual({
        kind: "down",
        suppressed: "maintenance",
      });
      expect(decide(flip, "up", { ...flapping, parentDown: true })).toEqual({
        kind: "down",
        suppressed: "parent_down",
      });
    });
  });

  it("quiet ends when its cause does", () => {
    expect(isQuiet("down", { ...calm, parentDown: true })).toBe(true);
    expect(isQuiet("up", { ...calm, parentDown: true })).toBe(false);
    expect(isQuiet("down", calm)).toBe(false);
  });
});

describe("after a flapping episode", () => {
  it.each([
    ["settled down, channel told flapping", "down", "flapping", "down"],
    ["settled down, channel already told down", "down", "down", "down"],
    ["settled up", "up", "flapping", "up"],
    ["paused meanwhile", "paused", "flapping", null],
  ] as const)("%s → one summary: %s", (_, actual, belief, expected) => {
    expect(afterQuiet(actual, belief, true)).toBe(expected);
  });

  it("other quiet spells end as before", () => {
    expect(afterQuiet("down", "down", false)).toBeNull();
    expect(afterQuiet("up", "down", false)).toBe("up");
  });
});

describe("after the quiet", () => {
  it.each([
    ["still down, channel never told", "down", "up", "down"],
    ["still down, channel told flapping", "down", "flapping", "down"],
    ["still down, channel already told", "down", "down", null],
    ["back up, channel told down", "up", "down", "up"],
    ["back up, channel never told", "up", "up", null],
    ["paused meanwhile", "paused", "down", null],
  ] as const)("%s → %s", (_, actual, belief, expected) => {
    expect(resumeAfterQuiet(actual, belief)).toBe(expected);
  });
});

describe("reminders", () => {
  const HOUR = 3_600_000;
  it("repeat every interval while the channel believes down", () => {
    expect(reminderDue("down", "down", 0, 3600, HOUR)).toBe(true);
    expect(reminderDue("down", "down", 0, 3600, HOUR - 1)).toBe(false);
    expect(reminderDue("down", "up", 0, 3600, 10 * HOUR)).toBe(false);
    expect(reminderDue("down", "down", 0, null, 10 * HOUR)).toBe(false);
  });

  it("a reminder keeps the belief it repeats", () => {
    expect(beliefOf("reminder")).toBe("down");
    expect(beliefOf(null)).toBe("up");
  });
});

describe("channel scope", () => {
  const check = { slug: "db-backup", tags: ["prod", "db"] };
  it.each([
    [{ tags: [], checks: [] }, true],
    [{ tags: ["db"], checks: [] }, true],
    [{ tags: ["staging"], checks: [] }, false],
    [{ tags: [], checks: ["db-backup"] }, true],
    [{ tags: ["staging"], checks: ["other"] }, false],
  ])("%j → %s", (scope, expected) => expect(channelCovers(scope, check)).toBe(expected));
});

describe("maintenance windows", () => {
  const base: MaintenanceWindow = {
    id: 1,
    name: "w",
    startsAt: null,
    endsAt: null,
    cron: null,
    tz: "UTC",
    durationS: null,
    tags: [],
    checks: [],
  };
  const t = (iso: string) => Date.parse(iso);

  it("a one-off window is active from its start up to (not including) its end", () => {
    const w = { ...base, startsAt: t("2026-11-23T10:00:00Z"), endsAt: t("2026-11-23T11:00:00Z") };
    expect(occurrenceAt(w, t("2026-11-23T09:59:59Z"))).toBeNull();
    expect(occurrenceAt(w, t("2026-11-23T10:00:00Z"))).not.toBeNull();
    expect(occurrenceAt(w, t("2026-11-23T11:00:00Z"))).toBeNull();
  });

  it("a recurring window follows its cron in its time zone, across DST", () => {
    // Sundays 02:00–04:00 Europe/Berlin: CEST (UTC+2) before 2026-10-25, CET (UTC+1) after.
    const w = { ...base, cron: "0 2 * * 0", tz: "Europe/Berlin", durationS: 7200 };
    expect(occurrenceAt(w, t("2026-10-18T00:30:00Z"))).toEqual({
      start: t("2026-10-18T00:00:00Z"),
      end: t("2026-10-18T02:00:00Z"),
    });
    expect(occurrenceAt(w, t("2026-11-01T01:30:00Z"))).toEqual({
      start: t("2026-11-01T01:00:00Z"),
      end: t("2026-11-01T03:00:00Z"),
    });
    expect(occurrenceAt(w, t("2026-11-01T00:30:00Z"))).toBeNull();
    expect(occurrenceAt(w, t("2026-11-04T01:30:00Z"))).toBeNull();
    expect(nextOccurrence(w, t("2026-11-04T00:00:00Z"))).toEqual({
      start: t("2026-11-08T01:00:00Z"),
      end: t("2026-11-08T03:00:00Z"),
    });
  });

  it("stays active in the last second before the next fire (found by a flaky sweep test)", () => {
    const everyMinute = { ...base, cron: "* * * * *", durationS: 3 * 3600 };
    const justBefore = t("2026-11-23T11:59:59.500Z");
    expect(occurrenceAt(everyMinute, justBefore)).toEqual({
      start: t("2026-11-23T11:59:00Z"),
      end: t("2026-11-23T14:59:00Z"),
    });
    const nightly = { ...base, cron: "0 2 * * *", durationS: 26 * 3600 };
    expect(occurrenceAt(nightly, t("2026-11-23T01:59:59.900Z"))).toEqual({
      start: t("2026-11-22T02:00:00Z"),
      end: t("2026-11-23T04:00:00Z"),
    });
  });

  it("covers checks by tag or slug, or all checks when it names none", () => {
    const w = { ...base, startsAt: 0, endsAt: t("2100-01-01T00:00:00Z"), tags: ["db"] };
    expect(activeWindowFor([w], { slug: "x", tags: ["db"] }, 1000)).toBe(w);
    expect(activeWindowFor([w], { slug: "x", tags: ["web"] }, 1000)).toBeNull();
    expect(activeWindowFor([{ ...w, tags: [] }], { slug: "x", tags: [] }, 1000)).not.toBeNull();
  });
});

describe("failure_threshold", () => {
  const check: CheckState = {
    periodS: 3600,
    cron: null,
    tz: "UTC",
    graceS: 600,
    status: "up",
    lastPingAt: 0,
    lastStartAt: null,
    lastStartRid: null,
    lastDurationMs: null,
    nextDueAt: 3_600_000,
    alertAfter: 4_200_000,
    minDurationS: null,
    earlyS: null,
    failureThreshold: 3,
    consecutiveFailures: 0,
  };

  it("a down check that fails for another reason flips down → down; the same reason again does not", () => {
    const downForTimeout: CheckState = { ...check, status: "down", statusReason: "timeout", failureThreshold: 1 };
    const failed = applyPing(downForTimeout, { kind: "fail" }, 60_000);
    expect(failed.flip).toEqual({ from: "down", to: "down", reason: "fail", detail: "the job reported a failure" });
    const anomaly = { reason: "anomaly" as const, detail: "suspicious backup: empty" };
    expect(
      applyPing({ ...downForTimeout, statusReason: "fail" }, { kind: "fail", failure: anomaly }, 60_000).flip,
    ).toMatchObject({ from: "down", to: "down", reason: "anomaly" });
    expect(applyPing({ ...downForTimeout, statusReason: "fail" }, { kind: "fail" }, 60_000).flip).toBeNull();
    expect(applyPing({ ...downForTimeout, statusReason: "fail" }, { kind: "success" }, 60_000).flip).toMatchObject({
      from: "down",
      to: "up",
    });
  });

  it("goes down only on the Nth failure in a row; a success resets the count", () => {
    let state = check;
    const outcomes: (string | null)[] = [];
    for (const [at, kind] of [
      [1, "fail"],
      [2, "fail"],
      [3, "success"],
      [4, "fail"],
      [5, "fail"],
      [6, "fail"],
    ] as const) {
      const effect = applyPing(state, { kind }, at * 60_000);
      state = effect.state;
      outcomes.push(effect.flip ? `${effect.flip.to}:${effect.flip.detail}` : effect.outcome);
    }
    expect(outcomes).toEqual([
      "tolerated",
      "tolerated",
      null,
      "tolerated",
      "tolerated",
      "down:the job reported a failure (3 failures in a row)",
    ]);
  });

  it("a tolerated failure moves the deadline like a success (the job did run)", () => {
    const effect = applyPing(check, { kind: "exit", exitStatus: 1 }, 60_000);
    expect(effect.state.status).toBe("up");
    expect(effect.state.alertAfter).toBe(60_000 + 3_600_000 + 600_000);
  });
});
