import { describe, expect, it } from "vitest";
import { call, createCheck, fetchWorker, json, tableCounts } from "../helpers/api";
import { createAgentKey, sendSigned, signedRequest } from "../helpers/agent";

async function setup(slug: string, scopes = ["ping"]) {
  const check = await createCheck({ name: slug, slug });
  const key = await createAgentKey([slug], scopes);
  return { check, key };
}

async function expectRejected(response: Response, status: number, code: string, message: RegExp) {
  expect(response.status).toBe(status);
  const { error } = await response.json<any>();
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

describe("signed agent pings", () => {
  it("a valid signature pings the check and is logged with the key", async () => {
    const { check, key } = await setup("signed-ok");
    const response = await sendSigned(key, "/v1/ping/signed-ok", { body: "backup took 3 s" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, check: "signed-ok", status: "up" });
    const [stored] = (await json(call("GET", `/api/v1/checks/${check.uuid}/pings`))).pings;
    expect(stored).toMatchObject({ kind: "success", source: "signed", key_id: key.key_id, body: "backup took 3 s" });
  });

  it("supports /start, /fail, /log and exit statuses", async () => {
    const { check, key } = await setup("signed-actions");
    expect((await sendSigned(key, "/v1/ping/signed-actions/start")).status).toBe(200);
    expect((await sendSigned(key, "/v1/ping/signed-actions/0")).status).toBe(200);
    expect((await sendSigned(key, "/v1/ping/signed-actions/log", { body: "note" })).status).toBe(200);
    expect((await sendSigned(key, "/v1/ping/signed-actions/2")).status).toBe(200);
    expect(await json(call("GET", `/api/v1/checks/${check.uuid}`))).toMatchObject({
      status: "down",
      status_reason: "exit_status",
    });
    expect((await sendSigned(key, "/v1/ping/signed-actions/fail")).status).toBe(200);
  });

  it("a key for every check (*) may ping any check", async () => {
    await createCheck({ name: "any-a", slug: "any-a" });
    const key = await createAgentKey("*");
    expect((await sendSigned(key, "/v1/ping/any-a")).status).toBe(200);
  });

  it("updates the key's last use", async () => {
    const { key } = await setup("signed-last-used");
    await sendSigned(key, "/v1/ping/signed-last-used");
    const keys = (await json(call("GET", "/api/v1/keys"))).keys;
    expect(keys.find((k: any) => k.key_id === key.key_id).last_used_at).not.toBeNull();
  });
});

describe("rejected signed requests say why and write nothing", () => {
  const cases: [string, (key: any) => Promise<Response>, number, string, RegExp][] = [
    [
      "tampered body",
      (key) => sendSigned(key, "/v1/ping/rej", { body: "ok", tamper: { body: "evil" } }),
      401,
      "bad_signature",
      /content hash mismatch/,
    ],
    [
      "tampered path",
      (key) => sendSigned(key, "/v1/ping/rej/log", { tamper: { path: "/v1/ping/rej/fail" } }),
      401,
      "bad_signature",
      /signature mismatch/,
    ],
    [
      "tampered timestamp",
      (key) => sendSigned(key, "/v1/ping/rej", { tamper: { timestamp: Math.floor(Date.now() / 1000) - 5 } }),
      401,
      "bad_signature",
      /signature mismatch/,
    ],
    [
      "timestamp 10 min old",
      (key) => sendSigned(key, "/v1/ping/rej", { timestamp: Math.floor(Date.now() / 1000) - 600 }),
      401,
      "clock_skew",
      /clock skew.*server/,
    ],
    [
      "timestamp 10 min ahead",
      (key) => sendSigned(key, "/v1/ping/rej", { timestamp: Math.floor(Date.now() / 1000) + 600 }),
      401,
      "clock_skew",
      /clock skew/,
    ],
    [
      "wrong secret",
      (key) => sendSigned({ ...key, secret: "ab".repeat(32) }, "/v1/ping/rej"),
      401,
      "bad_signature",
      /signature mismatch/,
    ],
    [
      "unknown key",
      (key) => sendSigned({ ...key, key_id: "lbk_00000000000000000000" }, "/v1/ping/rej"),
      401,
      "unknown_key",
      /unknown key/,
    ],
    [
      "another check",
      async (key) => {
        await createCheck({ name: "rej-other", slug: "rej-other" }).catch(() => undefined);
        return sendSigned(key, "/v1/ping/rej-other");
      },
      403,
      "forbidden",
      /not allowed to touch check "rej-other"/,
    ],
    [
      "missing headers",
      () => fetchWorker(new Request("https://lifeboat.test/v1/ping/rej", { method: "POST" })),
      401,
      "unauthorized",
      /missing X-Lifeboat-Key/,
    ],
    ["exit status 256", (key) => sendSigned(key, "/v1/ping/rej/256"), 400, "bad_request", /exit status/],
    ["uppercase slug", (key) => sendSigned(key, "/v1/ping/Rej"), 400, "bad_request", /invalid slug/],
  ];

  it.each(cases)("%s", async (_, send, status, code, message) => {
    const { key } = await setup("rej").catch(async () => ({ key: await createAgentKey(["rej"]) }));
    const before = await tableCounts();
    await expectRejected(await send(key), status, code, message);
    const after = await tableCounts();
    // An "another check" case creates its target check first; nothing else may change.
    expect({ ...after, checks: 0, agent_keys: 0 }).toEqual({ ...before, checks: 0, agent_keys: 0 });
  });

  it("a replayed request is refused the second time", async () => {
    const { key } = await setup("replayed");
    const first = await signedRequest(key, "/v1/ping/replayed", { body: "once" });
    const copy = first.clone();
    expect((await fetchWorker(first)).status).toBe(200);
    const before = await tableCounts();
    await expectRejected(await fetchWorker(copy), 401, "replayed_nonce", /replayed nonce/);
    expect(await tableCounts()).toEqual(before);
  });

  it("of two copies sent at once, exactly one is recorded", async () => {
    const { check, key } = await setup("replayed-race");
    const first = await signedRequest(key, "/v1/ping/replayed-race/fail", { body: "once" });
    const copy = first.clone();
    const statuses = (await Promise.all([fetchWorker(first), fetchWorker(copy)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
    const { pings } = await json(call("GET", `/api/v1/checks/${check.uuid}/pings`));
    expect(pings).toHaveLength(1);
  });

  it("a replay is refused after the check has moved on, and changes nothing", async () => {
    const { check, key } = await setup("replayed-later");
    const first = await signedRequest(key, "/v1/ping/replayed-later/fail");
    const copy = first.clone();
    expect((await fetchWorker(first)).status).toBe(200);
    expect((await sendSigned(key, "/v1/ping/replayed-later")).status).toBe(200); // up again
    const before = await tableCounts();
    await expectRejected(await fetchWorker(copy), 401, "replayed_nonce", /replayed nonce/);
    expect(await tableCounts()).toEqual(before);
    expect(await json(call("GET", `/api/v1/checks/${check.uuid}`))).toMatchObject({ status: "up" });
  });

  it("a revoked key is refused", async () => {
    const { key } = await setup("revoked");
    expect((await call("DELETE", `/api/v1/keys/${key.key_id}`)).status).toBe(200);
    const before = await tableCounts();
    await expectRejected(await sendSigned(key, "/v1/ping/revoked"), 401, "revoked_key", /revoked/);
    expect(await tableCounts()).toEqual(before);
  });

  it("a key without the ping scope is refused", async () => {
    const { key } = await setup("no-scope", ["read"]);
    await expectRejected(await sendSigned(key, "/v1/ping/no-scope"), 403, "forbidden", /lacks the "ping" scope/);
  });

  it("an allowed but missing check is a 404", async () => {
    const key = await createAgentKey(["ghost"]);
    const before = await tableCounts();
    await expectRejected(await sendSigned(key, "/v1/ping/ghost"), 404, "not_found", /check "ghost" not found/);
    expect(await tableCounts()).toEqual(before);
  });
});

describe("agent keys", () => {
  it("shows the secret once and never lists it", async () => {
    const key = await createAgentKey(["a-check"], ["ping", "upload"]);
    expect(key.secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await json(call("GET", "/api/v1/keys"))).keys.find((k: any) => k.key_id === key.key_id);
    expect(listed).toMatchObject({
      host: "test-host",
      checks: ["a-check"],
      scopes: ["ping", "upload"],
      revoked_at: null,
    });
    expect(JSON.stringify(listed)).not.toContain(key.secret);
  });

  it.each([
    ["no checks", { host: "h", checks: [] }],
    ["bad scope", { host: "h", checks: "*", scopes: ["delete"] }],
    ["bad slug", { host: "h", checks: ["UPPER"] }],
    ["missing host", { checks: "*" }],
  ])("refuses %s", async (_, body) => {
    const before = await tableCounts();
    expect((await call("POST", "/api/v1/keys", { body })).status).toBe(400);
    expect(await tableCounts()).toEqual(before);
  });

  it("revoking an unknown key is a 404", async () => {
    expect((await call("DELETE", "/api/v1/keys/lbk_ffffffffffffffffffff")).status).toBe(404);
  });
});
