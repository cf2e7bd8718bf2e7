import { describe, expect, it } from "vitest";
import { call, createCheck, json, READER, tableCounts } from "../helpers/api";

describe("checks: create, read, update, delete", () => {
  it("creates a check with defaults and both ping URLs", async () => {
    const response = await call("POST", "/api/v1/checks", {
      body: { name: "Nightly DB backup", kind: "backup", tags: ["db", "prod"] },
    });
    expect(response.status).toBe(201);
    const check = await response.json<any>();
    expect(check).toMatchObject({
      name: "Nightly DB backup",
      slug: "nightly-db-backup",
      kind: "backup",
      status: "new",
      period_s: 86400,
      grace_s: 3600,
      tz: "UTC",
      tags: ["db", "prod"],
      public: false,
      ping_url: `https://lifeboat.test/ping/${check.uuid}`,
    });
    expect(check.slug_ping_url).toMatch(/^https:\/\/lifeboat\.test\/ping\/[0-9a-f]{24}\/nightly-db-backup$/);
  });

  it("gets a check by uuid or by slug", async () => {
    const check = await createCheck({ name: "lookup", slug: "lookup-me" });
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).slug).toBe("lookup-me");
    expect((await json(call("GET", "/api/v1/checks/lookup-me"))).uuid).toBe(check.uuid);
  });

  it("updates fields and switches between period and cron schedules", async () => {
    const check = await createCheck({ name: "switch", period_s: 3600 });
    const cron = await json(
      call("PATCH", `/api/v1/checks/${check.uuid}`, {
        body: { cron: "0 3 * * *", tz: "Europe/Berlin", desc: "nightly" },
      }),
    );
    expect(cron).toMatchObject({
      cron: "0 3 * * *",
      tz: "Europe/Berlin",
      period_s: null,
      desc: "nightly",
      name: "switch",
    });
    const period = await json(call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { period_s: 600 } }));
    expect(period).toMatchObject({ cron: null, period_s: 600 });
  });

  it("moves the deadline when the schedule of an up check changes", async () => {
    const check = await createCheck({ name: "reschedule", period_s: 3600, grace_s: 60 });
    await call("GET", `/ping/${check.uuid}`, { token: null });
    const before = await json(call("GET", `/api/v1/checks/${check.uuid}`));
    const after = await json(call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { period_s: 7200 } }));
    expect(Date.parse(after.next_due_at) - Date.parse(before.next_due_at)).toBe(3_600_000);
  });

  it("pauses and resumes", async () => {
    const check = await createCheck({ name: "pausable" });
    await call("GET", `/ping/${check.uuid}`, { token: null });
    const paused = await json(call("POST", `/api/v1/checks/${check.uuid}/pause`));
    expect(paused).toMatchObject({ status: "paused", alert_after: null });
    const resumed = await json(call("POST", `/api/v1/checks/${check.uuid}/resume`));
    expect(resumed.status).toBe("new");
  });

  it("deletes a check with its pings", async () => {
    const check = await createCheck({ name: "doomed" });
    await call("GET", `/ping/${check.uuid}`, { token: null });
    expect((await call("DELETE", `/api/v1/checks/${check.uuid}`)).status).toBe(200);
    expect((await call("GET", `/api/v1/checks/${check.uuid}`)).status).toBe(404);
    expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(404);
  });

  it("lists with filters and a cursor", async () => {
    for (const n of [1, 2, 3]) await createCheck({ name: `listed ${n}`, tags: ["listed"], kind: "backup" });
    const first = await json(call("GET", "/api/v1/checks?tag=listed&limit=2"));
    expect(first.checks.map((c: any) => c.name)).toEqual(["listed 1", "listed 2"]);
    const second = await json(call("GET", `/api/v1/checks?tag=listed&limit=2&cursor=${first.next_cursor}`));
    expect(second.checks.map((c: any) => c.name)).toEqual(["listed 3"]);
    expect(second.next_cursor).toBeNull();
    const backups = await json(call("GET", "/api/v1/checks?kind=backup&tag=listed"));
    expect(backups.checks).toHaveLength(3);
  });
});

