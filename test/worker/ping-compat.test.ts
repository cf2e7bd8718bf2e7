import { describe, expect, it } from "vitest";
import { call, createCheck, json, tableCounts } from "../helpers/api";

/**
 * The ping semantics healthchecks users rely on, written from healthchecks' own tests
 * (hc/api/tests/test_ping.py, test_ping_by_slug.py); each case names the test it mirrors.
 */

const ping = (path: string, init: { method?: string; body?: string } = {}) =>
  call(init.method ?? "GET", `/ping/${path}`, {
    token: null,
    body: init.body,
    headers: { "Content-Type": "text/plain" },
  });

const checkOf = (uuid: string) => json(call("GET", `/api/v1/checks/${uuid}`));
const pingsOf = async (uuid: string) => (await json(call("GET", `/api/v1/checks/${uuid}/pings`))).pings as any[];
const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const RID = "5f2c5a3e-7c3b-4f1a-9d0e-2b8f6a1c9e47";

describe("answers no cache may keep (test_it_never_caches)", () => {
  it("every ping answer says no-cache: 200, 201, 400, 404, 405", async () => {
    const check = await createCheck({ name: "never cached", slug: "never-cached" });
    const key = (await checkOf(check.uuid)).slug_ping_url.split("/").at(-2);
    const answers = [
      await ping(check.uuid),
      await ping(`${key}/made-by-ping?create=1`),
      await ping(`${check.uuid}?rid=nope`),
      await ping(UNKNOWN),
      await call("PUT", `/ping/${check.uuid}`, { token: null }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 201, 400, 404, 405]);
    for (const answer of answers) expect(answer.headers.get("Cache-Control")).toContain("no-cache");
  });
});

