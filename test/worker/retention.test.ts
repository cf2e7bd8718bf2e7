import { describe, expect, it } from "vitest";
import {
  hasKeepRule,
  immutableUntil,
  planRetention,
  retentionHealth,
  retentionPolicyProblem,
  type RetentionCandidate,
  type RetentionPlan,
} from "../../worker/domain/retention";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A backup named by its server time, so a table of expectations reads like the history it tests. */
function backup(iso: string, status: RetentionCandidate["status"] = "complete", id = iso): RetentionCandidate {
  return { id, status, receivedAt: Date.parse(iso) };
}

const daysFrom = (firstIso: string, days: number, status: RetentionCandidate["status"] = "complete") =>
  Array.from({ length: days }, (_, i) => backup(new Date(Date.parse(firstIso) + i * DAY).toISOString(), status));

const kept = (plan: RetentionPlan) => plan.keep.map((k) => k.id);
const deleted = (plan: RetentionPlan) => plan.delete.map((d) => d.id);
const reasonsOf = (plan: RetentionPlan, id: string) => plan.keep.find((k) => k.id === id)?.reasons;

describe("restic-like rules", () => {
  // restic's documented example: one backup every Sunday for 12 weeks, `forget --keep-daily 4`.
  const sundays = Array.from({ length: 12 }, (_, i) =>
    backup(new Date(Date.UTC(2019, 8, 1 + 7 * i, 11)).toISOString()),
  );

  it("keep_daily 4 over weekly backups keeps the last four Sundays", () => {
    const plan = planRetention(sundays, { keepDaily: 4, minAgeDays: 0 }, "UTC", Date.parse("2019-11-18T00:00:00Z"));
    expect(kept(plan)).toEqual([
      "2019-11-17T11:00:00.000Z",
      "2019-11-10T11:00:00.000Z",
      "2019-11-03T11:00:00.000Z",
      "2019-10-27T11:00:00.000Z",
    ]);
    expect(plan.delete).toHaveLength(8);
    expect(plan.keep[0]!.reasons).toEqual(["newest", "daily 2019-11-17"]);
    expect(plan.delete[0]).toEqual({ id: "2019-10-20T11:00:00.000Z", reason: "no rule keeps it" });
  });

  it("keep_last N keeps the N newest", () => {
    const plan = planRetention(sundays.slice(0, 5), { keepLast: 3, minAgeDays: 0 }, "UTC", Date.parse("2020-01-01"));
    expect(kept(plan)).toEqual(
      sundays
        .slice(2, 5)
        .map((b) => b.id)
        .reverse(),
    );
    expect(reasonsOf(plan, sundays[2]!.id)).toEqual(["last 3"]);
  });

  it("daily 7, weekly 5, monthly 12, yearly 3 over three years of daily backups keep 22", () => {
    const history = daysFrom("2024-01-01T12:00:00Z", 1055); // through Friday 2026-11-20
    const policy = { keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 3, minAgeDays: 0 };
    const plan = planRetention(history, policy, "UTC", Date.parse("2026-11-20T13:00:00Z"));
    const days = (...dates: string[]) => dates.map((date) => `${date}T12:00:00.000Z`);
    expect(kept(plan)).toEqual(
      days(
        ...["2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17", "2026-11-16", "2026-11-15", "2026-11-14"],
        ...["2026-11-08", "2026-11-01", "2026-10-31", "2026-10-25", "2026-09-30", "2026-08-31", "2026-07-31"],
        ...["2026-06-30", "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31"],
        "2024-12-31",
      ),
    );
    const [friday, sunday, , , newYearsEve2025, newYearsEve2024] = days(
      "2026-11-20",
      "2026-11-15",
      "2026-11-08",
      "2026-11-01",
      "2025-12-31",
      "2024-12-31",
    );
    expect(reasonsOf(plan, friday!)).toEqual([
      "newest",
      "daily 2026-11-20",
      "weekly 2026-W47",
      "monthly 2026-11",
      "yearly 2026",
    ]);
    expect(reasonsOf(plan, sunday!)).toEqual(["daily 2026-11-15", "weekly 2026-W46"]);
    expect(reasonsOf(plan, newYearsEve2025!)).toEqual(["monthly 2025-12", "yearly 2025"]);
    // Three yearly buckets exist for keep_yearly 3: used up, so the oldest backup is not kept.
    expect(reasonsOf(plan, newYearsEve2024!)).toEqual(["yearly 2024"]);
  });

  it("a rule that is not used up also keeps the oldest backup", () => {
    const history = [
      backup("2026-11-18T01:00:00Z"),
      backup("2026-11-18T02:00:00Z"),
      backup("2026-11-19T02:00:00Z"),
      backup("2026-11-20T02:00:00Z"),
    ];
    const plan = planRetention(history, { keepDaily: 7, minAgeDays: 0 }, "UTC", Date.parse("2026-11-21"));
    expect(deleted(plan)).toEqual([]);
    expect(reasonsOf(plan, "2026-11-18T02:00:00Z")).toEqual(["daily 2026-11-18"]);
    expect(reasonsOf(plan, "2026-11-18T01:00:00Z")).toEqual(["oldest (daily not used up)"]);
  });

  it("keep_within counts from the newest good backup, so history survives when backups stop", () => {
    const history = Array.from({ length: 37 }, (_, i) =>
      backup(new Date(Date.parse("2026-11-01T00:00:00Z") + i * 6 * HOUR).toISOString()),
    );
    // Ten days after the last backup: measured from now, keep_within 2 days would keep nothing.
    const plan = planRetention(history, { keepWithinS: 2 * 86_400 }, "UTC", Date.parse("2026-11-20T00:00:00Z"));
    expect(kept(plan)).toHaveLength(8);
    expect(kept(plan).at(-1)).toBe("2026-11-08T06:00:00.000Z");
    expect(reasonsOf(plan, "2026-11-08T06:00:00.000Z")).toEqual(["within 2d"]);
  });

  it("ties at the same millisecond are broken by id, whatever the input order", () => {
    const twins = [
      backup("2026-11-20T03:00:00Z", "complete", "bk_a"),
      backup("2026-11-20T03:00:00Z", "complete", "bk_b"),
    ];
    for (const order of [twins, [...twins].reverse()]) {
      const plan = planRetention(order, { keepDaily: 1, minAgeDays: 0 }, "UTC", Date.parse("2026-12-01"));
      expect(kept(plan)).toEqual(["bk_b"]);
    }
  });
});

