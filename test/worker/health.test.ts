import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../../worker/index";
import { monitoringOf, publicError, SWEEP_LATE_MS, type SweepHeartbeat } from "../../worker/domain/monitoring";
import { timeLabel } from "../../worker/domain/status/days";
import { failUrl } from "../../worker/services/self-ping";
import type { Recorded } from "../helpers/receiver";
import { call, createCheck, json, ADMIN } from "../helpers/api";
import { getPublic } from "../helpers/status";
import { Browser } from "./admin-client";

// Issue 21, who watches the watchman: the sweep records its runs; /health, the status page,
// status.json, badges, /metrics and the dashboard say when it is behind or failing; SELF_PING_URL
// hears of every sweep from the outside. The clock is injected (Date only: vi fake timers; the
// scheduled handler gets its time from the controller).

const MIN = 60_000;
const receiver = inject("receiverUrl");

// Each test starts from a fresh installation: no sweep yet, installed just now.
beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare(
      "UPDATE sweep_state SET installed_at = ?, last_started_at = NULL, last_ok_at = NULL, last_error_at = NULL, last_error = NULL",
    ).bind(Date.now()),
    env.DB.prepare("DELETE FROM sweep_runs"),
  ]);
});

afterEach(() => {
  vi.useRealTimers();
});

/** The Worker's cron handler at `at`, with extra bindings (SELF_PING_URL). */
async function cronAt(at: number, vars: Record<string, string> = {}) {
  vi.setSystemTime(at);
  const controller = createScheduledController({ scheduledTime: new Date(at), cron: "* * * * *" });
  await worker.scheduled(controller, { ...env, ...vars });
}

async function health(path = "/health") {
  const response = await call("GET", path, { token: null });
  return { status: response.status, cache: response.headers.get("Cache-Control"), body: await response.json<any>() };
}

const inbox = async (name: string) => (await (await fetch(`${receiver}/_requests/${name}`)).json()) as Recorded[];

describe("GET /health", () => {
  it("is public, never cached, and says ok on a fresh installation before the first sweep", async () => {
    const answer = await health();
    expect(answer).toMatchObject({
      status: 200,
      cache: "no-store",
      body: { status: "ok", d1: "ok", r2: "ok", sweep: { last_at: null, delayed: false, last_error: null } },
    });
    expect(answer.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(answer.body.sweep.age_s).toBeLessThan(SWEEP_LATE_MS / 1000);
    const ready = await health("/health/ready");
    expect({ ...ready, body: { ...ready.body, sweep: { ...ready.body.sweep, age_s: 0 } } }).toEqual({
      ...answer,
      body: { ...answer.body, sweep: { ...answer.body.sweep, age_s: 0 } },
    });
    expect(JSON.stringify(answer.body)).not.toContain(ADMIN);
    const head = await call("HEAD", "/health", { token: null });
    expect([head.status, await head.text()]).toEqual([200, ""]);
  });

  it("degrades when the sweep is skipped for three minutes, on every surface, and clears with the next sweep", async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    const check = await createCheck({ name: "watched web", period_s: 3600, public: true });
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
    await cronAt(t0);
    expect((await health()).body).toMatchObject({
      status: "ok",
      sweep: { last_at: new Date(t0).toISOString(), age_s: 0, delayed: false },
    });

    vi.setSystemTime(t0 + 2 * MIN); // one or two cron runs missed: not yet behind
    expect((await health()).status).toBe(200);

    vi.setSystemTime(t0 + 4 * MIN);
    const behind = await health();
    expect(behind).toMatchObject({ status: 503, body: { status: "degraded", sweep: { age_s: 240, delayed: true } } });
    const page = await (await getPublic("/")).text();
    expect(page).toContain(`Monitoring delayed since ${timeLabel(t0)}: states may be out of date`);
    expect(page).not.toContain("All systems operational");
    const status = await json(getPublic("/status.json"));
    expect(status.status.level).toBe("warn");
    expect(status.monitoring).toEqual({
      delayed: true,
      since: new Date(t0).toISOString(),
      last_sweep_at: new Date(t0).toISOString(),
      sweep_age_s: 240,
    });
    const badgeKey = (await json(call("GET", `/api/v1/checks/${check.uuid}`))).badges.state_json.split("/").at(-2);
    const badge = await json(getPublic(`/badge/${badgeKey}/state.json`));
    expect(badge).toMatchObject({ message: "operational, monitoring delayed", color: "yellow" });
    const metrics = await (await call("GET", "/metrics")).text();
    expect(metrics).toMatch(/^lifeboat_sweep_age_seconds 240$/m);
    expect(metrics).toMatch(/^lifeboat_sweep_delayed 1$/m);
    const overview = await (await Browser.admin()).get("/admin");
    expect(overview.html).toContain("Monitoring delayed since");

    await cronAt(t0 + 4 * MIN);
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", sweep: { age_s: 0 } } });
    expect(await (await getPublic("/")).text()).toContain("All systems operational");
    expect((await json(getPublic("/status.json"))).monitoring.delayed).toBe(false);
    expect(await json(getPublic(`/badge/${badgeKey}/state.json`))).toMatchObject({ message: "operational" });
    expect(await (await call("GET", "/metrics")).text()).toMatch(/^lifeboat_sweep_delayed 0$/m);
  });

  it("pings SELF_PING_URL once per good sweep, and its /fail with the error when a sweep throws", async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    const selfPing = { SELF_PING_URL: `${receiver}/hook/self-ping` };
    for (let minute = 1; minute <= 3; minute++) await cronAt(t0 + minute * MIN, selfPing);
    const good = await inbox("self-ping");
    expect(good.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/hook/self-ping"],
      ["POST", "/hook/self-ping"],
      ["POST", "/hook/self-ping"],
    ]);
    expect(good[0]!.body).toMatch(/^sweep ok in \d+ ms/);

    // A real failure inside the sweep: a table it needs is gone (put back below).
    await env.DB.prepare("ALTER TABLE nonces RENAME TO nonces_away").run();
    try {
      await expect(cronAt(t0 + 4 * MIN, selfPing)).rejects.toThrow(/nonces/);
    } finally {
      await env.DB.prepare("ALTER TABLE nonces_away RENAME TO nonces").run();
    }
    const all = await inbox("self-ping");
    expect(all).toHaveLength(4);
    expect(all[3]).toMatchObject({ method: "POST", path: "/hook/self-ping/fail" });
    expect(all[3]!.body).toMatch(/^sweep failed: .*no such table: nonces/);

    const failed = await health();
    expect(failed).toMatchObject({ status: 503, body: { status: "degraded", sweep: { delayed: false } } });
    expect(failed.body.sweep.last_error).toMatch(/no such table: nonces/);
    expect(JSON.stringify(failed.body)).not.toContain("self-ping");
    const overview = await (await Browser.admin()).get("/admin");
    expect(overview.html).toMatch(/Last sweeps[\s\S]*failed: [^<]*no such table: nonces/);
    expect(overview.html.match(/<td class="ok">ok<\/td>/g)?.length).toBeGreaterThanOrEqual(3);

    await cronAt(t0 + 5 * MIN, selfPing);
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", sweep: { last_error: null } } });
    expect(await inbox("self-ping")).toHaveLength(5);
  });

  it("finishes the sweep within bounded time when the self-ping URL hangs or refuses", async () => {
    await fetch(`${receiver}/_control/self-ping-hang`, { method: "PUT", body: JSON.stringify({ hang: true }) });
    const started = Date.now();
    await cronAt(started, { SELF_PING_URL: `${receiver}/hook/self-ping-hang` });
    vi.useRealTimers();
    expect(Date.now() - started).toBeLessThan(15_000);
    await cronAt(Date.now(), { SELF_PING_URL: `${receiver}/nowhere/self-ping` });
    expect((await health()).body.status).toBe("ok");
  }, 30_000);

  it("calls a sweep that started and never finished cut off", async () => {
    const now = Date.now();
    await env.DB.prepare("UPDATE sweep_state SET last_ok_at = ?, last_started_at = ? WHERE id = 1")
      .bind(now - 150_000, now - 140_000)
      .run();
    const answer = await health();
    expect(answer).toMatchObject({ status: 503, body: { status: "degraded" } });
    expect(answer.body.sweep.last_error).toMatch(/never finished/);
  });
});