describe("an unknown check is a 404 before the rid or exit status is judged", () => {
  it("a malformed rid answers 400 invalid uuid format (test_it_handles_invalid_rid)", async () => {
    const check = await createCheck({ name: "bad rid" });
    for (const rid of ["12345", "684e2e73-017e-465f-8149-d70b7c5aaa490"]) {
      const response = await ping(`${check.uuid}/start?rid=${rid}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toBe("invalid uuid format");
    }
    expect(await pingsOf(check.uuid)).toEqual([]);
  });

  it("an exit status over 255 answers 400 invalid url format (test_it_rejects_exit_status_over_255)", async () => {
    const check = await createCheck({ name: "exit 256" });
    const response = await ping(`${check.uuid}/256`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("invalid url format");
  });

  it("an unknown uuid is 404 whatever its rid or exit status (test_it_handles_missing_check)", async () => {
    for (const path of [`${UNKNOWN}?rid=12345`, `${UNKNOWN}/256`, `${UNKNOWN}/256?rid=x`]) {
      const response = await ping(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toBe("not found");
    }
  });

  it("an unknown slug is 404 first; ?create=1 with a bad rid creates nothing", async () => {
    const check = await createCheck({ name: "slug order" });
    const key = (await checkOf(check.uuid)).slug_ping_url.split("/").at(-2);
    expect((await ping(`${key}/no-such-slug/256`)).status).toBe(404);
    expect((await ping(`${key}/no-such-slug?rid=12345`)).status).toBe(404);
    const before = await tableCounts();
    const refused = await ping(`${key}/would-be-created?create=1&rid=12345`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe("invalid uuid format");
    expect(await tableCounts()).toEqual(before);
  });
});

describe("methods: POST (test_it_requires_post)", () => {
  it("a GET or HEAD ping is kept as ignored and answered like any other", async () => {
    const check = await createCheck({ name: "post only", methods: "POST" });
    for (const method of ["GET", "HEAD"]) {
      const response = await ping(check.uuid, { method });
      expect(response.status).toBe(200);
    }
    expect((await checkOf(check.uuid)).status).toBe("new");
    expect((await pingsOf(check.uuid)).map((p) => `${p.method}:${p.kind}`)).toEqual(["HEAD:ign", "GET:ign"]);
    expect((await checkOf(check.uuid)).n_pings).toBe(2);

    await ping(check.uuid, { method: "POST", body: "done" });
    expect((await checkOf(check.uuid)).status).toBe("up");
  });

  it("ignores a GET /fail too: nothing but a POST counts", async () => {
    const check = await createCheck({ name: "post only fail", methods: "POST" });
    await ping(`${check.uuid}/fail`);
    await ping(`${check.uuid}/3`);
    expect((await checkOf(check.uuid)).status).toBe("new");
  });
});

describe("manual_resume", () => {
  it("a paused check with manual_resume ignores pings until resumed (test_it_handles_manual_resume_flag)", async () => {
    const check = await createCheck({ name: "manual resume", manual_resume: true });
    await ping(check.uuid);
    await call("POST", `/api/v1/checks/${check.uuid}/pause`);
    expect((await ping(check.uuid)).status).toBe(200);
    await ping(`${check.uuid}/fail`);
    expect((await checkOf(check.uuid)).status).toBe("paused");
    expect((await pingsOf(check.uuid)).slice(0, 2).map((p) => p.kind)).toEqual(["ign", "ign"]);

    await call("POST", `/api/v1/checks/${check.uuid}/resume`);
    await ping(check.uuid);
    expect((await checkOf(check.uuid)).status).toBe("up");
  });

  it("without it a ping takes a paused check out of pause (test_it_changes_status_of_paused_check)", async () => {
    const check = await createCheck({ name: "auto resume" });
    await call("POST", `/api/v1/checks/${check.uuid}/pause`);
    await ping(check.uuid);
    expect((await checkOf(check.uuid)).status).toBe("up");
  });
});

describe("keyword filters on the HTTP body", () => {
  const filtered = (fields: Record<string, unknown>) =>
    createCheck({ name: `kw ${JSON.stringify(fields)}`, filter_http_body: true, ...fields });
  const lastKind = async (uuid: string) => (await pingsOf(uuid))[0].kind;

  it("a success keyword makes a success; a miss is ignored (test_it_handles_success_filter_match / _miss)", async () => {
    const check = await filtered({ success_kw: "SUCCESS" });
    await ping(check.uuid, { method: "POST", body: "hello world" });
    expect(await lastKind(check.uuid)).toBe("ign");
    expect((await checkOf(check.uuid)).status).toBe("new");
    await ping(check.uuid, { method: "POST", body: "SUCCESS!" });
    expect(await lastKind(check.uuid)).toBe("success");
    expect((await checkOf(check.uuid)).status).toBe("up");
  });

  it("a failure keyword makes a failure; a miss is ignored (test_it_handles_failure_filter_match / _miss)", async () => {
    const check = await filtered({ failure_kw: "FAIL" });
    await ping(check.uuid, { method: "POST", body: "---" });
    expect(await lastKind(check.uuid)).toBe("ign");
    await ping(check.uuid, { method: "POST", body: "FAIL!" });
    expect(await lastKind(check.uuid)).toBe("fail");
    expect(await checkOf(check.uuid)).toMatchObject({ status: "down", status_reason: "fail" });
  });

  it("a start keyword starts a run (test_it_handles_start_filter_match)", async () => {
    const check = await filtered({ start_kw: "START" });
    await ping(check.uuid, { method: "POST", body: "STARTING" });
    expect(await lastKind(check.uuid)).toBe("start");
    expect((await checkOf(check.uuid)).status).toBe("started");
  });

  it("failure keywords are read first, comma-separated, trimmed and case-sensitive", async () => {
    const check = await filtered({ success_kw: "done, ok", failure_kw: " ERROR ,FATAL" });
    await ping(check.uuid, { method: "POST", body: "ok, but FATAL later" });
    expect(await lastKind(check.uuid)).toBe("fail");
    await ping(check.uuid, { method: "POST", body: "all done" });
    expect(await lastKind(check.uuid)).toBe("success");
    await ping(check.uuid, { method: "POST", body: "error, lower case" });
    expect(await lastKind(check.uuid)).toBe("ign");
  });

  it("decides for /log and exit-status URLs too: the body wins", async () => {
    const check = await filtered({ success_kw: "OK" });
    await ping(`${check.uuid}/log`, { method: "POST", body: "OK" });
    expect(await lastKind(check.uuid)).toBe("success");
    await ping(`${check.uuid}/3`, { method: "POST", body: "OK anyway" });
    const [last] = await pingsOf(check.uuid);
    expect(last).toMatchObject({ kind: "success", exit_status: 3 });
    expect((await checkOf(check.uuid)).status).toBe("up");
  });

  it("filter_default_fail: no keyword is a failure (test_it_handles_filter_default_fail)", async () => {
    const check = await filtered({ success_kw: "SUCCESS", filter_default_fail: true });
    await ping(check.uuid, { method: "POST", body: "no keywords" });
    expect(await lastKind(check.uuid)).toBe("fail");
    expect((await checkOf(check.uuid)).status).toBe("down");
  });

  it("the email filters never apply to HTTP pings (test_it_ignores_email_filters)", async () => {
    const check = await createCheck({
      name: "email filters",
      filter_subject: true,
      filter_body: true,
      success_kw: "SUCCESS",
      filter_default_fail: true,
    });
    await ping(check.uuid);
    expect(await lastKind(check.uuid)).toBe("success");
    expect((await checkOf(check.uuid)).status).toBe("up");
  });

  it("manual_resume beats keywords (test_manual_resume_takes_precedence_over_keywords)", async () => {
    const check = await filtered({ success_kw: "SUCCESS", manual_resume: true });
    await call("POST", `/api/v1/checks/${check.uuid}/pause`);
    await ping(check.uuid, { method: "POST", body: "SUCCESS!" });
    expect(await lastKind(check.uuid)).toBe("ign");
    expect((await checkOf(check.uuid)).status).toBe("paused");
  });

  it("methods beats keywords (test_allowed_methods_takes_precedence_over_keywords)", async () => {
    const check = await filtered({ filter_default_fail: true, methods: "POST" });
    await ping(check.uuid);
    expect(await lastKind(check.uuid)).toBe("ign");
    expect((await checkOf(check.uuid)).status).toBe("new");
  });
});

describe("the ping options through the admin API", () => {
  it("are shown, defaulted like healthchecks, and validated", async () => {
    const check = await createCheck({ name: "defaults" });
    expect(check).toMatchObject({
      methods: "",
      manual_resume: false,
      filter_subject: false,
      filter_body: false,
      filter_http_body: false,
      filter_default_fail: false,
      start_kw: "",
      success_kw: "",
      failure_kw: "",
      push_token: null,
    });
    const before = await tableCounts();
    for (const body of [{ methods: "GET" }, { failure_kw: "x".repeat(201) }, { manual_resume: "yes" }]) {
      const response = await call("PATCH", `/api/v1/checks/${check.uuid}`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(await tableCounts()).toEqual(before);
    const updated = await json(call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { methods: "POST" } }));
    expect(updated.methods).toBe("POST");
  });

  it("a rid on a ping of a filtered check is still judged after the lookup", async () => {
    const check = await createCheck({ name: "rid kept", filter_http_body: true, start_kw: "go" });
    await ping(`${check.uuid}?rid=${RID}`, { method: "POST", body: "go" });
    expect((await pingsOf(check.uuid))[0]).toMatchObject({ kind: "start", rid: RID });
  });
});
