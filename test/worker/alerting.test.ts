import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck, json } from "../helpers/api";

// The alerting rules end to end through the outbox, with an injected clock: the Worker's own
// sweep against miniflare's D1, delivering to a real local HTTP receiver.

const MIN = 60_000;
const HOUR = 60 * MIN;
const receiver = inject("receiverUrl");
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

let inboxes = 0;

/** A webhook channel with its own inbox, and a reader of what that inbox received (accepted only). */
async function channel(fields: Record<string, unknown> = {}) {
  const inbox = `alerting-${++inboxes}`;
  const response = await call("POST", "/api/v1/channels", {
    body: { kind: "webhook", url: `${receiver}/hook/${inbox}`, ...fields },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = await response.json<any>();
  const received = async (checkUuid?: string): Promise<any[]> => {
    const all: any[] = await (await fetch(`${receiver}/_requests/${inbox}`)).json();
    return all
      .filter((r) => r.status === 200)
      .map((r) => JSON.parse(r.body))
      .filter((b: any) => !checkUuid || b.check.uuid === checkUuid);
  };
  const events = async (checkUuid?: string) =>
    (await received(checkUuid)).map((b: any) => b.event.replace("check.", ""));
  return { ...created, inbox, received, events };
}

async function upCheck(name: string, fields: Record<string, unknown> = {}) {
  const check = await createCheck({ name, period_s: 3600, grace_s: 600, ...fields });
  await ping(check.uuid);
  return check;
}

const ping = (uuid: string, suffix = "") => call("GET", `/ping/${uuid}${suffix}`, { token: null });

async function deliveries(checkUuid: string) {
  return (await json(call("GET", `/api/v1/checks/${checkUuid}/deliveries`))).deliveries as any[];
}

describe("exactly once", () => {
  it("two overlapping sweeps deliver one alert", async () => {
    const ch = await channel({ filter: { tags: ["overlap"], checks: [] } });
    const check = await upCheck("overlap", { tags: ["overlap"] });
    const t = Date.now() + 2 * HOUR;
    await Promise.all([sweepAt(t), sweepAt(t), sweepAt(t)]);
    await sweepAt(t + MIN);
    expect(await ch.events(check.uuid)).toEqual(["down"]);
  });
});

describe("failure_threshold", () => {
  it("alerts on the third failure in a row, not before", async () => {
    const ch = await channel({ filter: { tags: ["threshold"], checks: [] } });
    const check = await upCheck("threshold", { tags: ["threshold"], failure_threshold: 3 });
    await ping(check.uuid, "/fail");
    await ping(check.uuid, "/1");
    await sweepAt(Date.now() + 1000);
    expect(await ch.events(check.uuid)).toEqual([]);
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("up");
    await ping(check.uuid, "/fail");
    await sweepAt(Date.now() + 2000);
    const [alert] = await ch.received(check.uuid);
    expect(alert).toMatchObject({ event: "check.down", reason: "fail" });
    expect(alert.detail).toContain("3 failures in a row");
  });
});

describe("maintenance windows", () => {
  it("suppress alerts for the checks they cover; a check still down afterwards alerts once", async () => {
    const ch = await channel({ filter: { tags: ["maint"], checks: [] } });
    const check = await upCheck("under maintenance", { tags: ["maint"] });
    const start = Date.now();
    const window = await json(
      call("POST", "/api/v1/maintenance", {
        body: {
          name: "db upgrade",
          starts_at: new Date(start).toISOString(),
          ends_at: new Date(start + 3 * HOUR).toISOString(),
          tags: ["maint"],
        },
      }),
    );
    expect(window).toMatchObject({ name: "db upgrade", active: true });

    await sweepAt(start + 2 * HOUR); // times out inside the window
    expect(await ch.events(check.uuid)).toEqual([]);
    expect((await deliveries(check.uuid))[0]).toMatchObject({
      kind: "down",
      status: "suppressed",
      suppressed_reason: "maintenance",
    });

    await sweepAt(start + 3 * HOUR + MIN); // window over, still down
    await sweepAt(start + 3 * HOUR + 2 * MIN);
    expect(await ch.events(check.uuid)).toEqual(["down"]);
  });

  it("a check that recovers inside the window never alerts", async () => {
    const ch = await channel({ filter: { tags: ["maint2"], checks: [] } });
    const check = await upCheck("quick fix", { tags: ["maint2"] });
    const start = Date.now();
    await call("POST", "/api/v1/maintenance", {
      body: { name: "weekly", cron: "* * * * *", duration_s: 3 * 3600, checks: ["quick-fix"] },
    });
    await sweepAt(start + 2 * HOUR);
    await ping(check.uuid);
    await sweepAt(Date.now() + 3 * MIN);
    await sweepAt(Date.now() + 5 * HOUR);
    expect(await ch.events(check.uuid)).toEqual([]);
  });

  it("refuses a window without an end, naming the field, and writes nothing", async () => {
    const response = await call("POST", "/api/v1/maintenance", {
      body: { name: "x", starts_at: new Date().toISOString() },
    });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.details[0].field).toBe("ends_at");
    expect((await json(call("GET", "/api/v1/maintenance"))).maintenance.every((w: any) => w.name !== "x")).toBe(true);
  });
});

describe("parent checks", () => {
  it("fold their children's alerts into one, and the children alert if still down after the parent recovers", async () => {
    const ch = await channel({ filter: { tags: ["host-a"], checks: [] } });
    const host = await upCheck("host-a heartbeat", { tags: ["host-a"] });
    const web = await upCheck("host-a web", { tags: ["host-a"], parent: host.slug });
    const db = await upCheck("host-a db", { tags: ["host-a"], parent: host.uuid });
    expect(web.parent ?? (await json(call("GET", `/api/v1/checks/${web.uuid}`))).parent).toBe(host.uuid);

    const t = Date.now() + 2 * HOUR;
    await sweepAt(t); // the host and both children time out together
    await sweepAt(t + MIN);
    const all = await ch.received();
    const mine = all.filter((b: any) => [host.uuid, web.uuid, db.uuid].includes(b.check.uuid));
    expect(mine.map((b: any) => `${b.check.name}:${b.event}`)).toEqual(["host-a heartbeat:check.down"]);
    expect(mine[0].children.map((c: any) => c.name)).toEqual(["host-a db", "host-a web"]);

    await ping(host.uuid); // the host is back; web is fine too, db is still down
    await ping(web.uuid);
    await sweepAt(Date.now() + MIN);
    await sweepAt(Date.now() + 2 * MIN);
    expect(await ch.events(host.uuid)).toEqual(["down", "up"]);
    expect(await ch.events(web.uuid)).toEqual([]);
    expect(await ch.events(db.uuid)).toEqual(["down"]);
  });

  it("refuses a parent that would make a cycle", async () => {
    const a = await createCheck({ name: "cycle a" });
    const b = await createCheck({ name: "cycle b", parent: a.slug });
    const response = await call("PATCH", `/api/v1/checks/${a.uuid}`, { body: { parent: b.slug } });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.message).toContain("depend on itself");
  });
});