describe("authentication", () => {
  it.each([
    ["no token", null, 401],
    ["a wrong token", "nope", 401],
  ])("%s is refused", async (_, token, status) => {
    const response = await call("GET", "/api/v1/checks", { token });
    expect(response.status).toBe(status);
    expect((await response.json<any>()).error.code).toBe("unauthorized");
  });

  it("the read-only token lists and reads but cannot change anything", async () => {
    const check = await createCheck({ name: "read only" });
    expect((await call("GET", "/api/v1/checks", { token: READER })).status).toBe(200);
    expect((await call("GET", `/api/v1/checks/${check.uuid}/pings`, { token: READER })).status).toBe(200);
    const before = await tableCounts();
    for (const [method, path, body] of [
      ["POST", "/api/v1/checks", { name: "sneaky" }],
      ["PATCH", `/api/v1/checks/${check.uuid}`, { name: "renamed" }],
      ["DELETE", `/api/v1/checks/${check.uuid}`, undefined],
      ["POST", `/api/v1/checks/${check.uuid}/pause`, undefined],
      ["POST", "/api/v1/keys", { host: "h", checks: "*" }],
    ] as const) {
      const response = await call(method, path, { token: READER, body });
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect(await tableCounts()).toEqual(before);
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).name).toBe("read only");
  });
});

describe("bad input: a clear 4xx and nothing written", () => {
  it.each([
    ["missing name", {}, "name"],
    ["uppercase slug", { name: "a", slug: "Nightly" }, "slug"],
    ["unknown kind", { name: "a", kind: "cron" }, "kind"],
    ["period below a minute", { name: "a", period_s: 5 }, "period_s"],
    ["period and cron together", { name: "a", period_s: 600, cron: "0 3 * * *" }, "cron"],
    ["bad cron", { name: "a", cron: "61 * * * *" }, "cron"],
    ["six-field cron", { name: "a", cron: "0 0 3 * * *" }, "cron"],
    ["unknown time zone", { name: "a", cron: "0 3 * * *", tz: "Mars/Olympus" }, "tz"],
    ["negative grace", { name: "a", grace_s: -1 }, "grace_s"],
    ["tags not a list", { name: "a", tags: "db prod" }, "tags"],
    ["unknown field", { name: "a", colour: "red" }, "(body)"],
    ["public not a boolean", { name: "a", public: "yes" }, "public"],
  ])("%s", async (_, body, field) => {
    const before = await tableCounts();
    const response = await call("POST", "/api/v1/checks", { body });
    expect(response.status).toBe(400);
    const error = (await response.json<any>()).error;
    expect(error.code).toBe("validation_failed");
    expect(error.details.map((d: any) => d.field)).toContain(field);
    expect(await tableCounts()).toEqual(before);
  });

  it("a body that is not JSON is a 400 in the same shape", async () => {
    const response = await call("POST", "/api/v1/checks", { body: "{nope" });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.code).toBe("bad_request");
  });

  it("a body with another content type is still validated", async () => {
    const response = await call("POST", "/api/v1/checks", {
      body: "name=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(400);
  });

  it("a taken slug is a 409 and the second check is not created", async () => {
    await createCheck({ name: "first", slug: "taken" });
    const before = await tableCounts();
    const response = await call("POST", "/api/v1/checks", { body: { name: "second", slug: "taken" } });
    expect(response.status).toBe(409);
    expect((await response.json<any>()).error.message).toContain("taken");
    expect(await tableCounts()).toEqual(before);
  });

  it("an update that breaks the schedule is refused and changes nothing", async () => {
    const check = await createCheck({ name: "stable", cron: "0 3 * * *" });
    const response = await call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { tz: "Nowhere/Land" } });
    expect(response.status).toBe(400);
    expect((await json(call("GET", `/api/v1/checks/${check.uuid}`))).tz).toBe("UTC");
  });

  it("an unknown check is a 404 in the error shape", async () => {
    const response = await call("GET", "/api/v1/checks/no-such-check");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "check not found" } });
  });

  it("an unknown endpoint is a 404 in the error shape", async () => {
    const response = await call("GET", "/api/v1/nothing-here");
    expect(response.status).toBe(404);
    expect((await response.json<any>()).error.code).toBe("not_found");
  });
});

describe("OpenAPI", () => {
  it("documents every admin route from the zod schemas", async () => {
    const doc = await json(call("GET", "/api/openapi.json", { token: null }));
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/checks",
      "/checks/{id}",
      "/checks/{id}/pause",
      "/checks/{id}/resume",
      "/checks/{id}/pings",
      "/keys",
      "/keys/{key_id}",
      "/channels",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.components.schemas.CreateCheck.properties.slug.pattern).toBe("^[a-z0-9_-]{1,64}$");
  });
});