describe("the worked example in docs/RETENTION.md", () => {
  const rows = [
    ["A", "2026-09-20T03:00:00Z", "suspicious"],
    ["B", "2026-09-30T22:30:00Z", "complete"], // Oct 1, 00:30 in Berlin
    ["C", "2026-10-14T02:00:00Z", "complete"],
    ["D", "2026-10-31T03:00:00Z", "complete"],
    ["E", "2026-11-01T03:00:00Z", "complete"],
    ["F", "2026-11-08T03:00:00Z", "complete"],
    ["G", "2026-11-12T03:00:00Z", "suspicious"],
    ["H", "2026-11-15T03:00:00Z", "complete"],
    ["I", "2026-11-18T03:00:00Z", "failed"],
    ["J", "2026-11-18T03:30:00Z", "complete"],
    ["K", "2026-11-19T03:00:00Z", "complete"],
    ["L", "2026-11-19T22:30:00Z", "complete"], // Nov 19, 23:30 in Berlin
    ["M", "2026-11-20T03:00:00Z", "complete"],
  ] as const;
  const history = rows.map(([id, iso, status]) => backup(iso, status, id));
  const policy = { keepLast: 2, keepDaily: 3, keepWeekly: 3, keepMonthly: 3 };
  const now = Date.parse("2026-11-20T12:00:00Z");

  it("keeps and deletes what the table says", () => {
    const plan = planRetention(history, policy, "Europe/Berlin", now);
    expect(plan).toEqual({
      keep: [
        { id: "M", reasons: ["newest", "last 2", "daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11", "min age"] },
        { id: "L", reasons: ["last 2", "daily 2026-11-19", "min age"] },
        { id: "K", reasons: ["min age"] },
        { id: "J", reasons: ["daily 2026-11-18", "min age"] },
        { id: "I", reasons: ["min age", "newer than the oldest kept good backup"] },
        { id: "H", reasons: ["weekly 2026-W46", "min age"] },
        { id: "G", reasons: ["newer than the oldest kept good backup"] },
        { id: "F", reasons: ["weekly 2026-W45"] },
        { id: "D", reasons: ["monthly 2026-10"] },
        { id: "B", reasons: ["oldest (monthly not used up)"] },
      ],
      delete: [
        { id: "E", reason: "no rule keeps it" },
        { id: "C", reason: "no rule keeps it" },
        { id: "A", reason: "suspicious, older than every kept good backup" },
      ],
    });
    expect(reasonsOf(planRetention(history, policy, "UTC", now), "B")).toEqual(["monthly 2026-09"]);
    expect(deleted(planRetention(history, policy, "Europe/Berlin", now + 7 * DAY))).toEqual(["K", "E", "C", "A"]);
    expect(retentionHealth(history, policy, "Europe/Berlin", now).held).toContainEqual({
      rule: "monthly",
      wanted: 3,
      expected: 2,
      have: 2,
    });
  });
});

