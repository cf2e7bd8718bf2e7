import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { sweepContext } from "../../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../../worker/services/sweep";
import type { Recorded } from "../../helpers/receiver";
import { call, createCheck, json } from "../../helpers/api";

/**
 * Reliability 7 (docs/RELIABILITY.md): the cron sweep does not run for 6 hours, then runs again
 * (twice at once, then minutely). Meanwhile pings keep arriving through the real fetch handler,
 * with the clock moved by vi.setSystemTime (Date only; the sweeps get their `now` injected).
 * Every check that is down when the sweep comes back alerts exactly once; a check that missed its
 * deadline but pinged before the sweep came back never alerts (that would be stale); a check that
 * failed and recovered inside the gap reports down then up, once each; a paused check says nothing.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const receiver = inject("receiverUrl");
const inbox = "reliability-skipped-sweep";
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

afterEach(() => {
  vi.useRealTimers();
});

/** Pings through the Worker's fetch handler at a moment of the test's clock. */
async function pingAt(at: number, uuid: string, suffix = "") {
  vi.setSystemTime(at);
  const response = await call("GET", `/ping/${uuid}${suffix}`, { token: null });
  expect(response.status).toBe(200);
}

describe("the sweep skipped for 6 hours, then run", () => {
  it("alerts once per check that is down, never for one that came back, never twice", async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    await call("POST", "/api/v1/channels", {
      body: { kind: "webhook", url: `${receiver}/hook/${inbox}`, filter: { tags: ["skipped"], checks: [] } },
    });
    const make = async (group: string, n: number, fields: Record<string, unknown>) => {
      const made = [];
      for (let i = 0; i < n; i++)
        made.push(await createCheck({ name: `${group} ${i}`, tags: ["skipped"], grace_s: 300, ...fields }));
      return made.map((c: any) => ({ ...c, group }));
    };
    // silent: hourly jobs that stop at t0 (due t0+1h05, inside the gap): down when the sweep returns.
    const silent = await make("silent", 20, { period_s: 3600 });
    // late: hourly jobs that missed their deadline inside the gap but pinged before the sweep returned.
    const late = await make("late", 8, { period_s: 3600 });
    // bounced: daily jobs that failed before the gap and succeeded inside it.
    const bounced = await make("bounced", 5, { period_s: 86400 });
    // failing: daily jobs that reported a failure inside the gap and are still down.
    const failing = await make("failing", 5, { period_s: 86400 });
    // paused inside the gap, before their deadline.
    const paused = await make("paused", 4, { period_s: 3600 });
    const all = [...silent, ...late, ...bounced, ...failing, ...paused];
    for (const check of all) await pingAt(t0, check.uuid);

    // Sweeps run minutely for 10 minutes; one of them sees the bounced jobs fail.
    for (const check of bounced) await pingAt(t0 + 3 * MIN, check.uuid, "/fail");
    for (let minute = 1; minute <= 10; minute++) await sweepAt(t0 + minute * MIN);

    // The gap: 6 hours without a sweep. Pings (and the alerts they dispatch at once) go on.
    const gapStart = t0 + 10 * MIN;
    for (const check of paused) {
      vi.setSystemTime(gapStart + 20 * MIN);
      expect((await call("POST", `/api/v1/checks/${check.uuid}/pause`)).status).toBe(200);
    }
    for (const check of late) await pingAt(gapStart + 2 * HOUR, check.uuid); // 55 min past the deadline
    for (const check of failing) await pingAt(gapStart + 3 * HOUR, check.uuid, "/fail");
    for (const check of bounced) await pingAt(gapStart + 4 * HOUR, check.uuid);
    for (const check of late) await pingAt(gapStart + 5 * HOUR + 30 * MIN, check.uuid); // due again after the gap

    const back = gapStart + 6 * HOUR;
    vi.setSystemTime(back);
    const [first, second] = await Promise.all([sweepAt(back), sweepAt(back)]);
    let sweeps = 2;
    for (let minute = 1; minute <= 10; minute++, sweeps++) await sweepAt(back + minute * MIN);
    vi.useRealTimers();

    const recorded = await (await fetch(`${receiver}/_requests/${inbox}`)).json<Recorded[]>();
    const receipts = recorded.filter((r) => r.status === 200);
    const events = new Map<string, string[]>();
    for (const r of receipts) {
      const body = JSON.parse(r.body);
      events.set(body.check.uuid, [...(events.get(body.check.uuid) ?? []), body.event.replace("check.", "")]);
    }
    const keys = receipts.map((r) => r.headers["x-lifeboat-delivery"]);
    const expected: Record<string, string[]> = {
      silent: ["down"],
      late: [],
      bounced: ["down", "up"],
      failing: ["down"],
      paused: [],
    };
    const wrong = all
      .map((c) => ({ group: c.group, name: c.name, got: events.get(c.uuid) ?? [] }))
      .filter((c) => JSON.stringify(c.got) !== JSON.stringify(expected[c.group]));
    const downAlerts = receipts.filter((r) => JSON.parse(r.body).event === "check.down").length;
    const stale = all.filter((c) => ["late", "paused"].includes(c.group) && events.has(c.uuid)).length;
    console.log(
      `skipped sweep: ${all.length} checks, 6 h gap, ${sweeps} sweeps after it (2 overlapping), ` +
        `${first!.timedOut + second!.timedOut} marked down on return, ${downAlerts} down alerts for ` +
        `${silent.length + bounced.length + failing.length} checks that went down, ${stale} stale, ` +
        `${keys.length - new Set(keys).size} duplicated, ${wrong.length} wrong`,
    );
    expect(wrong).toEqual([]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(first!.timedOut + second!.timedOut).toBe(silent.length);
    // Every down alert of a silent check says it is down, since the deadline inside the gap.
    for (const r of receipts.map((r) => JSON.parse(r.body)).filter((b) => b.event === "check.down")) {
      expect(r.status).toBe("down");
    }
    for (const check of late) expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("up");
    for (const check of silent) expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("down");
  });
});
