import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REQUEST_COSTS, SWEEP_RUNS_PER_DAY } from "../../worker/domain/free-plan";
import { PLAN_COUNT_MINUTE } from "../../worker/services/free-plan";
import worker from "../../worker/index";
import { BASE, call, createCheck, READER, tableCounts } from "../helpers/api";
import { sweepAt } from "../helpers/integrity";
import { Browser, COOKIE } from "./admin-client";

const MINUTE = 60_000;
const { unsignedPing, signedPing, sweepIdleRun } = REQUEST_COSTS;

/** Pings as the log holds them: `count` of them, one a minute up to now, from `source`. */
async function seedPings(checkId: number, count: number, source: "url" | "signed") {
  const now = Date.now();
  await env.DB.batch(
    Array.from({ length: count }, (_, i) =>
      env.DB.prepare(
        "INSERT INTO pings (check_id, n, slot, kind, source, method, received_at) VALUES (?, ?, ?, 'success', ?, 'POST', ?)",
      ).bind(checkId, i + 1, (i + 1) % 100, source, now - (count - i) * MINUTE),
    ),
  );
}

async function idOf(slug: string): Promise<number> {
  return (await env.DB.prepare("SELECT id FROM checks WHERE slug = ?").bind(slug).first<{ id: number }>())!.id;
}

async function projected(): Promise<Record<string, number>> {
  const text = await (await call("GET", "/metrics", { token: READER })).text();
  const values: Record<string, number> = {};
  for (const [, name, resource, value] of text.matchAll(/^(lifeboat_free_plan_\w+)\{resource="(\w+)"\} (\S+)$/gm)) {
    values[`${name}:${resource}`] = Number(value);
  }
  return values;
}

/** Equal within one ping's cost: the seeded log's span grows by the milliseconds the test takes. */
function expectNear(actual: number | undefined, expected: number) {
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(signedPing.rows_written);
}

