import fc from "fast-check";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { defaultKeepRules, describeRetention, retentionHealth } from "../../worker/domain/retention";
import { nextExpectedAt, scheduleOf, type ScheduleFields } from "../../worker/domain/schedule";
import { scheduleIntervalS } from "../../worker/domain/status/rpo";
import { openDb } from "../../worker/services/db";
import { applyRetention } from "../../worker/services/retention";
import { call, createCheck, json } from "../helpers/api";
import { Browser } from "./admin-client";

// Issue 14, item 12: a new backup check gets a retention policy instead of keeping every backup
// forever, says so when it is created and on the dashboard, and the default never cries wolf.

const DAY_S = 86_400;
const DEFAULT_DAILY = {
  keep_last: null,
  keep_hourly: null,
  keep_daily: 7,
  keep_weekly: 4,
  keep_monthly: 6,
  keep_yearly: null,
  keep_within_s: null,
  min_age_days: 7,
  tombstone_days: 3,
};

describe("the default policy of a new backup check", () => {
  it("keeps 7 daily, 4 weekly and 6 monthly backups of a daily job, and the creation answer says so", async () => {
    const response = await call("POST", "/api/v1/checks", { body: { name: "nightly db", kind: "backup" } });
    expect(response.status).toBe(201);
    const created = await response.json<any>();
    expect(created.retention).toMatchObject({
      ...DEFAULT_DAILY,
      default: true,
      summary: "keeps 7 daily, 4 weekly and 6 monthly backups; nothing younger than 7 days is deleted",
    });
    expect((await json(call("GET", `/api/v1/checks/${created.uuid}/retention`))).enabled).toBe(true);
  });

  it("takes only the calendar rules a sparser schedule fills, with keep_last 7 for the rest", async () => {
    const weekdays = await createCheck({ name: "weekday db", kind: "backup", cron: "0 3 * * 1-5" });
    expect(weekdays.retention).toMatchObject({ keep_last: 7, keep_daily: null, keep_weekly: 4, keep_monthly: 6 });
    const monthly = await createCheck({ name: "monthly db", kind: "backup", cron: "0 3 1 * *" });
    expect(monthly.retention).toMatchObject({ keep_last: 7, keep_weekly: null, keep_monthly: null, default: true });
  });

  it("is not applied when the request names a keep rule, and keep_last 0 turns retention off", async () => {
    const own = await createCheck({ name: "own rules", kind: "backup", keep_last: 3 });
    expect(own.retention).toMatchObject({ keep_last: 3, keep_daily: null, keep_weekly: null, default: false });
    const off = await createCheck({ name: "keep forever", kind: "backup", keep_last: 0 });
    expect(off.retention).toMatchObject({ keep_daily: null, summary: "off: every backup is kept", default: false });
    expect((await json(call("GET", `/api/v1/checks/${off.uuid}/retention`))).enabled).toBe(false);
    const heartbeat = await createCheck({ name: "web heartbeat" });
    expect(heartbeat.retention).toMatchObject({ keep_daily: null, keep_last: null, default: false });
  });

  it("follows a schedule change while it is the default, and never touches a policy someone chose", async () => {
    const check = await createCheck({ name: "moving db", kind: "backup" });
    const weekly = await json(call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { cron: "0 3 * * 0" } }));
    expect(weekly.retention).toMatchObject({ keep_last: 7, keep_daily: null, keep_weekly: 4, default: true });
    const own = await createCheck({ name: "chosen db", kind: "backup", keep_daily: 30 });
    const moved = await json(call("PATCH", `/api/v1/checks/${own.uuid}`, { body: { cron: "0 3 * * 0" } }));
    expect(moved.retention).toMatchObject({ keep_daily: 30, keep_last: null, keep_weekly: null });
    const became = await json(
      call("PATCH", `/api/v1/checks/${(await createCheck({ name: "was heartbeat" })).uuid}`, {
        body: { kind: "backup" },
      }),
    );
    expect(became.retention).toMatchObject({ keep_daily: 7, default: true });
  });

  it("leaves a backup check made before defaults existed as it was: retention off", async () => {
    const check = await createCheck({ name: "old check", kind: "backup", keep_daily: 7 });
    await env.DB.prepare("UPDATE checks SET keep_daily = NULL WHERE uuid = ?").bind(check.uuid).run();
    const renamed = await json(call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { name: "old check, renamed" } }));
    expect(renamed.retention).toMatchObject({
      keep_daily: null,
      keep_weekly: null,
      summary: "off: every backup is kept",
    });
  });

  it("raises no retention alert for a new check that is still waiting for its first backup", async () => {
    const check = await createCheck({ name: "waiting db", kind: "backup" });
    const row = await openDb(env.DB).query.checks.findFirst({ where: (c, { eq }) => eq(c.uuid, check.uuid) });
    expect(await applyRetention(openDb(env.DB), row!, Date.now())).toEqual({ tombstoned: 0, problem: null });
    const after = await json(call("GET", `/api/v1/checks/${check.uuid}`));
    expect(after.retention.problem).toBeNull();
    const flips = await env.DB.prepare(
      "SELECT count(*) AS n FROM flips WHERE reason = 'retention' AND check_id = (SELECT id FROM checks WHERE uuid = ?)",
    )
      .bind(check.uuid)
      .first<{ n: number }>();
    expect(flips!.n).toBe(0);
  });

  it("is said on the new-check form and on the check's page", async () => {
    const browser = await Browser.admin();
    const form = await browser.get("/admin/checks/new");
    expect(form.html).toContain("New backup checks keep 7 daily, 4 weekly and 6 monthly backups");
    const check = await createCheck({ name: "page db", kind: "backup" });
    const page = await browser.get(`/admin/checks/${check.uuid}`);
    expect(page.html).toContain(
      "Policy: keeps 7 daily, 4 weekly and 6 monthly backups; nothing younger than 7 days is deleted (the default for this schedule).",
    );
  });
});