describe("calendar buckets", () => {
  it("2024-12-30 and 2025-01-01 are both ISO week 2025-W01", () => {
    const history = [backup("2024-12-28T12:00:00Z"), backup("2024-12-30T12:00:00Z"), backup("2025-01-01T12:00:00Z")];
    const plan = planRetention(history, { keepWeekly: 2, minAgeDays: 0 }, "UTC", Date.parse("2025-02-01"));
    expect(plan.keep).toEqual([
      { id: "2025-01-01T12:00:00Z", reasons: ["newest", "weekly 2025-W01"] },
      { id: "2024-12-28T12:00:00Z", reasons: ["weekly 2024-W52"] },
    ]);
    expect(deleted(plan)).toEqual(["2024-12-30T12:00:00Z"]);
  });

  it("a 53-week ISO year: 2027-01-01 is in 2026-W53", () => {
    const plan = planRetention([backup("2027-01-01T12:00:00Z")], { keepWeekly: 1 }, "UTC", Date.parse("2027-02-01"));
    expect(plan.keep[0]!.reasons).toEqual(["newest", "weekly 2026-W53"]);
  });

  it("months end where the check's zone says: Jan 31 23:30 and Feb 1 00:30 in Berlin are both Jan 31 in UTC", () => {
    const history = [
      backup("2026-01-15T12:00:00Z"),
      backup("2026-01-31T22:30:00Z"), // 23:30 on Jan 31 in Berlin
      backup("2026-01-31T23:30:00Z"), // 00:30 on Feb 1 in Berlin
    ];
    const now = Date.parse("2026-03-01");
    const berlin = planRetention(history, { keepMonthly: 2, minAgeDays: 0 }, "Europe/Berlin", now);
    expect(berlin.keep).toEqual([
      { id: "2026-01-31T23:30:00Z", reasons: ["newest", "monthly 2026-02"] },
      { id: "2026-01-31T22:30:00Z", reasons: ["monthly 2026-01"] },
    ]);
    // In UTC there is one month bucket: the rule is not used up, so it keeps the oldest instead.
    const utc = planRetention(history, { keepMonthly: 2, minAgeDays: 0 }, "UTC", now);
    expect(utc.keep).toEqual([
      { id: "2026-01-31T23:30:00Z", reasons: ["newest", "monthly 2026-01"] },
      { id: "2026-01-15T12:00:00Z", reasons: ["oldest (monthly not used up)"] },
    ]);
  });

  it("the leap day is a day and February ends with it", () => {
    const history = [backup("2024-02-28T12:00:00Z"), backup("2024-02-29T12:00:00Z"), backup("2024-03-01T12:00:00Z")];
    const plan = planRetention(
      history,
      { keepMonthly: 2, keepDaily: 2, minAgeDays: 0 },
      "UTC",
      Date.parse("2024-04-01"),
    );
    expect(plan.keep).toEqual([
      { id: "2024-03-01T12:00:00Z", reasons: ["newest", "daily 2024-03-01", "monthly 2024-03"] },
      { id: "2024-02-29T12:00:00Z", reasons: ["daily 2024-02-29", "monthly 2024-02"] },
    ]);
  });

  describe("DST in Europe/Berlin", () => {
    const now = Date.parse("2026-12-01");

    it("spring forward (2026-03-29): the skipped hour 02:00 is no bucket", () => {
      const history = [
        backup("2026-03-29T00:10:00Z"), // 01:10 CET
        backup("2026-03-29T00:30:00Z"), // 01:30 CET
        backup("2026-03-29T01:30:00Z"), // 03:30 CEST, one real hour later
      ];
      const plan = planRetention(history, { keepHourly: 2, minAgeDays: 0 }, "Europe/Berlin", now);
      expect(plan.keep).toEqual([
        { id: "2026-03-29T01:30:00Z", reasons: ["newest", "hourly 2026-03-29T03"] },
        { id: "2026-03-29T00:30:00Z", reasons: ["hourly 2026-03-29T01"] },
      ]);
    });

    it("spring forward: March 29 lasts 23 hours, from 23:00 to 22:00 UTC", () => {
      const history = [
        backup("2026-03-28T22:30:00Z"), // Mar 28 23:30 CET
        backup("2026-03-28T23:30:00Z"), // Mar 29 00:30 CET
        backup("2026-03-29T21:30:00Z"), // Mar 29 23:30 CEST
        backup("2026-03-29T22:30:00Z"), // Mar 30 00:30 CEST
      ];
      const plan = planRetention(history, { keepDaily: 3, minAgeDays: 0 }, "Europe/Berlin", now);
      expect(plan.keep.map((k) => [k.id, k.reasons.at(-1)])).toEqual([
        ["2026-03-29T22:30:00Z", "daily 2026-03-30"],
        ["2026-03-29T21:30:00Z", "daily 2026-03-29"],
        ["2026-03-28T22:30:00Z", "daily 2026-03-28"],
      ]);
      expect(deleted(plan)).toEqual(["2026-03-28T23:30:00Z"]);
      // The same backups bucketed by UTC days would keep a different pair.
      const utc = planRetention(history, { keepDaily: 2, minAgeDays: 0 }, "UTC", now);
      expect(kept(utc)).toEqual(["2026-03-29T22:30:00Z", "2026-03-28T23:30:00Z"]);
    });

    it("fall back (2026-10-25): the hour 02:00 happens twice and is two buckets", () => {
      const history = [
        backup("2026-10-25T00:15:00Z"), // 02:15 CEST
        backup("2026-10-25T00:45:00Z"), // 02:45 CEST
        backup("2026-10-25T01:15:00Z"), // 02:15 CET
        backup("2026-10-25T01:45:00Z"), // 02:45 CET
      ];
      const plan = planRetention(history, { keepHourly: 2, minAgeDays: 0 }, "Europe/Berlin", now);
      expect(plan.keep).toEqual([
        { id: "2026-10-25T01:45:00Z", reasons: ["newest", "hourly 2026-10-25T02+01:00"] },
        { id: "2026-10-25T00:45:00Z", reasons: ["hourly 2026-10-25T02+02:00"] },
      ]);
    });

    it("fall back: October 25 lasts 25 hours, and one daily slot covers all of them", () => {
      const history = [
        backup("2026-10-24T21:30:00Z"), // Oct 24 23:30 CEST
        backup("2026-10-24T22:30:00Z"), // Oct 25 00:30 CEST
        backup("2026-10-25T22:30:00Z"), // Oct 25 23:30 CET, 24 hours later and still the same day
      ];
      const plan = planRetention(history, { keepDaily: 2, minAgeDays: 0 }, "Europe/Berlin", now);
      expect(plan.keep).toEqual([
        { id: "2026-10-25T22:30:00Z", reasons: ["newest", "daily 2026-10-25"] },
        { id: "2026-10-24T21:30:00Z", reasons: ["daily 2026-10-24"] },
      ]);
    });
  });
});