describe("reminders", () => {
  it("repeat at the channel's cadence while the check stays down, and stop when it recovers", async () => {
    const ch = await channel({ filter: { tags: ["remind"], checks: [] }, repeat_every_s: 3600 });
    const check = await upCheck("remind me", { tags: ["remind"] });
    const t = Date.now() + 2 * HOUR;
    for (let minute = 0; minute <= 215; minute += 5) await sweepAt(t + minute * MIN);
    const got = await ch.received(check.uuid);
    expect(got.map((b: any) => b.event)).toEqual(["check.down", "check.reminder", "check.reminder", "check.reminder"]);
    expect(got.map((b: any) => b.reminder_number)).toEqual([null, 1, 2, 3]);

    await ping(check.uuid);
    for (let minute = 1; minute <= 50; minute += 10) await sweepAt(Date.now() + minute * MIN);
    expect(await ch.events(check.uuid)).toEqual(["down", "reminder", "reminder", "reminder", "up"]);
  });
});

describe("flapping", () => {
  it("collapses many flips in an hour into one flapping alert, then reports the settled state", async () => {
    const ch = await channel({ filter: { tags: ["flappy"], checks: [] } });
    const check = await upCheck("flappy", { tags: ["flappy"], flap_threshold: 4, period_s: 86_400 });
    for (let i = 0; i < 6; i++) {
      await ping(check.uuid, "/fail");
      await ping(check.uuid);
    }
    await sweepAt(Date.now() + 1000);
    await sweepAt(Date.now() + 2000);
    // The first ping's new → up counts too: the 5th change in the hour is the flapping one.
    expect(await ch.events(check.uuid)).toEqual(["down", "up", "down", "flapping"]);

    await sweepAt(Date.now() + 2 * HOUR); // an hour of calm, and it is up
    await sweepAt(Date.now() + 2 * HOUR + MIN);
    expect(await ch.events(check.uuid)).toEqual(["down", "up", "down", "flapping", "up"]);
  });
});