describe("the verdict (domain/monitoring.ts)", () => {
  const beat = (fields: Partial<SweepHeartbeat>): SweepHeartbeat => ({
    installedAt: 0,
    lastStartedAt: null,
    lastOkAt: null,
    lastErrorAt: null,
    lastError: null,
    ...fields,
  });

  it.each([
    ["never swept, installed 2 min ago", beat({}), 2 * MIN, { delayed: false, lastError: null }],
    ["never swept, installed 4 min ago", beat({}), 4 * MIN, { delayed: true, since: 0 }],
    ["good sweep 1 min ago", beat({ lastOkAt: 10 * MIN }), 11 * MIN, { delayed: false, ageS: 60 }],
    ["good sweep exactly 3 min ago", beat({ lastOkAt: 10 * MIN }), 13 * MIN, { delayed: false }],
    ["good sweep 3 min 1 s ago", beat({ lastOkAt: 10 * MIN }), 13 * MIN + 1000, { delayed: true, since: 10 * MIN }],
    [
      "latest failed",
      beat({ lastOkAt: 10 * MIN, lastErrorAt: 11 * MIN, lastError: "boom" }),
      11 * MIN,
      { delayed: false, lastError: "boom" },
    ],
    [
      "failed, then good again",
      beat({ lastOkAt: 12 * MIN, lastErrorAt: 11 * MIN, lastError: "boom" }),
      12 * MIN,
      { lastError: null },
    ],
    ["running now", beat({ lastOkAt: 10 * MIN, lastStartedAt: 11 * MIN }), 11 * MIN + 5000, { lastError: null }],
  ])("%s", (_, heartbeat, now, expected) => {
    expect(monitoringOf(heartbeat, now)).toMatchObject(expected);
  });

  it("keeps URLs and later lines out of a public error", () => {
    expect(publicError("fetch to https://hc-ping.com/abc-secret failed\nat line 2")).toBe("fetch to <url> failed");
    expect(publicError("x".repeat(500))!.length).toBe(200);
  });

  it("finds the /fail URL of a healthchecks ping URL", () => {
    expect(failUrl("https://hc-ping.com/5a1f")).toBe("https://hc-ping.com/5a1f/fail");
    expect(failUrl("https://lifeboat.example/ping/key/nightly/?create=1")).toBe(
      "https://lifeboat.example/ping/key/nightly/fail?create=1",
    );
  });
});