describe("what retention trusts", () => {
  it("a forged client time in meta is ignored: only receivedAt places a backup", () => {
    // What a lying host might claim: an old start time so its backup lands in a past day's slot.
    const forged = { ...backup("2026-11-20T04:00:00Z"), meta: { startedAt: "2026-11-12T03:00:00Z", time: 1762916400 } };
    const honest = { ...backup("2026-11-20T03:00:00Z"), meta: { startedAt: "2026-11-20T02:59:00Z" } };
    const history = [backup("2026-11-12T03:00:00Z"), honest, forged];
    const plan = planRetention(history, { keepDaily: 7, minAgeDays: 0 }, "UTC", Date.parse("2026-11-21"));
    expect(plan.keep).toEqual([
      { id: forged.id, reasons: ["newest", "daily 2026-11-20"] },
      { id: "2026-11-12T03:00:00Z", reasons: ["daily 2026-11-12"] },
    ]);
    expect(deleted(plan)).toEqual([honest.id]);
  });

  describe("a burst of 100 uploads within an hour", () => {
    const real = daysFrom("2026-10-21T03:00:00Z", 30); // through Nov 19
    const burst = Array.from({ length: 100 }, (_, i) =>
      backup(new Date(Date.parse("2026-11-20T10:00:00Z") + i * 36_000).toISOString(), "complete", `burst-${i}`),
    );
    const now = Date.parse("2026-11-20T11:00:00Z");
    const lastSixDaysNewestFirst = real
      .slice(-6)
      .map((b) => b.id)
      .reverse();

    it("occupies one daily slot: the real backups of the past days keep theirs", () => {
      const plan = planRetention([...real, ...burst], { keepDaily: 7, minAgeDays: 0 }, "UTC", now);
      expect(kept(plan)).toEqual(["burst-99", ...lastSixDaysNewestFirst]);
    });

    it("pushes every real backup out of keep_last alone", () => {
      const plan = planRetention([...real, ...burst], { keepLast: 7, minAgeDays: 0 }, "UTC", now);
      expect(kept(plan).every((id) => id.startsWith("burst-"))).toBe(true);
      expect(deleted(plan)).toEqual(expect.arrayContaining(real.map((b) => b.id)));
    });

    it("cannot get past min_age: the last 7 days of real backups stay whatever keep_last says", () => {
      const plan = planRetention([...real, ...burst], { keepLast: 7 }, "UTC", now);
      const keptReal = kept(plan).filter((id) => !id.startsWith("burst-"));
      // Nov 14 03:00 is 6 d 8 h old and stays; Nov 13 03:00 is 7 d 8 h old and goes.
      expect(keptReal).toEqual(lastSixDaysNewestFirst);
      expect(reasonsOf(plan, keptReal[0]!)).toEqual(["min age"]);
    });
  });
});

