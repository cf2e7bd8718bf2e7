import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sh, startLifeboat, type Lifeboat } from "../helpers/e2e";
import { HealthChecksApiClient, HealthChecksPingClient } from "healthchecks-io-client";

/**
 * The npm healthchecks-io-client (ping and management clients, unmodified) and a Kuma-style push
 * URL with plain curl, against a real `wrangler dev`: what a healthchecks.io or Uptime Kuma user
 * points at Lifeboat by changing only the base URL (docs/COMPATIBILITY.md).
 */

const HC_API_KEY = randomBytes(16).toString("hex");
let lifeboat: Lifeboat;

beforeAll(async () => {
  delete process.env.HC_API_KEY; // the client prefers this variable to its apiKey option
  lifeboat = await startLifeboat({ prefix: "lifeboat-compat-", vars: { HC_API_KEY } });
});

afterAll(() => lifeboat?.stop());

describe("healthchecks-io-client against Lifeboat", () => {
  it("creates, lists, pings, updates, pauses, lists pings and flips, and deletes", async () => {
    const api = new HealthChecksApiClient({
      apiKey: HC_API_KEY,
      baseUrl: lifeboat.dev.url,
      maxContentLength: 1_000_000,
    });
    const created = await api.createCheck({
      name: "nightly e2e",
      tags: "e2e nightly",
      timeout: 3600,
      grace: 60,
      unique: ["name"],
    });
    expect(created).toMatchObject({
      name: "nightly e2e",
      tags: "e2e nightly",
      timeout: 3600,
      grace: 60,
      status: "new",
    });
    const uuid = created.update_url.split("/").at(-1);
    expect(created.ping_url).toBe(`${lifeboat.dev.url}/ping/${uuid}`);
    // unique: the same name again finds the same check
    expect((await api.createCheck({ name: "nightly e2e", unique: ["name"] })).ping_url).toBe(created.ping_url);

    const ping = new HealthChecksPingClient({ uuid, baseUrl: `${lifeboat.dev.url}/ping`, returnResponse: true });
    expect(await ping.start()).toBe("OK");
    expect(await ping.success("dumped 42 tables")).toBe("OK");
    await ping.fail("pg_dump: connection refused");

    const listed = await api.getChecks(["e2e", "nightly"]);
    expect(listed.checks.map((c) => c.ping_url)).toEqual([created.ping_url]);
    expect((await api.getChecks(["nope"])).checks).toEqual([]);

    const updated = await api.updateCheck(uuid, { desc: "runs at 03:00", grace: 120 });
    expect(updated).toMatchObject({ desc: "runs at 03:00", grace: 120, status: "down" });

    const { pings } = await api.listPings(uuid);
    expect(pings.map((p) => p.type)).toEqual(["fail", "success", "start"]);
    expect(pings[1].duration).toBeGreaterThanOrEqual(0);
    const body = await fetch(pings[0].body_url, { headers: { "X-Api-Key": HC_API_KEY } });
    expect(await body.text()).toBe("pg_dump: connection refused");

    const { flips } = await api.listFlips(uuid, { seconds: 3600 });
    expect(flips.map((f) => f.up)).toEqual([0, 1]);

    expect((await api.pauseCheck(uuid)).status).toBe("paused");
    expect((await api.getCheck(uuid)).status).toBe("paused");
    expect((await api.getIntegrations()).channels).toEqual([]);

    expect((await api.deleteCheck(uuid)).name).toBe("nightly e2e");
    await expect(api.getCheck(uuid)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("refuses a wrong key the way the client reports it", async () => {
    const api = new HealthChecksApiClient({ apiKey: "x".repeat(32), baseUrl: lifeboat.dev.url });
    await expect(api.getChecks()).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe("an Uptime Kuma push URL with plain curl", () => {
  it('up, then down with a message: {"ok":true}, and the check goes down', async () => {
    const token = randomBytes(16).toString("hex");
    const check = await lifeboat.api("POST", "/api/v1/checks", { name: "kuma e2e", push_token: token });
    if (check.status !== 201) throw await lifeboat.serverError("create", check);
    const url = `${lifeboat.dev.url}/api/push/${token}`;
    const up = await sh(`curl -fsS "$URL?status=up&msg=OK&ping=42"`, { URL: url });
    expect(up).toMatchObject({ code: 0, stdout: '{"ok":true}' });
    const down = await sh(`curl -fsS -X POST "$URL?status=down&msg=disk%20full"`, { URL: url });
    expect(down.stdout).toBe('{"ok":true}');
    const after = await lifeboat.api("GET", `/api/v1/checks/${check.body.uuid}`);
    expect(after.body).toMatchObject({ status: "down", status_reason: "fail" });
    const unknown = await sh(`curl -sS -w ' %{http_code}' "$URL"`, {
      URL: `${lifeboat.dev.url}/api/push/nosuchtoken1234`,
    });
    expect(unknown.stdout).toBe('{"ok":false,"msg":"Monitor not found or not active."} 404');
  });
});