const budgetSection = (html: string) =>
  /<section aria-labelledby="h-free-plan">[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";

async function overviewWith(plan: string | undefined): Promise<string> {
  const browser = await Browser.admin();
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}/admin`, { headers: { Cookie: `${COOKIE}=${browser.cookie}` } }),
    { ...env, PLAN: plan },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(response.status).toBe(200);
  return budgetSection(await response.text());
}

describe("the Free plan budget", () => {
  afterEach(() => vi.useRealTimers());

  it("projects the schedules and the last 24 h of pings, on the overview and in /metrics alike", async () => {
    await createCheck({ name: "minutely", slug: "minutely", period_s: 60, grace_s: 60 });
    await createCheck({ name: "<b>busy</b> agent", slug: "busy", period_s: 86_400, grace_s: 3600 });
    await createCheck({ name: "nightly", slug: "nightly", period_s: 86_400, grace_s: 3600 });
    // A daily check that an agent signs for every minute: its full log of 100 covers 100 minutes.
    await seedPings(await idOf("busy"), 100, "signed");

    const written =
      SWEEP_RUNS_PER_DAY * sweepIdleRun.rows_written +
      1440 * unsignedPing.rows_written +
      1440 * signedPing.rows_written +
      unsignedPing.rows_written;
    const read =
      SWEEP_RUNS_PER_DAY * sweepIdleRun.rows_read +
      1440 * unsignedPing.rows_read +
      1440 * signedPing.rows_read +
      unsignedPing.rows_read;
    const metrics = await projected();
    expectNear(metrics["lifeboat_free_plan_projected:rows_written"], written);
    expectNear(metrics["lifeboat_free_plan_projected:rows_read"], read);
    expectNear(metrics["lifeboat_free_plan_projected:requests"], SWEEP_RUNS_PER_DAY + 1440 + 1440 + 1);
    expect(metrics["lifeboat_free_plan_limit:rows_written"]).toBe(100_000);
    expect(metrics["lifeboat_free_plan_limit:rows_read"]).toBe(5_000_000);
    expect(metrics["lifeboat_free_plan_limit:requests"]).toBe(100_000);

    const section = await overviewWith(undefined);
    const shown = metrics["lifeboat_free_plan_projected:rows_written"]!;
    expect(section).toContain(`D1 rows written: ${shown.toLocaleString("en-US")} of 100,000 a day`);
    expect(section).toMatch(new RegExp(`<meter id="plan-rows_written"[^>]*max="100000"[^>]*value="${shown}"`));
    expect(section).toContain('id="plan-rows_read"');
    expect(section).toContain('id="plan-requests"');
    expect(section).not.toContain('role="alert"');
    // The top 3 by cost, escaped: the signed one costs more than the plain minutely one.
    const rows = [...section.matchAll(/<td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(rows).toEqual(["&lt;b&gt;busy&lt;/b&gt; agent", "minutely", "nightly"]);
    expect(section).not.toContain("<b>busy</b>");
  });

  it("warns from 80 % of a limit, and not with PLAN=paid", async () => {
    const perCheck = 1440 * unsignedPing.rows_written;
    const used = (await projected())["lifeboat_free_plan_projected:rows_written"]!;
    const belowWarning = Math.floor((80_000 - used - 1) / perCheck); // minutely checks that stay under 80 %
    for (let i = 0; i < belowWarning; i++) {
      await createCheck({ name: `heartbeat ${i}`, slug: `hb-${i}`, period_s: 60, grace_s: 60 });
    }
    expect((await projected())["lifeboat_free_plan_projected:rows_written"]).toBeLessThan(80_000);
    expect(await overviewWith(undefined)).not.toContain('role="alert"');

    await createCheck({ name: "one more", slug: "one-more", period_s: 60, grace_s: 60 });
    expect((await projected())["lifeboat_free_plan_projected:rows_written"]).toBeGreaterThanOrEqual(80_000);
    const warned = await overviewWith(undefined);
    expect(warned).toMatch(/role="alert" data-level="(warn|over)"/);
    expect(warned).toContain("D1 rows written projected at");

    const paid = await overviewWith("paid");
    expect(paid).not.toContain('role="alert"');
    expect(paid).toContain("PLAN=paid");
  });

  it("reads the sweep's hourly count of the ping log, and counts for itself when that is stale or damaged", async () => {
    await createCheck({ name: "late agent", slug: "late-agent", period_s: 86_400, grace_s: 3600 });
    // Pages and the sweep at the sweep's counting minute (the next one, so every ping so far is in the past).
    const countingMinute = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + PLAN_COUNT_MINUTE * MINUTE;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(countingMinute + 1000);
    await sweepAt(Date.now());
    const before = await projected();
    await seedPings(await idOf("late-agent"), 100, "signed");
    // The schedules are read on every request, the ping log only by the sweep's hourly count.
    expect(await projected()).toEqual(before);
    const recounted =
      before["lifeboat_free_plan_projected:rows_written"]! - unsignedPing.rows_written + 1440 * signedPing.rows_written;

    await env.DB.prepare("UPDATE settings SET value = '{\"checks\": 1' WHERE key = 'free_plan_counts'").run();
    expectNear((await projected())["lifeboat_free_plan_projected:rows_written"], recounted);
    await sweepAt(Date.now());
    await env.DB.prepare("UPDATE settings SET updated_at = updated_at - 7200000 WHERE key = 'free_plan_counts'").run();
    expectNear((await projected())["lifeboat_free_plan_projected:rows_written"], recounted);
  });

  it("never writes from a page or a scrape", async () => {
    const before = await tableCounts();
    // Rows only: the result's meta carries the query's duration, which differs run to run.
    const settings = (await env.DB.prepare("SELECT * FROM settings ORDER BY key").all()).results;
    await call("GET", "/metrics", { token: READER });
    await (await Browser.reader()).get("/admin");
    expect(await tableCounts()).toEqual(before);
    expect((await env.DB.prepare("SELECT * FROM settings ORDER BY key").all()).results).toEqual(settings);
  });
});