describe("guards", () => {
  it("the newest complete backup is kept even when the policy keeps nothing", () => {
    const history = [
      backup("2026-01-01T00:00:00Z"),
      backup("2026-01-02T00:00:00Z"),
      backup("2026-01-03T00:00:00Z", "suspicious"),
    ];
    const plan = planRetention(history, { minAgeDays: 0 }, "UTC", Date.parse("2026-06-01"));
    expect(plan.keep).toEqual([
      { id: "2026-01-03T00:00:00Z", reasons: ["newer than the oldest kept good backup"] },
      { id: "2026-01-02T00:00:00Z", reasons: ["newest"] },
    ]);
    expect(plan.delete).toEqual([{ id: "2026-01-01T00:00:00Z", reason: "no rule keeps it" }]);
  });

  it("min_age keeps everything younger than min_age_days × 24 h, whatever its status", () => {
    const now = Date.parse("2026-11-20T12:00:00Z");
    const history = [
      { id: "exactly 7 days", status: "complete", receivedAt: now - 7 * DAY },
      { id: "1 ms younger", status: "complete", receivedAt: now - 7 * DAY + 1 },
      { id: "failed yesterday", status: "failed", receivedAt: now - DAY },
      { id: "newest", status: "complete", receivedAt: now - HOUR },
    ] satisfies RetentionCandidate[];
    const plan = planRetention(history, { keepLast: 1 }, "UTC", now);
    expect(plan.keep).toEqual([
      { id: "newest", reasons: ["newest", "last 1", "min age"] },
      { id: "failed yesterday", reasons: ["min age", "newer than the oldest kept good backup"] },
      { id: "1 ms younger", reasons: ["min age"] },
    ]);
    expect(deleted(plan)).toEqual(["exactly 7 days"]);
    expect(immutableUntil(now - 7 * DAY, { keepLast: 1 })).toBe(now);
    expect(immutableUntil(now, { minAgeDays: 30 })).toBe(now + 30 * DAY);
  });

  it("suspicious and failed backups never take a slot, and go once every kept good backup is newer", () => {
    const history = [
      backup("2026-11-01T03:00:00Z", "suspicious"),
      backup("2026-11-18T03:00:00Z"),
      backup("2026-11-19T03:00:00Z"),
      backup("2026-11-19T04:00:00Z", "suspicious"), // would be Nov 19's newest
      backup("2026-11-20T03:00:00Z", "failed"), // would be Nov 20's only backup
    ];
    const plan = planRetention(history, { keepDaily: 2, minAgeDays: 0 }, "UTC", Date.parse("2026-12-01"));
    expect(plan.keep).toEqual([
      { id: "2026-11-20T03:00:00Z", reasons: ["newer than the oldest kept good backup"] },
      { id: "2026-11-19T04:00:00Z", reasons: ["newer than the oldest kept good backup"] },
      { id: "2026-11-19T03:00:00Z", reasons: ["newest", "daily 2026-11-19"] },
      { id: "2026-11-18T03:00:00Z", reasons: ["daily 2026-11-18"] },
    ]);
    expect(plan.delete).toEqual([
      { id: "2026-11-01T03:00:00Z", reason: "suspicious, older than every kept good backup" },
    ]);
  });

  it("with no good backup at all, nothing is deleted", () => {
    const history = [backup("2025-01-01T00:00:00Z", "suspicious"), backup("2025-02-01T00:00:00Z", "failed")];
    const plan = planRetention(history, { keepLast: 1 }, "UTC", Date.parse("2026-01-01"));
    expect(plan.delete).toEqual([]);
    expect(plan.keep.map((k) => k.reasons)).toEqual([["no good backup exists"], ["no good backup exists"]]);
  });

  it("uploading, tombstoned and deleted backups are not retention's to decide", () => {
    const history = [
      backup("2025-01-01T00:00:00Z", "uploading"),
      backup("2025-01-02T00:00:00Z", "tombstoned"),
      backup("2025-01-03T00:00:00Z", "deleted"),
      backup("2025-01-04T00:00:00Z"),
    ];
    const plan = planRetention(history, { keepLast: 1 }, "UTC", Date.parse("2026-01-01"));
    expect(plan).toEqual({ keep: [{ id: "2025-01-04T00:00:00Z", reasons: ["newest", "last 1"] }], delete: [] });
  });

  it("refuses a policy it would have to guess at, and an unknown time zone", () => {
    expect(() => planRetention([], { keepDaily: -1 }, "UTC", 0)).toThrow(
      "invalid retention policy: keep_daily must be a non-negative integer or null",
    );
    expect(() => planRetention([], { keepWithinS: 1.5 }, "UTC", 0)).toThrow(RangeError);
    expect(() => planRetention([], { keepLast: 1 }, "Mars/Olympus_Mons", 0)).toThrow(RangeError);
    expect(retentionPolicyProblem({ keepLast: null, minAgeDays: 7 })).toBeNull();
    expect(retentionPolicyProblem({ minAgeDays: Number.NaN })).toBe(
      "min_age_days must be a non-negative integer or null",
    );
    expect(hasKeepRule({ keepDaily: 0, minAgeDays: 30 })).toBe(false);
    expect(hasKeepRule({ keepWithinS: 60 })).toBe(true);
  });
});