describe("the default never reports a shortfall for backups that arrive on schedule", () => {
  const schedules: ScheduleFields[] = [
    ...[3600, 6 * 3600, DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S, 45 * DAY_S].map((periodS) => ({
      periodS,
      cron: null,
      tz: "UTC",
      graceS: 3600,
    })),
    ...["0 3 * * *", "0 3 * * 1-5", "30 2 * * 1,4", "0 */6 * * *", "0 3 * * 0", "0 3 1 * *", "0 3 1 */3 *"].map(
      (cron) => ({ periodS: null, cron, tz: "Europe/Berlin", graceS: 3600 }),
    ),
  ];

  it("holds every rule of the default for any schedule, history length and moment", () => {
    const start = Date.parse("2025-01-01T00:00:00Z");
    fc.assert(
      fc.property(
        fc.constantFrom(...schedules),
        fc.integer({ min: 0, max: 400 * DAY_S * 1000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 59 * 60_000 }),
        (fields, offset, fires, lateBy) => {
          const schedule = scheduleOf(fields);
          const first = start + offset;
          const rules = defaultKeepRules(scheduleIntervalS(schedule, first));
          const backups = [];
          let at = nextExpectedAt(schedule, first);
          for (let i = 0; i < fires; i++, at = nextExpectedAt(schedule, at)) {
            backups.push({ id: `bk_${i}`, status: "complete" as const, receivedAt: at + lateBy });
          }
          // Looked at any time before the next backup is due (and late within the grace time).
          const now = at + lateBy - 1;
          const health = retentionHealth(backups, { ...rules, minAgeDays: 7 }, fields.tz, now);
          expect(health.problems).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("words every policy as one sentence", () => {
    expect(describeRetention({ keepLast: 7, keepWeekly: 4, keepMonthly: 6, minAgeDays: 7 })).toBe(
      "keeps the last 7, 4 weekly and 6 monthly backups; nothing younger than 7 days is deleted",
    );
    expect(describeRetention({ keepWithinS: 2 * DAY_S, minAgeDays: 0 })).toBe(
      "keeps every backup within 2d of the newest",
    );
    expect(describeRetention({ keepLast: 0, minAgeDays: 7 })).toBe("off: every backup is kept");
  });
});
