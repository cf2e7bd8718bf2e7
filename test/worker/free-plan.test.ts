import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FREE_PLAN_LIMITS,
  levelOf,
  observedPerDay,
  projectDay,
  REQUEST_COSTS,
  RESOURCES,
  SWEEP_RUNS_PER_DAY,
  type CheckTraffic,
  type PlanInput,
} from "../../worker/domain/free-plan";
import { runsPerDay, scheduleOf } from "../../worker/domain/schedule";

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const MINUTE = 60_000;

function check(fields: Partial<CheckTraffic> & { periodS?: number | null; cron?: string | null } = {}): CheckTraffic {
  const { periodS = 3600, cron = null, ...rest } = fields;
  return {
    key: "k",
    name: "c",
    kind: "heartbeat",
    paused: false,
    schedule: { periodS, cron, tz: "UTC", graceS: 60 },
    pings: 0,
    signedPings: 0,
    oldestPingAt: null,
    backupEchoes: 0,
    backups: 0,
    parts: 0,
    ...rest,
  };
}

const input = (checks: CheckTraffic[], dueChecks = 0): PlanInput => ({ checks, dueChecks, pingsKept: 100 });
const sweepWritten = REQUEST_COSTS.sweepIdleRun.rows_written * SWEEP_RUNS_PER_DAY;

describe("runs a day from the schedule", () => {
  it.each([
    [{ periodS: 60, cron: null }, 1440],
    [{ periodS: 300, cron: null }, 288],
    [{ periodS: 86_400, cron: null }, 1],
    [{ periodS: null, cron: null }, 1], // no schedule at all: the default day
    [{ periodS: null, cron: "* * * * *" }, 1440],
    [{ periodS: null, cron: "*/5 * * * *" }, 288],
    [{ periodS: null, cron: "0 3 * * *" }, 1],
    [{ periodS: null, cron: "15,45 9-17 * * 1-5" }, 18], // a weekday still costs its full count
    [{ periodS: null, cron: "5/15 */6 * * *" }, 16],
    [{ periodS: null, cron: "@hourly" }, 24],
    [{ periodS: null, cron: "@weekly" }, 1],
  ])("%o → %d", (fields, expected) => {
    expect(runsPerDay(scheduleOf({ ...fields, tz: "Europe/Berlin", graceS: 60 }), NOW)).toBe(expected);
  });
});

describe("pings a day observed", () => {
  it("is the 24 h count while the kept log reaches back a day", () => {
    expect(observedPerDay(40, NOW - 20 * 3_600_000, 100, NOW)).toBe(40);
  });
  it("scales a full log that covers less than a day (100 pings in 100 minutes: minutely)", () => {
    expect(observedPerDay(100, NOW - 100 * MINUTE, 100, NOW)).toBe(1440);
  });
});