describe("retention health", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  const history = [
    ...daysFrom("2026-10-20T03:00:00Z", 22),
    ...["15", "18", "20"].map((d) => backup(`2026-11-${d}T03:00:00Z`)),
  ];

  it("counts the days of the last 7 that have a good backup", () => {
    const health = retentionHealth(history, { keepDaily: 7, keepLast: 3 }, "UTC", now);
    expect(health).toEqual({
      ok: false,
      problems: ["policy keeps 7 daily restore points; only 3 exist in the last 7 days"],
      held: [
        { rule: "last", wanted: 3, expected: 3, have: 3 },
        { rule: "daily", wanted: 7, expected: 7, have: 3 },
      ],
    });
  });

  it("does not count today as missing before today's backup has run", () => {
    const health = retentionHealth(
      daysFrom("2026-11-13T03:00:00Z", 7),
      { keepDaily: 7 },
      "UTC",
      Date.parse("2026-11-20T01:00:00Z"),
    );
    expect(health).toEqual({ ok: true, problems: [], held: [{ rule: "daily", wanted: 7, expected: 7, have: 7 }] });
  });

  it("expects no more than the days since the first good backup", () => {
    const young = [backup("2026-11-18T03:00:00Z"), backup("2026-11-20T03:00:00Z")];
    expect(retentionHealth(young, { keepDaily: 7 }, "UTC", now).problems).toEqual([
      "policy keeps 7 daily restore points; only 2 exist in the 3 days since the first good backup",
    ]);
    const healthy = [...young, backup("2026-11-19T03:00:00Z"), backup("2026-11-19T05:00:00Z", "suspicious")];
    expect(retentionHealth(healthy, { keepDaily: 7, keepWeekly: 4 }, "UTC", now).ok).toBe(true);
  });

  it("counts in the check's zone and ignores suspicious backups", () => {
    const nearMidnight = [
      backup("2026-11-18T23:30:00Z"), // Nov 19 in Berlin, Nov 18 in UTC
      backup("2026-11-20T03:00:00Z"),
      backup("2026-11-19T03:00:00Z", "suspicious"),
    ];
    const policy = { keepDaily: 2 };
    expect(retentionHealth(nearMidnight, policy, "Europe/Berlin", now).ok).toBe(true);
    expect(retentionHealth(nearMidnight, policy, "UTC", now).problems).toEqual([
      "policy keeps 2 daily restore points; only 1 exists in the last 2 days",
    ]);
  });

  it("says so when there is no good backup at all", () => {
    const health = retentionHealth([backup("2026-11-20T03:00:00Z", "suspicious")], { keepWeekly: 1 }, "UTC", now);
    expect(health.ok).toBe(false);
    expect(health.problems).toEqual(["no good backup exists"]);
  });

  it("is silent about a check still waiting for its first backup (issue 14: default policies)", () => {
    expect(retentionHealth([], { keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }, "UTC", now)).toMatchObject({
      ok: true,
      problems: [],
    });
  });
});

