import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../worker/index";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../worker/services/db";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { publicUrlOf, rememberPublicUrl } from "../../worker/services/settings";
import { markOverdue, runSweep } from "../../worker/services/sweep";
import { webhookSignature } from "../../worker/domain/alerts/webhook";
import { call, createCheck, json } from "../helpers/api";

const HOUR = 3_600_000;
const receiver = inject("receiverUrl");
const db = () => openDb(env.DB);
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

/** What the receiver got for one check (a channel hears of every check). */
async function inbox(name: string, checkUuid?: string): Promise<any[]> {
  const all: any[] = await (await fetch(`${receiver}/_requests/${name}`)).json();
  return checkUuid ? all.filter((r) => JSON.parse(r.body).check.uuid === checkUuid) : all;
}

async function setInbox(name: string, how: { status?: number; hang?: boolean }) {
  await fetch(`${receiver}/_control/${name}`, { method: "PUT", body: JSON.stringify(how) });
}

async function webhookChannel(name: string) {
  const response = await call("POST", "/api/v1/channels", {
    body: { kind: "webhook", url: `${receiver}/hook/${name}` },
  });
  expect(response.status).toBe(201);
  return response.json<any>();
}

async function notificationOf(checkUuid: string) {
  return env.DB.prepare(
    `
    SELECT n.status, n.attempts, n.last_error FROM notifications n
    JOIN flips f ON f.id = n.flip_id JOIN checks c ON c.id = f.check_id
    WHERE c.uuid = ? ORDER BY n.id DESC LIMIT 1`,
  )
    .bind(checkUuid)
    .first<any>();
}

async function removeChannel(channel: { uuid: string }) {
  await call("DELETE", `/api/v1/channels/${channel.uuid}`);
}

async function upCheck(name: string, fields: Record<string, unknown> = {}) {
  const check = await createCheck({ name, period_s: 3600, grace_s: 600, ...fields });
  await call("GET", `/ping/${check.uuid}`, { token: null });
  return check;
}

describe("the sweep marks overdue checks down", () => {
  it("only checks whose deadline passed, with reason timeout, exactly once", async () => {
    const late = await upCheck("sweep late");
    const fresh = await upCheck("sweep fresh", { period_s: 86_400 });
    const now = Date.now() + 2 * HOUR;
    const first = await markOverdue(db(), now);
    expect(first.timedOut).toBeGreaterThanOrEqual(1);
    expect(await json(call("GET", `/api/v1/checks/${late.uuid}`))).toMatchObject({
      status: "down",
      status_reason: "timeout",
    });
    expect((await json(call("GET", `/api/v1/checks/${fresh.uuid}`))).status).toBe("up");

    // A rerun, or a run that was skipped and comes later, finds nothing new.
    expect((await markOverdue(db(), now)).timedOut).toBe(0);
    expect((await markOverdue(db(), now + 6 * HOUR)).timedOut).toBe(0);
    const flips = (await json(call("GET", `/api/v1/checks/${late.uuid}/flips`))).flips;
    expect(flips.map((f: any) => f.reason)).toEqual(["timeout", "ping"]);
  });

  it("a run started and never finished times out as run_timeout", async () => {
    const check = await upCheck("sweep run timeout", { period_s: 86_400 });
    await call("GET", `/ping/${check.uuid}/start`, { token: null });
    await markOverdue(db(), Date.now() + 11 * 60_000);
    expect(await json(call("GET", `/api/v1/checks/${check.uuid}`))).toMatchObject({
      status: "down",
      status_reason: "run_timeout",
    });
  });

  it("new and paused checks never time out", async () => {
    const fresh = await createCheck({ name: "sweep new" });
    const paused = await upCheck("sweep paused");
    await call("POST", `/api/v1/checks/${paused.uuid}/pause`);
    await markOverdue(db(), Date.now() + 1000 * HOUR);
    expect((await json(call("GET", `/api/v1/checks/${fresh.uuid}`))).status).toBe("new");
    expect((await json(call("GET", `/api/v1/checks/${paused.uuid}`))).status).toBe("paused");
  });

  it("two overlapping sweeps flip each check once", async () => {
    const checks = await Promise.all([1, 2, 3].map((n) => upCheck(`sweep overlap ${n}`)));
    const now = Date.now() + 2 * HOUR;
    const [a, b] = await Promise.all([markOverdue(db(), now), markOverdue(db(), now)]);
    expect(a.timedOut + b.timedOut).toBeGreaterThanOrEqual(3);
    for (const check of checks) {
      const flips = (await json(call("GET", `/api/v1/checks/${check.uuid}/flips`))).flips;
      expect(flips.filter((f: any) => f.to === "down")).toHaveLength(1);
    }
  });

  it("runs from the cron trigger through the Worker's scheduled handler", async () => {
    const check = await upCheck("sweep via cron");
    const controller = createScheduledController({ scheduledTime: new Date(Date.now() + 2 * HOUR), cron: "* * * * *" });
    await worker.scheduled(controller, env);
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("down");
  });
});

