import { describe, expect, it } from "vitest";
import { call, createCheck, json, tableCounts } from "../helpers/api";

const ping = (path: string, init: RequestInit = {}) =>
  call(init.method ?? "GET", `/ping/${path}`, {
    token: null,
    body: init.body as string | undefined,
    headers: { "Content-Type": "text/plain" },
  });

async function pingsOf(uuid: string) {
  return (await json(call("GET", `/api/v1/checks/${uuid}/pings`))).pings as any[];
}

describe("healthchecks-compatible uuid pings", () => {
  it.each(["GET", "HEAD", "POST"])("%s /ping/<uuid> answers 200 OK with CORS", async (method) => {
    const check = await createCheck({ name: `m-${method}` });
    const response = await call(method, `/ping/${check.uuid}`, { token: null });
    expect(response.status).toBe(200);
    if (method !== "HEAD") expect(await response.text()).toBe("OK");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("up");
  });

  it("accepts a trailing slash and an uppercase uuid", async () => {
    const check = await createCheck({ name: "slash" });
    expect((await ping(`${check.uuid}/`)).status).toBe(200);
    expect((await ping(check.uuid.toUpperCase())).status).toBe(200);
  });

  it("/start, then success, records the run's duration", async () => {
    const check = await createCheck({ name: "duration" });
    expect(await (await ping(`${check.uuid}/start`)).text()).toBe("OK");
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("started");
    await ping(check.uuid);
    const [finish, start] = await pingsOf(check.uuid);
    expect(start.kind).toBe("start");
    expect(finish.kind).toBe("success");
    expect(finish.duration_s).toBeGreaterThanOrEqual(0);
  });

  it("/fail and a non-zero exit status take the check down; /0 is a success", async () => {
    const check = await createCheck({ name: "exit codes" });
    await ping(`${check.uuid}/0`);
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("up");
    await ping(`${check.uuid}/3`);
    const down = await json(call("GET", `/api/v1/checks/${check.uuid}`));
    expect(down).toMatchObject({ status: "down", status_reason: "exit_status" });
    await ping(`${check.uuid}/0`);
    await ping(`${check.uuid}/fail`);
    expect(await json(call("GET", `/api/v1/checks/${check.uuid}`))).toMatchObject({
      status: "down",
      status_reason: "fail",
    });
    const flips = (await json(call("GET", `/api/v1/checks/${check.uuid}/flips`))).flips;
    expect(flips.map((f: any) => `${f.from}->${f.to}:${f.reason}`)).toEqual([
      "up->down:fail",
      "down->up:ping",
      "up->down:exit_status",
      "new->up:ping",
    ]);
  });

  it("/log stores the body and leaves the state alone", async () => {
    const check = await createCheck({ name: "log only" });
    await ping(`${check.uuid}/log`, { method: "POST", body: "disk 91% full" });
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).status).toBe("new");
    expect((await pingsOf(check.uuid))[0]).toMatchObject({
      kind: "log",
      body: "disk 91% full",
      source: "url",
      method: "POST",
    });
  });

  it("keeps at most 100 kB of a body, marked truncated, and still answers 200", async () => {
    const check = await createCheck({ name: "big body" });
    const response = await ping(check.uuid, { method: "POST", body: "x".repeat(250_000) });
    expect(response.status).toBe(200);
    const [stored] = await pingsOf(check.uuid);
    expect(stored.body.length).toBe(100_000);
    expect(stored.body_truncated).toBe(true);
  });

  it("records ?rid= and measures the duration of that run only", async () => {
    const check = await createCheck({ name: "rid" });
    const rid = "5b7a8d3e-9c1f-4a2b-8e6d-0f1a2b3c4d5e";
    await ping(`${check.uuid}/start?rid=${rid}`);
    await ping(`${check.uuid}?rid=${rid}`);
    const [finish] = await pingsOf(check.uuid);
    expect(finish).toMatchObject({ rid, kind: "success" });
    expect(finish.duration_s).not.toBeNull();
  });

  it("keeps only the last 100 pings of a check", async () => {
    const check = await createCheck({ name: "pruned" });
    for (let i = 0; i < 125; i++) await ping(`${check.uuid}/log`, { method: "POST", body: `line ${i}` });
    const pings = await pingsOf(check.uuid);
    expect(pings.length).toBeLessThanOrEqual(110); // pruned every 10 pings
    expect(pings.length).toBeGreaterThanOrEqual(100);
    expect(pings[0].body).toBe("line 124");
  });
});

describe("slug pings with the ping key", () => {
  it("pings by slug and creates a missing check with ?create=1", async () => {
    const check = await createCheck({ name: "by slug", slug: "by-slug" });
    const slugUrl = new URL(check.slug_ping_url).pathname;
    const response = await call("GET", slugUrl, { token: null });
    expect([response.status, await response.text()]).toEqual([200, "OK"]);

    const newUrl = slugUrl.replace("by-slug", "made-by-ping");
    expect(await (await call("GET", newUrl, { token: null })).text()).toBe("not found");
    const created = await call("GET", `${newUrl}/start?create=1`, { token: null });
    expect([created.status, await created.text()]).toEqual([201, "Created"]);
    const made = await json(call("GET", "/api/v1/checks/made-by-ping"));
    expect(made).toMatchObject({ name: "made-by-ping", period_s: 86400, grace_s: 3600, status: "started" });
    expect((await call("GET", `${newUrl}?create=1`, { token: null })).status).toBe(200);
  });

  it("a wrong ping key is not found", async () => {
    await createCheck({ name: "guarded", slug: "guarded" });
    const response = await call("GET", "/ping/wrongpingkey123/guarded", { token: null });
    expect([response.status, await response.text()]).toEqual([404, "not found"]);
  });
});

describe("bad ping URLs write nothing", () => {
  it.each([
    ["malformed uuid", "not-a-uuid", 404, "not found"],
    ["unknown uuid", "7d5f3c2a-1b4e-4f6a-9c8d-2e3f4a5b6c7d", 404, "not found"],
    ["unknown action", "{uuid}/explode", 404, "not found"],
    ["exit status above 255", "{uuid}/256", 400, "invalid url format"],
    ["uppercase slug", "{key}/Nightly", 400, "invalid url format"],
    ["rid that is not a uuid (healthchecks: invalid uuid format)", "{uuid}?rid=abc", 400, "invalid uuid format"],
    ["too many segments", "{uuid}/start/extra", 404, "not found"],
  ])("%s → %i", async (_, template, status, body) => {
    const check = await createCheck({ name: `bad ${template}` });
    const key = new URL(check.slug_ping_url).pathname.split("/")[2];
    const before = await tableCounts();
    const response = await ping(template.replace("{uuid}", check.uuid).replace("{key}", key!));
    expect([response.status, await response.text()]).toEqual([status, body]);
    expect(await tableCounts()).toEqual(before);
  });

  it("other methods are refused", async () => {
    const check = await createCheck({ name: "put" });
    expect((await call("PUT", `/ping/${check.uuid}`, { token: null })).status).toBe(405);
  });
});