it("plans 10,000 backups quickly (the time is printed, not asserted)", () => {
  const start = Date.parse("2025-09-01T00:00:00Z");
  const history: RetentionCandidate[] = Array.from({ length: 10_000 }, (_, i) => ({
    id: `bk_${i.toString(16).padStart(20, "0")}`,
    status: i % 50 === 0 ? "suspicious" : "complete",
    receivedAt: start + i * HOUR + ((i * 7919) % 600_000),
  }));
  const policy = { keepLast: 10, keepHourly: 48, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 5 };
  const now = start + 10_000 * HOUR;
  const timed = <T>(run: () => T): [T, number] => {
    const began = performance.now();
    const result = run();
    return [result, performance.now() - began];
  };
  // A zone not planned in before: the first run also builds the zone's offset cache.
  const [plan, cold] = timed(() => planRetention(history, { ...policy, keepWithinS: 86_400 }, "America/New_York", now));
  const [, warm] = timed(() => planRetention(history, { ...policy, keepWithinS: 86_400 }, "America/New_York", now));
  const [health, healthMs] = timed(() => retentionHealth(history, policy, "America/New_York", now));
  console.log(
    `retention over 10,000 backups: plan ${cold.toFixed(1)} ms (new zone), ${warm.toFixed(1)} ms (warm); ` +
      `health ${healthMs.toFixed(1)} ms; keeps ${plan.keep.length}, deletes ${plan.delete.length}`,
  );
  expect(plan.keep.length + plan.delete.length).toBe(10_000);
  expect(health.held.map((h) => h.rule)).toEqual(["last", "hourly", "daily", "weekly", "monthly", "yearly"]);
});