describe("a day's projection", () => {
  it("with no checks is the sweep alone", () => {
    const plan = projectDay(input([]), NOW);
    expect(plan.resources.rows_written).toEqual({
      used: sweepWritten,
      limit: 100_000,
      ratio: sweepWritten / 100_000,
    });
    expect(plan.resources.requests.used).toBe(SWEEP_RUNS_PER_DAY);
    expect(plan.level).toBe("ok");
  });

  it("costs a minutely plain heartbeat 1,440 unsigned pings, a signed one 1,440 signed pings", () => {
    const plain = projectDay(input([check({ periodS: 60 })]), NOW);
    expect(plain.checks[0]!.cost.rows_written).toBe(1440 * REQUEST_COSTS.unsignedPing.rows_written);
    const signed = projectDay(input([check({ periodS: 60, pings: 10, signedPings: 9 })]), NOW);
    expect(signed.checks[0]!.signed).toBe(true);
    expect(signed.checks[0]!.cost.rows_written).toBe(1440 * REQUEST_COSTS.signedPing.rows_written);
  });

  it("takes the observed pings where they are more than the schedule expects", () => {
    const plan = projectDay(input([check({ periodS: 86_400, pings: 100, oldestPingAt: NOW - 100 * MINUTE })]), NOW);
    expect(plan.checks[0]!.perDay).toBe(1440);
  });

  it("expects nothing of a paused check but counts what still pings it", () => {
    expect(projectDay(input([check({ periodS: 60, paused: true })]), NOW).checks[0]!.perDay).toBe(0);
    expect(projectDay(input([check({ periodS: 60, paused: true, pings: 7 })]), NOW).checks[0]!.perDay).toBe(7);
  });

  it("costs a backup as register + its parts + complete, its completion ping included", () => {
    const b = REQUEST_COSTS;
    const plan = projectDay(
      input([
        check({ kind: "backup", periodS: 86_400, backups: 2, parts: 6, pings: 2, signedPings: 2, backupEchoes: 2 }),
      ]),
      NOW,
    );
    const oneBackup = b.backupRegister.rows_written + 3 * b.backupPart.rows_written + b.backupComplete.rows_written;
    expect(plan.checks[0]!.perDay).toBe(2);
    expect(plan.checks[0]!.cost.rows_written).toBe(2 * oneBackup);
    expect(plan.checks[0]!.cost.requests).toBe(2 * 5);
  });

  it("adds each check the sweep marked down", () => {
    const plan = projectDay(input([], 10), NOW);
    expect(plan.sweep.rows_written).toBe(sweepWritten + 10 * REQUEST_COSTS.sweepPerDueCheck.rows_written);
  });

  it("puts the most expensive checks first", () => {
    const plan = projectDay(
      input([
        check({ name: "daily", periodS: 86_400 }),
        check({ name: "minutely", periodS: 60 }),
        check({ name: "hourly", periodS: 3600 }),
      ]),
      NOW,
    );
    expect(plan.checks.map((c) => c.name)).toEqual(["minutely", "hourly", "daily"]);
  });

  it.each([
    [0.79, "ok"],
    [0.8, "warn"],
    [0.99, "warn"],
    [1, "over"],
  ] as const)("level at %d of a limit is %s", (ratio, level) => {
    expect(levelOf(ratio)).toBe(level);
  });

  it("warns from 80 % of the rows written: enough minutely plain heartbeats", () => {
    const perCheck = 1440 * REQUEST_COSTS.unsignedPing.rows_written;
    const atWarn = Math.ceil((0.8 * FREE_PLAN_LIMITS.rows_written - sweepWritten) / perCheck);
    const many = (n: number) => input(Array.from({ length: n }, (_, i) => check({ name: `c${i}`, periodS: 60 })));
    expect(projectDay(many(atWarn - 1), NOW).level).toBe("ok");
    expect(projectDay(many(atWarn), NOW).level).toBe("warn");
  });
});

const trafficArb = fc.record({
  kind: fc.constantFrom("heartbeat" as const, "backup" as const, "restic" as const),
  periodS: fc.integer({ min: 60, max: 7 * 86_400 }),
  paused: fc.boolean(),
  signed: fc.boolean(),
  pings: fc.integer({ min: 0, max: 100 }),
  oldestAgoMs: fc.integer({ min: MINUTE, max: 86_400_000 }),
  backups: fc.integer({ min: 0, max: 50 }),
  partsPerBackup: fc.integer({ min: 1, max: 20 }),
});
type Traffic = typeof trafficArb extends fc.Arbitrary<infer T> ? T : never;

const toCheck = (t: Traffic, i: number): CheckTraffic =>
  check({
    name: `c${i}`,
    kind: t.kind,
    periodS: t.periodS,
    paused: t.paused,
    pings: t.pings,
    signedPings: t.signed ? t.pings : 0,
    oldestPingAt: t.pings > 0 ? NOW - t.oldestAgoMs : null,
    backups: t.backups,
    parts: t.backups * t.partsPerBackup,
  });

describe("the projection is monotone", () => {
  it("in the number of checks", () => {
    fc.assert(
      fc.property(fc.array(trafficArb, { maxLength: 20 }), trafficArb, (traffic, extra) => {
        const before = projectDay(input(traffic.map(toCheck)), NOW);
        const after = projectDay(input([...traffic, extra].map(toCheck)), NOW);
        for (const r of RESOURCES) expect(after.resources[r].used).toBeGreaterThanOrEqual(before.resources[r].used);
      }),
    );
  });

  it("in a check's pings a day, whether its pings are signed or not", () => {
    fc.assert(
      fc.property(
        fc.array(trafficArb, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 86_400 - 60 }),
        (traffic, pick, morePings, shorterPeriodS) => {
          const i = pick % traffic.length;
          const t = traffic[i]!;
          const busier = {
            ...t,
            pings: Math.min(100, t.pings + morePings),
            periodS: Math.max(60, t.periodS - shorterPeriodS),
          };
          const before = projectDay(input(traffic.map(toCheck)), NOW);
          const after = projectDay(input(traffic.map((x, j) => toCheck(j === i ? busier : x, j))), NOW);
          for (const r of RESOURCES) expect(after.resources[r].used).toBeGreaterThanOrEqual(before.resources[r].used);
        },
      ),
    );
  });
});
