import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck, json } from "../helpers/api";
import { checkIdOf, exec, getPublic, HOUR } from "../helpers/status";
import { Browser } from "./admin-client";

// Issue 14, item 9: a check past its deadline is `down` by the clock before the sweep records it.
// The API, the dashboard and the public pages must tell the same story before the sweep as after:
// the same reason, the same words, the same incident (start and id included).

const MIN = 60_000;
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

/** Everything a person or a script reads about one check, minus what only says "rendered at". */
async function story(uuid: string, name: string) {
  const api = await json(call("GET", `/api/v1/checks/${uuid}`));
  const page = await (await Browser.admin()).get(`/admin/checks/${uuid}`);
  const state = /<dt>State<\/dt><dd>([\s\S]*?)<\/dd>/.exec(page.html)![1];
  const status = await json(getPublic("/status.json"));
  const html = await (await getPublic("/")).text();
  const incidents = /<section aria-labelledby="in">([\s\S]*?)<\/section>/.exec(html)![1]!;
  return {
    api: { status: api.status, status_reason: api.status_reason },
    dashboard: state,
    public: {
      check: status.groups.flatMap((g: any) => g.checks).find((c: any) => c.name === name),
      incidents: status.incidents.filter((i: any) => i.check === name),
      banner: status.status,
    },
    // The page's incident line (its duration counts minutes of `now`, so only the words are compared).
    pageIncident: incidents.includes(`<b>${name}</b>`) ? /<b>[^<]*<\/b>([^<]*)/.exec(incidents)![1] : null,
  };
}

/** Moves a check that pinged just now back in time, so its deadline passed `overdueBy` ago. */
async function backdate(id: number, lastEventAt: number, fields: { alertAfter: number; nextDueAt: number | null }) {
  await exec(
    "UPDATE checks SET last_ping_at = ?, next_due_at = ?, alert_after = ? WHERE id = ?",
    lastEventAt,
    fields.nextDueAt,
    fields.alertAfter,
    id,
  );
  await exec("UPDATE flips SET created_at = ? WHERE check_id = ?", lastEventAt, id);
  await exec("UPDATE pings SET received_at = ? WHERE check_id = ?", lastEventAt, id);
}

describe("a check past its deadline, before and after the sweep", () => {
  it("reads down with reason timeout on every surface, and the sweep changes none of it", async () => {
    const name = "overdue nightly";
    const check = await createCheck({ name, period_s: 3600, grace_s: 600, public: true, public_details: true });
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
    const id = await checkIdOf(check.uuid);
    const now = Date.now();
    const deadline = now - 50 * MIN;
    await backdate(id, now - 2 * HOUR, { nextDueAt: now - HOUR, alertAfter: deadline });

    const before = await story(check.uuid, name);
    expect(before.api).toEqual({ status: "down", status_reason: "timeout" });
    expect(before.dashboard).toContain("no ping before the deadline");
    expect(before.public.check.state).toBe("down");
    expect(before.public.incidents).toEqual([
      expect.objectContaining({
        reason: "did not report in time",
        detail: "no ping before the deadline",
        started_at: new Date(deadline).toISOString(),
        ended_at: null,
      }),
    ]);
    expect(before.pageIncident).toContain("did not report in time");

    const report = await sweepAt(Date.now());
    expect(report.timedOut).toBe(1);
    const flip = await env.DB.prepare("SELECT reason, created_at FROM flips WHERE check_id = ? ORDER BY id DESC")
      .bind(id)
      .first<{ reason: string; created_at: number }>();
    expect(flip).toEqual({ reason: "timeout", created_at: deadline });

    expect(await story(check.uuid, name)).toEqual(before);
  });

  it("says run_timeout for a started run that never finished, before and after the sweep", async () => {
    const name = "overdue started";
    const check = await createCheck({ name, period_s: 86_400, grace_s: 600, public: true });
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
    expect((await call("GET", `/ping/${check.uuid}/start`, { token: null })).status).toBe(200);
    const id = await checkIdOf(check.uuid);
    const startedAt = Date.now() - HOUR;
    await exec("UPDATE checks SET last_start_at = ? WHERE id = ?", startedAt, id);
    await backdate(id, startedAt - HOUR, { nextDueAt: startedAt + 23 * HOUR, alertAfter: startedAt + 10 * MIN });

    const before = await story(check.uuid, name);
    expect(before.api).toEqual({ status: "down", status_reason: "run_timeout" });
    expect(before.dashboard).toContain("started but never finished within the grace time");
    expect(before.public.incidents).toEqual([
      expect.objectContaining({
        reason: "started but did not finish in time",
        started_at: new Date(startedAt + 10 * MIN).toISOString(),
      }),
    ]);

    expect((await sweepAt(Date.now())).timedOut).toBe(1);
    expect(await story(check.uuid, name)).toEqual(before);
  });

  it("dates a late sweep's flip at the deadline, and an on-time one at its own minute", async () => {
    const check = await createCheck({ name: "overdue dated", period_s: 3600, grace_s: 600 });
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
    const row = await env.DB.prepare("SELECT id, alert_after FROM checks WHERE uuid = ?")
      .bind(check.uuid)
      .first<{ id: number; alert_after: number }>();
    // The sweep that runs 3 hours late still dates the flip at the missed deadline.
    await sweepAt(row!.alert_after + 3 * HOUR);
    const flip = await env.DB.prepare("SELECT created_at FROM flips WHERE check_id = ? AND to_status = 'down'")
      .bind(row!.id)
      .first<{ created_at: number }>();
    expect(flip!.created_at).toBe(row!.alert_after);
    // A ping's flip keeps its own time: back up now.
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
    const up = await env.DB.prepare(
      "SELECT created_at FROM flips WHERE check_id = ? AND to_status = 'up' ORDER BY id DESC",
    )
      .bind(row!.id)
      .first<{ created_at: number }>();
    expect(Math.abs(up!.created_at - Date.now())).toBeLessThan(60_000);
  });
});