describe("links in alerts sent by the sweep", () => {
  it("use PUBLIC_URL when set, else the origin the admin API was last reached on", async () => {
    expect(await publicUrlOf(db(), "")).toBe("");
    await rememberPublicUrl(db(), "https://lifeboat.example.workers.dev", Date.now());
    expect(await publicUrlOf(db(), "")).toBe("https://lifeboat.example.workers.dev");
    expect(await publicUrlOf(db(), "https://status.example.com/")).toBe("https://status.example.com");
  });
});

describe("webhook alerts through the outbox", () => {
  it("POSTs a signed JSON body on down and on recovery, once each", async () => {
    const channel = await webhookChannel("down-up");
    try {
      const check = await upCheck("webhook target");
      const downAt = Date.now() + 2 * HOUR;
      await sweepAt(downAt);
      await sweepAt(downAt + 60_000);

      const [down] = await inbox("down-up", check.uuid);
      expect(down).toBeDefined();
      const body = JSON.parse(down.body);
      expect(body).toMatchObject({
        event: "check.down",
        status: "down",
        previous_status: "up",
        reason: "timeout",
        // Alerts link the dashboard page (issue 14.11); the API document is a field of its own.
        check: {
          uuid: check.uuid,
          name: "webhook target",
          url: `https://lifeboat.test/admin/checks/${check.unique_key}`,
          api_url: `https://lifeboat.test/api/v1/checks/${check.uuid}`,
        },
      });
      const timestamp = Number(down.headers["x-lifeboat-webhook-timestamp"]);
      expect(down.headers["x-lifeboat-webhook-signature"]).toBe(
        await webhookSignature(channel.signing_secret, timestamp, down.body),
      );
      expect(down.headers["x-lifeboat-event"]).toBe("check.down");

      // Recovery: the ping itself dispatches through waitUntil; the sweep would too. Only one arrives.
      await call("GET", `/ping/${check.uuid}`, { token: null });
      await sweepAt(Date.now() + 1000);
      await expect.poll(async () => (await inbox("down-up", check.uuid)).length, { timeout: 5000 }).toBe(2);
      await sweepAt(Date.now() + 120_000);
      const events = (await inbox("down-up", check.uuid)).map((r) => JSON.parse(r.body).event);
      expect(events).toEqual(["check.down", "check.up"]);
    } finally {
      await removeChannel(channel);
    }
  });

  it("no up alert for a check that was never down", async () => {
    const channel = await webhookChannel("never-down");
    try {
      const check = await upCheck("first ping only");
      await sweepAt(Date.now() + 1000);
      expect(await inbox("never-down", check.uuid)).toEqual([]);
    } finally {
      await removeChannel(channel);
    }
  });

  it("retries a failing receiver with backoff and delivers exactly once when it recovers", async () => {
    const channel = await webhookChannel("flaky");
    try {
      await setInbox("flaky", { status: 500 });
      const check = await upCheck("flaky target");
      const t = Date.now() + 2 * HOUR;
      await sweepAt(t);
      // Failing for an hour of minutely sweeps: attempts are spaced out, nothing is recorded as sent.
      for (let minute = 1; minute <= 60; minute++) await sweepAt(t + minute * 60_000);
      const row = await notificationOf(check.uuid);
      expect(row).toMatchObject({ status: "pending", last_error: "receiver answered HTTP 500: ok" });
      expect(row.attempts).toBeGreaterThan(3);
      expect(row.attempts).toBeLessThan(12);

      await setInbox("flaky", { status: 200 });
      for (let minute = 61; minute <= 180; minute++) await sweepAt(t + minute * 60_000);
      const answers = (await inbox("flaky", check.uuid)).map((r) => r.status);
      expect(answers.filter((status) => status === 200)).toHaveLength(1);
      expect(answers.filter((status) => status === 500).length).toBe(answers.length - 1);
      expect(await notificationOf(check.uuid)).toMatchObject({ status: "sent", last_error: null });
    } finally {
      await removeChannel(channel);
    }
  });

  it("a receiver that is gone (410) fails the notification instead of retrying forever", async () => {
    const channel = await webhookChannel("gone");
    try {
      await setInbox("gone", { status: 410 });
      const check = await upCheck("gone target");
      const t = Date.now() + 2 * HOUR;
      await sweepAt(t);
      const row = await notificationOf(check.uuid);
      expect(row).toMatchObject({ status: "failed", attempts: 1, last_error: "receiver answered HTTP 410: ok" });
    } finally {
      await removeChannel(channel);
    }
  });

  it("refuses a channel URL that is not a URL, naming the field, and writes nothing", async () => {
    const response = await call("POST", "/api/v1/channels", { body: { kind: "webhook", url: "not a url" } });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.details).toEqual([
      { field: "config.url", message: "url must be an http(s) URL" },
    ]);
    expect((await call("POST", "/api/v1/channels", { body: { kind: "sms", url: "https://x" } })).status).toBe(400);
  });
});
