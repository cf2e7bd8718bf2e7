import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MIN_AGE_DAYS,
  planRetention,
  retentionHealth,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
} from "../../worker/domain/retention";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const RUNS = { numRuns: 300 };

// Complete backups are the common case; the rest are what retention must step around.
const STATUSES = [
  "complete",
  "complete",
  "complete",
  "suspicious",
  "failed",
  "uploading",
  "tombstoned",
  "deleted",
] as const;
// Zones with DST, with half-hour and 45-minute offsets, and a half-hour DST shift (Lord Howe).
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "Australia/Lord_Howe",
] as const;

/**
 * Histories over two days, two months or three years before the latest `now`, so hourly and daily
 * buckets collide as often as monthly and yearly ones; whole hours make equal times (ties) common.
 */
const history = fc.constantFrom(2 * DAY, 60 * DAY, 3 * 365 * DAY).chain((span) =>
  fc.uniqueArray(
    fc.record({
      id: fc.stringMatching(/^bk_[0-9a-f]{6}$/),
      status: fc.constantFrom(...STATUSES),
      receivedAt: fc.oneof(
        fc.integer({ min: 0, max: span }).map((age) => NOW - age),
        fc.integer({ min: 0, max: Math.floor(span / HOUR) }).map((hours) => NOW - hours * HOUR),
      ),
    }),
    // size "max": fast-check's default size would stop at about 10 backups.
    { selector: (b) => b.id, maxLength: 150, size: "max" },
  ),
);

const count = fc.option(fc.integer({ min: 0, max: 12 }), { nil: null });
const policy: fc.Arbitrary<RetentionPolicy> = fc.record(
  {
    keepLast: count,
    keepHourly: count,
    keepDaily: count,
    keepWeekly: count,
    keepMonthly: count,
    keepYearly: count,
    keepWithinS: fc.option(fc.integer({ min: 0, max: 60 * 86_400 }), { nil: null }),
    minAgeDays: fc.option(fc.integer({ min: 0, max: 14 }), { nil: null }),
  },
  { requiredKeys: [] },
);
const zone = fc.constantFrom(...ZONES);
// Up to a month after the newest possible backup: ages cross the immutability window both ways.
const now = fc.integer({ min: NOW, max: NOW + 30 * DAY });

const isCandidate = (b: RetentionCandidate) => ["complete", "suspicious", "failed"].includes(b.status);
const keptIds = (plan: RetentionPlan) => new Set(plan.keep.map((k) => k.id));