describe("channels", () => {
  it("a channel limited to a slug hears only of that check", async () => {
    const ch = await channel({ filter: { tags: [], checks: ["only-me"] } });
    const mine = await upCheck("only me", { slug: "only-me" });
    const other = await upCheck("not me");
    await ping(mine.uuid, "/fail");
    await ping(other.uuid, "/fail");
    await sweepAt(Date.now() + 1000);
    expect((await ch.received()).map((b: any) => b.check.slug)).toEqual(["only-me"]);
  });

  it("a receiver that is gone marks the channel broken with the reason, and a config change repairs it", async () => {
    const ch = await channel({ filter: { tags: ["gone"], checks: [] } });
    await fetch(`${receiver}/_control/${ch.inbox}`, { method: "PUT", body: JSON.stringify({ status: 410 }) });
    const check = await upCheck("gone", { tags: ["gone"] });
    await ping(check.uuid, "/fail");
    await sweepAt(Date.now() + 1000);
    const broken = await json(call("GET", `/api/v1/channels/${ch.uuid}`));
    expect(broken).toMatchObject({ status: "broken", broken_reason: expect.stringContaining("HTTP 410") });

    const repaired = await json(
      call("PATCH", `/api/v1/channels/${ch.uuid}`, { body: { config: { url: `${receiver}/hook/${ch.inbox}-new` } } }),
    );
    expect(repaired).toMatchObject({ status: "ok", broken_reason: null });
  });

  it("a sweep sends at most 6 alerts at a time (Workers' connection limit), and all of them", async () => {
    const ch = await channel({ filter: { tags: ["many"], checks: [] } });
    await fetch(`${receiver}/_control/${ch.inbox}`, { method: "PUT", body: JSON.stringify({ delay_ms: 150 }) });
    const checks = [];
    for (let i = 0; i < 14; i++) checks.push(await upCheck(`many ${i}`, { tags: ["many"] }));
    await sweepAt(Date.now() + 2 * HOUR);
    const all: any[] = await (await fetch(`${receiver}/_requests/${ch.inbox}`)).json();
    expect(all).toHaveLength(14);
    expect(Math.max(...all.map((r) => r.in_flight))).toBeLessThanOrEqual(6);
    // Six went out together: they were sent side by side, not one after another.
    expect(Math.max(...all.map((r) => r.in_flight))).toBe(6);
  });

  it("a test send reports a dead receiver's error instead of hanging", async () => {
    const ch = await channel();
    await fetch(`${receiver}/_control/${ch.inbox}`, { method: "PUT", body: JSON.stringify({ status: 503 }) });
    const result = await json(call("POST", `/api/v1/channels/${ch.uuid}/test`));
    expect(result).toMatchObject({ ok: false, status: 503, error: expect.stringContaining("HTTP 503") });

    const dead = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", url: "http://127.0.0.1:1/nothing" } }),
    );
    const refused = await json(call("POST", `/api/v1/channels/${dead.uuid}/test`));
    expect(refused).toMatchObject({ ok: false, status: null, error: expect.stringContaining("could not connect") });
  });

  it("the delivery log shows what was sent", async () => {
    const ch = await channel({ filter: { tags: ["logged"], checks: [] } });
    const check = await upCheck("logged", { tags: ["logged"] });
    await ping(check.uuid, "/fail");
    await sweepAt(Date.now() + 1000);
    const [row] = (await json(call("GET", `/api/v1/channels/${ch.uuid}/deliveries`))).deliveries;
    expect(row).toMatchObject({
      kind: "down",
      status: "sent",
      attempts: 1,
      response_status: 200,
      check: { uuid: check.uuid },
    });
  });

  it.each([
    ["unknown kind", { kind: "carrier-pigeon", config: {} }, "kind"],
    ["telegram without chat_id", { kind: "telegram", config: { bot_token: "123456:ABCdef_ghi" } }, "config.chat_id"],
    ["reminders too often", { kind: "webhook", url: "https://example.com/x", repeat_every_s: 10 }, "repeat_every_s"],
    ["unknown field", { kind: "webhook", url: "https://example.com/x", colour: "red" }, "(body)"],
  ])("refuses %s, naming the field, and writes nothing", async (_, body, field) => {
    const before = (await json(call("GET", "/api/v1/channels"))).channels.length;
    const response = await call("POST", "/api/v1/channels", { body });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.details.map((d: any) => d.field)).toContain(field);
    expect((await json(call("GET", "/api/v1/channels"))).channels.length).toBe(before);
  });
});
