import { describe, expect, it } from "vitest";
import { ADMIN, BASE, call, fetchWorker, json, READER, tableCounts } from "../helpers/api";

/**
 * healthchecks' Management API v1/v2/v3 as Lifeboat serves it, written from healthchecks' own
 * tests (hc/api/tests/test_*.py) and templates/docs/api.md; each case names the test it mirrors.
 */

const HC_RW = "hc-rw-key-0123456789abcdef012345";
const HC_RO = "hcr_ro-key-0123456789abcdef01234";

function hc(
  method: string,
  path: string,
  init: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  const key = init.key === undefined ? HC_RW : init.key;
  if (key) headers["X-Api-Key"] = key;
  const body =
    init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  return fetchWorker(new Request(`${BASE}${path}`, { method, headers, body }));
}

async function create(fields: Record<string, unknown>, v = 3) {
  const response = await hc("POST", `/api/v${v}/checks/`, { body: fields });
  if (response.status !== 201) throw new Error(`create: ${response.status} ${await response.text()}`);
  return response.json<any>();
}

async function error(response: Response | Promise<Response>) {
  const r = await response;
  return [r.status, (await r.json<any>()).error];
}

describe("create (test_create_check.py)", () => {
  it("creates a check with healthchecks' fields and answers 201 with CORS (test_it_works)", async () => {
    const fields = {
      name: "Foo",
      tags: "bar baz",
      desc: "description goes here",
      timeout: 3600,
      grace: 60,
      start_kw: "START",
      success_kw: "SUCCESS",
      failure_kw: "FAILURE",
      filter_subject: true,
      filter_body: true,
      filter_http_body: true,
      filter_default_fail: true,
    };
    const response = await hc("POST", "/api/v1/checks/", {
      key: null,
      body: { api_key: HC_RW, ...fields },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const doc = await response.json<any>();
    expect(doc).toMatchObject({
      ...fields,
      slug: "foo",
      last_ping: null,
      n_pings: 0,
      methods: "",
      status: "new",
      started: false,
    });
    expect(doc).not.toHaveProperty("schedule");
    expect(doc.ping_url).toBe(`${BASE}/ping/${doc.uuid}`);
    // Terraform's provider reads the id from update_url's last segment.
    expect(doc.update_url).toBe(`${BASE}/api/v1/checks/${doc.uuid}`);
    expect(doc.pause_url).toBe(`${doc.update_url}/pause`);
    const native = await json(call("GET", `/api/v1/checks/${doc.uuid}`));
    expect(native).toMatchObject({
      name: "Foo",
      period_s: 3600,
      grace_s: 60,
      tags: ["bar", "baz"],
      filter_http_body: true,
    });
  });

  it("takes the key from X-Api-Key, HC_API_KEY or ADMIN_TOKEN (test_it_accepts_api_key_in_header)", async () => {
    for (const key of [HC_RW, ADMIN]) {
      expect((await hc("POST", "/api/v3/checks/", { key, body: { name: `by ${key.slice(0, 5)}` } })).status).toBe(201);
    }
  });

  it("refuses bad requests with healthchecks' messages, writing nothing", async () => {
    const before = await tableCounts();
    const cases: [RequestInit & { key?: string | null }, number, string][] = [
      [{ key: null }, 401, "missing api key"], // test_it_handles_missing_request_body
      [{ key: null, body: "this is not json" }, 400, "could not parse request body"], // test_it_handles_invalid_json
      [{ key: null, body: "[1,2,3]" }, 400, "json validation error: value is not an object"], // test_it_handles_non_dict_json
      [{ key: "Y".repeat(32), body: "{}" }, 401, "wrong api key"], // test_it_rejects_wrong_api_key
      [{ key: HC_RO, body: "{}" }, 401, "wrong api key"], // test_it_rejects_readonly_key
      [{ key: READER, body: "{}" }, 401, "wrong api key"],
    ];
    for (const [init, status, message] of cases) {
      const response = await hc("POST", "/api/v1/checks/", { key: init.key, body: init.body as string });
      expect(await error(response), JSON.stringify(init)).toEqual([status, message]);
    }
    const invalid: [Record<string, unknown>, string][] = [
      [{ timeout: 0 }, "timeout is too small"], // test_it_rejects_small_timeout
      [{ timeout: 31536001 }, "timeout is too large"], // test_it_rejects_large_timeout
      [{ timeout: "oops" }, "timeout is not a number"], // test_it_rejects_non_number_timeout
      [{ name: false }, "name is not a string"], // test_it_rejects_non_string_name
      [{ name: "01234567890".repeat(20) }, "name is too long"], // test_it_rejects_long_name
      [{ name: "Foo", unique: ["status"] }, "an item in 'unique' has unexpected value"], // test_unique_accepts_only_specific_values
      [{ name: "Foo", unique: "not a list" }, "unique is not an array"], // test_it_rejects_bad_unique_values
      [{ schedule: "bad-expression" }, "schedule is not a valid cron"], // test_it_validates_cron_expression
      [{ schedule: "* * * * * *" }, "schedule is not a valid cron"],
      [{ tz: "not-a-tz" }, "tz is not a valid timezone"], // test_it_validates_timezone
      [{ manual_resume: "surprise" }, "manual_resume is not a boolean"], // test_it_rejects_non_boolean_manual_resume
      [{ filter_http_body: "yes" }, "filter_http_body is not a boolean"], // test_it_rejects_non_boolean_filter_flags
      [{ methods: "FOO" }, "methods has unexpected value"], // test_it_rejects_bad_methods_value
      [{ success_kw: "x".repeat(201) }, "success_kw is too long"], // test_it_rejects_long_filtering_keywords
      [{ subject: 123 }, "subject is not a string"], // test_it_rejects_non_string_subject
      [{ slug: "Hello World" }, "slug does not match pattern"], // test_it_handles_invalid_slug
      [{ slug: "a".repeat(101) }, "slug is too long"], // test_it_rejects_long_slug
      [{ channels: 123 }, "channels is not a string"], // test_it_rejects_non_string_channels_key
      [{ channels: "nope" }, "invalid channel identifier: nope"],
      [{ channels: "," }, "empty channel identifier"], // test_it_rejects_multiple_empty_channel_names
    ];
    // test_it_rejects_null_values
    for (const field of ["channels", "timeout", "grace", "name", "schedule", "subject", "subject_fail", "unique"]) {
      invalid.push([{ [field]: null }, `${field} is not a`]);
    }
    for (const [body, fragment] of invalid) {
      const response = await hc("POST", "/api/v3/checks/", { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json<any>()).error, JSON.stringify(body)).toContain(fragment);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("keeps a cron schedule with its tz (test_it_supports_cron_syntax)", async () => {
    const doc = await create({ schedule: "5 * * * *", tz: "Europe/Riga", grace: 60 });
    expect(doc).toMatchObject({ schedule: "5 * * * *", tz: "Europe/Riga", grace: 60 });
    expect(doc).not.toHaveProperty("timeout");
  });

  it("upserts with unique: 201 the first time, 200 and the same check after (test_it_supports_unique_name)", async () => {
    const first = await hc("POST", "/api/v3/checks/", {
      body: { name: "Upserted", slug: "upserted", unique: ["name"] },
    });
    expect(first.status).toBe(201);
    const again = await hc("POST", "/api/v3/checks/", { body: { name: "Upserted", timeout: 600, unique: ["name"] } });
    expect(again.status).toBe(200);
    const [a, b] = [await first.json<any>(), await again.json<any>()];
    expect(b.uuid).toBe(a.uuid);
    expect(b.timeout).toBe(600);
    // test_it_creates_new_check_if_unique_references_absent_field
    expect((await hc("POST", "/api/v3/checks/", { body: { timeout: 600, unique: ["name"] } })).status).toBe(201);
  });

  it("v1 derives the slug from the name; v3 keeps the slug it is given (test_v3_saves_slug, test_v3_does_not_autogenerate_slug)", async () => {
    expect((await create({ name: "Nightly Dump" }, 1)).slug).toBe("nightly-dump");
    const v3 = await create({ name: "Other Name", slug: "custom-slug" });
    expect(v3.slug).toBe("custom-slug");
    const renamed = await json(hc("POST", `/api/v3/checks/${v3.uuid}`, { body: { name: "Renamed" } }));
    expect(renamed.slug).toBe("custom-slug");
    // Lifeboat's slugs are unique: a derived one that is taken gets a suffix, a given one is refused.
    const twin = await create({ name: "Nightly Dump" }, 1);
    expect(twin.slug).toMatch(/^nightly-dump-[0-9a-f]{6}$/);
    expect(await error(hc("POST", "/api/v3/checks/", { body: { slug: "custom-slug" } }))).toEqual([
      409,
      'slug "custom-slug" is already used by another check',
    ]);
  });

  it("assigns channels through Lifeboat's channel filters (test_it_assigns_channels, test_it_sets_channel_by_name)", async () => {
    const only = await json(
      call("POST", "/api/v1/channels", {
        body: {
          kind: "webhook",
          name: "Ops hook",
          url: "http://127.0.0.1:9/hook",
          filter: { checks: ["someone-else"] },
        },
      }),
    );
    const doc = await create({ name: "With channel", slug: "with-channel", channels: "Ops hook" });
    expect(doc.channels.split(",")).toContain(only.uuid);
    const channel = await json(call("GET", `/api/v1/channels/${only.uuid}`));
    expect(channel.filter.checks).toEqual(["someone-else", "with-channel"]);
    // test_it_unassigns_channels: "" takes it back out of the filter.
    const updated = await json(hc("POST", `/api/v3/checks/${doc.uuid}`, { body: { channels: "" } }));
    expect(updated.channels.split(",")).not.toContain(only.uuid);
    expect((await json(call("GET", `/api/v1/channels/${only.uuid}`))).filter.checks).toEqual(["someone-else"]);
  });
});

describe("list and get (test_list_checks.py, test_get_check.py)", () => {
  it("filters by repeated tag and by slug (test_it_filters_with_multiple_tags_param, test_it_works_with_slug_param)", async () => {
    await create({ name: "a1", slug: "tagged-a1", tags: "alpha beta" });
    await create({ name: "a2", slug: "tagged-a2", tags: "alpha" });
    const both = await json(hc("GET", "/api/v1/checks/?tag=alpha&tag=beta"));
    expect(both.checks.map((c: any) => c.slug)).toEqual(["tagged-a1"]);
    const alpha = await json(hc("GET", "/api/v1/checks/?tag=alpha"));
    expect(alpha.checks.map((c: any) => c.slug)).toEqual(["tagged-a1", "tagged-a2"]);
    expect((await json(hc("GET", "/api/v1/checks/?tag=alph"))).checks).toEqual([]); // test_it_does_not_match_tag_partially
    expect((await json(hc("GET", "/api/v3/checks/?slug=tagged-a2"))).checks).toHaveLength(1);
    expect((await hc("GET", `/api/v3/checks/?slug=${"s".repeat(101)}`)).status).toBe(400);
  });

  it("a read-only key sees no uuid, URL, channel or ping key, but a unique_key (test_readonly_key_works)", async () => {
    const doc = await create({ name: "Secretive", slug: "secretive" });
    const pingKey = (await json(call("GET", `/api/v1/checks/${doc.uuid}`))).slug_ping_url.split("/").at(-2);
    for (const key of [HC_RO, READER]) {
      const response = await hc("GET", "/api/v3/checks/?slug=secretive", { key });
      const text = await response.text();
      expect(text).not.toContain(doc.uuid);
      expect(text).not.toContain(pingKey);
      const [check] = JSON.parse(text).checks;
      for (const field of ["uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"]) {
        expect(check).not.toHaveProperty(field);
      }
      expect(check.unique_key).toMatch(/^[0-9a-f]{40}$/);
      // test_it_handles_unique_key: the unique_key gets the check and its flips, read-only.
      const one = await json(hc("GET", `/api/v3/checks/${check.unique_key}`, { key }));
      expect(one).toMatchObject({ slug: "secretive", unique_key: check.unique_key });
      expect((await hc("GET", `/api/v3/checks/${check.unique_key}/flips/`, { key })).status).toBe(200);
      // test_it_rejects_post_unique_key
      expect((await hc("POST", `/api/v3/checks/${check.unique_key}`, { key: HC_RW, body: {} })).status).toBe(405);
    }
  });

  it("gets by uuid; an unknown or malformed one is 404 (test_it_handles_missing_check, test_it_handles_invalid_uuid)", async () => {
    const doc = await create({ name: "getme" });
    expect((await json(hc("GET", `/api/v1/checks/${doc.uuid}`))).name).toBe("getme");
    expect((await hc("GET", "/api/v1/checks/07c2f548-9850-4b27-af5d-6c9dc157ec02")).status).toBe(404);
    expect((await hc("GET", "/api/v1/checks/not-uuid")).status).toBe(404);
  });

  it("v1 reports a running job as started; v2 and v3 separately (test_v1_reports_status_started, test_v2_reports_started_separately)", async () => {
    const doc = await create({ name: "running" });
    await call("GET", `/ping/${doc.uuid}/start`, { token: null });
    expect(await json(hc("GET", `/api/v1/checks/${doc.uuid}`))).toMatchObject({ status: "started", started: true });
    expect(await json(hc("GET", `/api/v2/checks/${doc.uuid}`))).toMatchObject({ status: "new", started: true });
  });

  it("answers OPTIONS with CORS (test_it_handles_options)", async () => {
    const response = await hc("OPTIONS", "/api/v1/checks/", { key: null });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("X-Api-Key");
  });
});

describe("update, pause, resume, delete", () => {
  it("POST /checks/<uuid> changes only what it is sent (test_update_check.py test_it_works)", async () => {
    const doc = await create({ name: "before", slug: "upd", tags: "x", timeout: 3600 });
    const updated = await json(
      hc("POST", `/api/v3/checks/${doc.uuid}`, {
        body: { name: "after", schedule: "0 3 * * *", tz: "UTC", manual_resume: true, methods: "POST" },
      }),
    );
    expect(updated).toMatchObject({
      name: "after",
      slug: "upd",
      tags: "x",
      schedule: "0 3 * * *",
      manual_resume: true,
      methods: "POST",
    });
    expect(await error(hc("POST", `/api/v3/checks/${doc.uuid}`, { key: HC_RO, body: {} }))).toEqual([
      401,
      "wrong api key",
    ]);
    expect((await hc("POST", "/api/v3/checks/07c2f548-9850-4b27-af5d-6c9dc157ec02", { body: {} })).status).toBe(404);
  });

  it("pauses (api_key in the body too) and resumes; resuming an unpaused check is 409 (test_pause.py, test_resume.py)", async () => {
    const doc = await create({ name: "pausable" });
    const paused = await hc("POST", `/api/v1/checks/${doc.uuid}/pause`, { key: null, body: { api_key: HC_RW } });
    expect(paused.status).toBe(200);
    expect((await paused.json<any>()).status).toBe("paused");
    expect((await json(hc("POST", `/api/v1/checks/${doc.uuid}/pause`))).status).toBe("paused"); // test_it_does_not_pause_already_paused_check
    expect((await json(hc("POST", `/api/v1/checks/${doc.uuid}/resume`))).status).toBe("new");
    expect(await error(hc("POST", `/api/v1/checks/${doc.uuid}/resume`))).toEqual([409, "check is not paused"]);
    expect((await hc("GET", `/api/v1/checks/${doc.uuid}/pause`)).status).toBe(405); // test_it_only_allows_post
  });

  it("deletes and answers the deleted check (test_delete_check.py)", async () => {
    const doc = await create({ name: "doomed" });
    const gone = await hc("DELETE", `/api/v1/checks/${doc.uuid}`);
    expect(gone.status).toBe(200);
    expect((await gone.json<any>()).name).toBe("doomed");
    expect((await hc("DELETE", `/api/v1/checks/${doc.uuid}`)).status).toBe(404);
    // On /api/v1/ a request with neither key nor token is Lifeboat's own (docs/COMPATIBILITY.md); v3 is healthchecks' alone.
    expect(await error(hc("DELETE", `/api/v3/checks/${doc.uuid}`, { key: null }))).toEqual([401, "missing api key"]);
  });
});

describe("pings, flips, channels, badges, status", () => {
  it("lists pings with type, n, duration and body_url, and serves a body (test_get_pings.py, test_get_ping_body.py)", async () => {
    const doc = await create({ name: "pinged" });
    await call("GET", `/ping/${doc.uuid}/start`, { token: null });
    await call("POST", `/ping/${doc.uuid}`, {
      token: null,
      body: "backup done",
      headers: { "Content-Type": "text/plain" },
    });
    const { pings } = await json(hc("GET", `/api/v3/checks/${doc.uuid}/pings/`));
    expect(pings.map((p: any) => p.type)).toEqual(["success", "start"]);
    expect(pings[0].duration).toBeGreaterThanOrEqual(0);
    expect(pings[1].body_url).toBeNull();
    const body = await hc("GET", new URL(pings[0].body_url).pathname);
    expect(body.headers.get("Content-Type")).toContain("text/plain");
    expect(await body.text()).toBe("backup done");
    expect((await hc("GET", `/api/v3/checks/${doc.uuid}/pings/${pings[1].n}/body`)).status).toBe(404); // test_it_handles_no_body
    expect((await hc("GET", `/api/v3/checks/${doc.uuid}/pings/`, { key: HC_RO })).status).toBe(401); // test_readonly_key_is_not_allowed
  });

  it("lists flips with seconds, start and end, and refuses bad filters (test_get_flips.py)", async () => {
    const doc = await create({ name: "flippy" });
    await call("GET", `/ping/${doc.uuid}`, { token: null });
    await call("GET", `/ping/${doc.uuid}/fail`, { token: null });
    const all = await json(hc("GET", `/api/v3/checks/${doc.uuid}/flips/`));
    expect(all.flips.map((f: any) => f.up)).toEqual([0, 1]);
    expect(all.flips[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect((await json(hc("GET", `/api/v3/checks/${doc.uuid}/flips/?seconds=3600`))).flips).toHaveLength(2);
    expect((await json(hc("GET", `/api/v3/checks/${doc.uuid}/flips/?end=1`))).flips).toHaveLength(0);
    expect((await json(hc("GET", `/api/v3/checks/${doc.uuid}/flips/?start=4102444800`))).flips).toHaveLength(0);
    for (const query of ["start=abc", "start=-1", "start=12345678901", "seconds=-1", "seconds=31536001"]) {
      expect((await hc("GET", `/api/v3/checks/${doc.uuid}/flips/?${query}`)).status, query).toBe(400);
    }
    expect((await hc("GET", `/api/v3/checks/${doc.uuid}/flips/`, { key: HC_RO })).status).toBe(200); // test_readonly_key_is_allowed
  });

  it("lists channels for a read-write key only (test_list_channels.py)", async () => {
    const channel = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", name: "Listed", url: "http://127.0.0.1:9/x" } }),
    );
    const { channels } = await json(hc("GET", "/api/v1/channels/"));
    expect(channels).toContainEqual({ id: channel.uuid, name: "Listed", kind: "webhook" });
    expect((await hc("GET", "/api/v1/channels/", { key: HC_RO })).status).toBe(401);
    expect((await hc("POST", "/api/v1/channels/", { body: {} })).status).toBe(405); // test_it_rejects_post
  });

  it("lists badges, and answers status without a key (test_get_badges.py, test_status.py)", async () => {
    const doc = await create({ name: "badged", slug: "badged" });
    const { badges } = await json(hc("GET", "/api/v3/badges/", { key: HC_RO }));
    expect(badges.badged.svg).toMatch(new RegExp(`^${BASE}/badge/[0-9a-f]{32}/state\\.svg$`));
    expect(doc.badge_url).toBe(badges.badged.svg);
    const status = await hc("GET", "/api/v3/status/", { key: null });
    expect([status.status, await status.text()]).toEqual([200, "OK"]);
  });
});

describe("sharing /api/v1/ with Lifeboat's own API", () => {
  it("Bearer goes to Lifeboat's API, X-Api-Key to healthchecks', each with its own error shape", async () => {
    const doc = await create({ name: "shared prefix" });
    const native = await json(call("GET", `/api/v1/checks/${doc.uuid}`));
    expect(native).toHaveProperty("period_s");
    const compat = await json(hc("GET", `/api/v1/checks/${doc.uuid}`));
    expect(compat).toHaveProperty("timeout");
    const noToken = await json(call("GET", `/api/v1/checks/${doc.uuid}`, { token: null }));
    expect(noToken.error.code).toBe("unauthorized");
    expect(await error(hc("GET", "/api/v1/checks/", { key: null }))).toEqual([401, "missing api key"]);
    expect(await error(hc("GET", `/api/v2/checks/${doc.uuid}`, { key: null }))).toEqual([401, "missing api key"]);
  });
});