describe("retention planner properties", () => {
  it("always keeps the newest complete backup", () => {
    fc.assert(
      fc.property(history, policy, zone, now, (backups, rules, tz, at) => {
        // Among equal times the larger id counts as newer.
        const [newest] = backups
          .filter((b) => b.status === "complete")
          .sort((a, b) => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1));
        fc.pre(newest !== undefined);
        expect(keptIds(planRetention(backups, rules, tz, at))).toContain(newest!.id);
      }),
      RUNS,
    );
  });

  it("never deletes anything younger than min_age_days", () => {
    fc.assert(
      fc.property(history, policy, zone, now, (backups, rules, tz, at) => {
        const minAgeMs = (rules.minAgeDays ?? DEFAULT_MIN_AGE_DAYS) * DAY;
        const receivedAt = new Map(backups.map((b) => [b.id, b.receivedAt]));
        for (const gone of planRetention(backups, rules, tz, at).delete) {
          expect(at - receivedAt.get(gone.id)!).toBeGreaterThanOrEqual(minAgeMs);
        }
      }),
      RUNS,
    );
  });

  it("splits the candidates into keep and delete, each exactly once, every kept one with a reason", () => {
    fc.assert(
      fc.property(history, policy, zone, now, (backups, rules, tz, at) => {
        const plan = planRetention(backups, rules, tz, at);
        const decided = [...plan.keep.map((k) => k.id), ...plan.delete.map((d) => d.id)];
        expect(decided.sort()).toEqual(
          backups
            .filter(isCandidate)
            .map((b) => b.id)
            .sort(),
        );
        expect(plan.keep.every((k) => k.reasons.length > 0)).toBe(true);
      }),
      RUNS,
    );
  });

  it("does not depend on the order of its input", () => {
    const shuffled = history.chain((backups) =>
      fc.tuple(fc.constant(backups), fc.shuffledSubarray(backups, { minLength: backups.length })),
    );
    fc.assert(
      fc.property(shuffled, policy, zone, now, ([backups, reordered], rules, tz, at) => {
        expect(planRetention(reordered, rules, tz, at)).toEqual(planRetention(backups, rules, tz, at));
      }),
      RUNS,
    );
  });

  it("deletes nothing more when applied again", () => {
    fc.assert(
      fc.property(history, policy, zone, now, (backups, rules, tz, at) => {
        const gone = new Set(planRetention(backups, rules, tz, at).delete.map((d) => d.id));
        const remaining = backups.filter((b) => !gone.has(b.id));
        expect(planRetention(remaining, rules, tz, at).delete).toEqual([]);
      }),
      RUNS,
    );
  });

  it("keeps a superset under a looser policy", () => {
    const bump = fc.integer({ min: 0, max: 5 });
    const loosening = fc.record({
      counts: fc.tuple(bump, bump, bump, bump, bump, bump),
      withinS: fc.integer({ min: 0, max: 10 * 86_400 }),
      minAgeDays: bump,
    });
    fc.assert(
      fc.property(history, policy, loosening, zone, now, (backups, rules, more, tz, at) => {
        const [last, hourly, daily, weekly, monthly, yearly] = more.counts;
        const looser: RetentionPolicy = {
          keepLast: (rules.keepLast ?? 0) + last,
          keepHourly: (rules.keepHourly ?? 0) + hourly,
          keepDaily: (rules.keepDaily ?? 0) + daily,
          keepWeekly: (rules.keepWeekly ?? 0) + weekly,
          keepMonthly: (rules.keepMonthly ?? 0) + monthly,
          keepYearly: (rules.keepYearly ?? 0) + yearly,
          keepWithinS: (rules.keepWithinS ?? 0) + more.withinS,
          minAgeDays: (rules.minAgeDays ?? DEFAULT_MIN_AGE_DAYS) + more.minAgeDays,
        };
        const strictKeeps = keptIds(planRetention(backups, rules, tz, at));
        const looseKeeps = keptIds(planRetention(backups, looser, tz, at));
        for (const id of strictKeeps) expect(looseKeeps).toContain(id);
      }),
      RUNS,
    );
  });

  it("gives suspicious and failed backups no slot: the good backups' fate is the same without them", () => {
    fc.assert(
      fc.property(history, policy, zone, now, (backups, rules, tz, at) => {
        const good = backups.filter((b) => b.status === "complete");
        const isGood = new Set(good.map((b) => b.id));
        const withOthers = planRetention(backups, rules, tz, at);
        const alone = planRetention(good, rules, tz, at);
        expect(withOthers.keep.filter((k) => isGood.has(k.id))).toEqual(alone.keep);
        expect(withOthers.delete.filter((d) => isGood.has(d.id))).toEqual(alone.delete);
      }),
      RUNS,
    );
  });

  it("never takes away a restore point that retention health counts", () => {
    // Lord Howe's half-hour DST shift makes a half-hour bucket that health's hour count merges.
    const wholeHourShiftZones = fc.constantFrom(...ZONES.filter((tz) => tz !== "Australia/Lord_Howe"));
    fc.assert(
      fc.property(history, policy, wholeHourShiftZones, now, (backups, rules, tz, at) => {
        const gone = new Set(planRetention(backups, rules, tz, at).delete.map((d) => d.id));
        const before = retentionHealth(backups, rules, tz, at);
        const after = retentionHealth(
          backups.filter((b) => !gone.has(b.id)),
          rules,
          tz,
          at,
        );
        expect(after.held.map((h) => h.have)).toEqual(before.held.map((h) => h.have));
        if (before.ok) expect(after.ok).toBe(true);
      }),
      RUNS,
    );
  });
});
