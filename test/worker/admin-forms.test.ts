import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { deriveKeySecret } from "../../worker/domain/signing";
import { call, createCheck, json } from "../helpers/api";
import { Browser, fieldError, formFields, inputValue, snapshot } from "./admin-client";

// The dashboard's forms go through the API's own zod schemas and services: what a form creates is
// what the API then shows; what the API refuses, the form refuses next to the field, writing nothing.

const receiver = inject("receiverUrl");

async function apiCheck(idOrSlug: string) {
  return json(call("GET", `/api/v1/checks/${idOrSlug}`));
}

describe("check forms", () => {
  it("creates a check with durations in units, tags and the public flag", async () => {
    const browser = await Browser.admin();
    const page = await browser.post("/admin/checks", {
      name: "Nightly DB",
      kind: "backup",
      period_s: "6h",
      grace_s: "15m",
      tags: "db, prod",
      public: "true",
      keep_daily: "7",
      tz: "Europe/Berlin",
    });
    expect(page.status, page.html.slice(0, 500)).toBe(303);
    const uuid = /^\/admin\/checks\/([0-9a-f-]{36})\?saved=created$/.exec(page.headers.get("Location")!)![1]!;
    expect(await apiCheck(uuid)).toMatchObject({
      name: "Nightly DB",
      slug: "nightly-db",
      kind: "backup",
      period_s: 21_600,
      grace_s: 900,
      tags: ["db", "prod"],
      public: true,
      tz: "Europe/Berlin",
      retention: { keep_daily: 7, keep_last: null },
    });
    const shown = await browser.get(page.headers.get("Location")!);
    expect(shown.html).toContain("Check created.");
    expect(shown.html).toContain(`/ping/${uuid}`);
  });

  it("shows each error next to its field, keeps what was typed, and writes nothing", async () => {
    const browser = await Browser.admin();
    const before = await snapshot();
    const page = await browser.post("/admin/checks", {
      name: "  ",
      slug: "Not A Slug",
      period_s: "soon",
      tz: "Mars/Olympus_Mons",
      failure_threshold: "0",
      desc: "kept <as typed>",
    });
    expect(page.status).toBe(400);
    expect(fieldError(page.html, "name")).toBe("required");
    expect(fieldError(page.html, "slug")).toContain("a-z, 0-9");
    expect(fieldError(page.html, "period_s")).toContain("enter a number");
    expect(fieldError(page.html, "tz")).toBe("unknown IANA time zone");
    expect(fieldError(page.html, "failure_threshold")).toBeDefined();
    expect(fieldError(page.html, "grace_s")).toBeUndefined();
    expect(inputValue(page.html, "slug")).toBe("Not A Slug");
    expect(inputValue(page.html, "period_s")).toBe("soon");
    expect(inputValue(page.html, "tz")).toBe("Mars/Olympus_Mons");
    expect(page.html).toContain("kept &lt;as typed&gt;</textarea>");
    expect(page.html).toMatch(/id="f-tz"[^>]*aria-invalid="true"[^>]*aria-describedby="f-tz-hint f-tz-error"/);
    expect(page.html).toContain('role="alert"');
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a period and a cron together, a bad cron, a taken slug and an unknown parent", async () => {
    await createCheck({ name: "taken", slug: "taken-slug" });
    const browser = await Browser.admin();
    const before = await snapshot();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: "both", period_s: "1h", cron: "0 3 * * *" }, "cron", /either period_s or cron/],
      [{ name: "bad cron", cron: "61 * * * *" }, "cron", /./],
      [{ name: "dup", slug: "taken-slug" }, "slug", /already used/],
      [{ name: "orphan", parent: "no-such-parent" }, "parent", /no check "no-such-parent"/],
    ];
    for (const [fields, field, message] of cases) {
      const page = await browser.post("/admin/checks", fields);
      expect(page.status, JSON.stringify(fields)).toBe(400);
      expect(fieldError(page.html, field), JSON.stringify(fields)).toMatch(message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("edits a check: the form shows the stored values, an emptied rule turns off", async () => {
    const check = await createCheck({ name: "editable", kind: "backup", period_s: 3600, keep_daily: 7, keep_last: 3 });
    const browser = await Browser.admin();
    const form = await browser.get(`/admin/checks/${check.uuid}/edit`);
    expect(inputValue(form.html, "period_s")).toBe("1h");
    expect(inputValue(form.html, "keep_daily")).toBe("7");
    expect(inputValue(form.html, "name")).toBe("editable");
    const fields = { name: "edited", kind: "backup", period_s: "2h", keep_daily: "", keep_last: "5", tz: "UTC" };
    const saved = await browser.post(`/admin/checks/${check.uuid}`, fields);
    expect(saved.status, saved.html.slice(0, 500)).toBe(303);
    expect(await apiCheck(check.uuid)).toMatchObject({
      name: "edited",
      period_s: 7200,
      retention: { keep_daily: null, keep_last: 5 },
    });
    const invalid = await browser.post(`/admin/checks/${check.uuid}`, { ...fields, grace_s: "1s" });
    expect(invalid.status).toBe(400);
    expect(fieldError(invalid.html, "grace_s")).toBeDefined();
    expect((await apiCheck(check.uuid)).grace_s).toBe(3600);
  });

  it("saving the edit form untouched changes no setting, whatever fields the API has", async () => {
    const parent = await createCheck({ name: "round trip parent" });
    const check = await createCheck({
      name: "round <trip>",
      kind: "backup",
      cron: "15 3 * * 1-5",
      tz: "Europe/Berlin",
      grace_s: 5400,
      tags: ["a", "b"],
      desc: "multi\nline",
      group: "g",
      public: true,
      min_duration_s: 90,
      failure_threshold: 3,
      min_size_fraction: 0.25,
      expect_change: true,
      keep_last: 2,
      keep_within_s: 86_400,
      min_age_days: 9,
      parent: parent.uuid,
    });
    const browser = await Browser.admin();
    const form = await browser.get(`/admin/checks/${check.uuid}/edit`);
    const fields = formFields(form.html, `/admin/checks/${check.uuid}`);
    expect(fields).toMatchObject({ name: "round <trip>", cron: "15 3 * * 1-5", public: "true", tags: "a, b" });
    const saved = await browser.post(`/admin/checks/${check.uuid}`, fields);
    expect(saved.status, saved.html.slice(0, 800)).toBe(303);
    const { updated_at: _u1, ...before } = check;
    const { updated_at: _u2, ...after } = await apiCheck(check.uuid);
    expect(after).toEqual(before);
  });

  it("sets and clears the healthchecks ping options and the Kuma push token", async () => {
    const check = await createCheck({ name: "ping options" });
    const browser = await Browser.admin();
    const form = await browser.get(`/admin/checks/${check.uuid}/edit`);
    expect(form.html).toContain("Pings (healthchecks and Kuma options)");
    const fields = formFields(form.html, `/admin/checks/${check.uuid}`);
    const set = await browser.post(`/admin/checks/${check.uuid}`, {
      ...fields,
      methods: "POST",
      manual_resume: "true",
      filter_http_body: "true",
      failure_kw: "ERROR, FATAL",
      push_token: "KumaToken0123456789",
    });
    expect(set.status, set.html.slice(0, 500)).toBe(303);
    expect(await apiCheck(check.uuid)).toMatchObject({
      methods: "POST",
      manual_resume: true,
      filter_http_body: true,
      failure_kw: "ERROR, FATAL",
      push_token: "KumaToken0123456789",
    });
    const shown = formFields(
      (await browser.get(`/admin/checks/${check.uuid}/edit`)).html,
      `/admin/checks/${check.uuid}`,
    );
    const cleared = await browser.post(`/admin/checks/${check.uuid}`, {
      ...shown,
      methods: "",
      failure_kw: "",
      push_token: "",
    });
    expect(cleared.status, cleared.html.slice(0, 500)).toBe(303);
    expect(await apiCheck(check.uuid)).toMatchObject({
      methods: "",
      failure_kw: "",
      push_token: null,
      manual_resume: true,
    });
  });

  it("pauses and resumes from the check page", async () => {
    const check = await createCheck({ name: "pause me" });
    const browser = await Browser.admin();
    expect((await browser.post(`/admin/checks/${check.uuid}/pause`)).status).toBe(303);
    expect((await apiCheck(check.uuid)).status).toBe("paused");
    expect((await browser.post(`/admin/checks/${check.uuid}/resume`)).status).toBe(303);
    expect((await apiCheck(check.uuid)).status).toBe("new");
  });
});

describe("channel forms", () => {
  it("creates a webhook channel, sends a test, edits and deletes it", async () => {
    const browser = await Browser.admin();
    const url = `${receiver}/hook/admin-form-channel`;
    const created = await browser.post("/admin/channels", { kind: "webhook", name: "ops hook", "config.url": url });
    expect(created.status, created.html.slice(0, 500)).toBe(303);
    const { channels } = await json(call("GET", "/api/v1/channels"));
    const channel = channels.find((c: any) => c.name === "ops hook");
    // The URL is a credential (issue 14.10): only the masked target is shown.
    expect(channel).toMatchObject({
      kind: "webhook",
      config: {},
      target: expect.stringMatching(/^webhook 127\.0\.0\.1:\d+\/…\/nnel$/),
    });

    const tested = await browser.post(`/admin/channels/${channel.uuid}/test`);
    expect(tested.status).toBe(200);
    expect(tested.html).toContain("Test sent to ops hook");
    const received: any[] = await (await fetch(`${receiver}/_requests/admin-form-channel`)).json();
    expect(received).toHaveLength(1);

    const edit = await browser.get(`/admin/channels/${channel.uuid}/edit`);
    expect(inputValue(edit.html, "config.url")).toBe("");
    const edited = await browser.post(`/admin/channels/${channel.uuid}`, {
      name: "ops hook 2",
      "filter.tags": "prod, db",
      repeat_every_s: "1h",
    });
    expect(edited.status, edited.html.slice(0, 500)).toBe(303);
    expect(await json(call("GET", `/api/v1/channels/${channel.uuid}`))).toMatchObject({
      name: "ops hook 2",
      filter: { tags: ["prod", "db"], checks: [] },
      repeat_every_s: 3600,
    });
    // The URL left empty was kept: the next test still reaches the receiver.
    expect((await browser.post(`/admin/channels/${channel.uuid}/test`)).html).toContain("Test sent to ops hook 2");
    expect((await browser.post(`/admin/channels/${channel.uuid}/delete`)).status).toBe(200);
    expect((await call("GET", `/api/v1/channels/${channel.uuid}`)).status).toBe(404);
  });

  it("keeps a stored credential when the edit leaves it empty", async () => {
    const browser = await Browser.admin();
    const token = "123456:" + "A".repeat(35);
    const created = await browser.post("/admin/channels", {
      kind: "telegram",
      "config.bot_token": token,
      "config.chat_id": "-100123",
    });
    expect(created.status, created.html.slice(0, 800)).toBe(303);
    const row = await env.DB.prepare("SELECT uuid FROM channels WHERE kind = 'telegram'").first<{ uuid: string }>();
    const edit = await browser.get(`/admin/channels/${row!.uuid}/edit`);
    expect(edit.html).not.toContain(token);
    expect(inputValue(edit.html, "config.bot_token")).toBe("");
    const saved = await browser.post(`/admin/channels/${row!.uuid}`, { "config.chat_id": "-100999" });
    expect(saved.status, saved.html.slice(0, 800)).toBe(303);
    const view = await json(call("GET", `/api/v1/channels/${row!.uuid}`));
    expect(view.config.chat_id).toBe("-100999");
    expect(view.target).toContain("-100999");
  });

  it("shows the kind's own config errors next to the field and writes nothing", async () => {
    const browser = await Browser.admin();
    const before = await snapshot();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ kind: "webhook", "config.url": "not a url" }, "config.url", /url must be an http\(s\) URL/],
      [{ kind: "webhook" }, "config.url", /url is required/],
      [{ kind: "email", "config.to": "nobody, at all" }, "config.to", /email address/],
      [{ kind: "ntfy", "config.topic": "a/b" }, "config.topic", /no slashes/],
      [{ kind: "ntfy", "config.topic": "ok", "config.priority": "9" }, "config.priority", /1 to 5/],
      [{ kind: "slack", "config.url": "https://hooks.example/x", repeat_every_s: "1m" }, "repeat_every_s", /./],
    ];
    for (const [fields, field, message] of cases) {
      const page = await browser.post("/admin/channels", fields);
      expect(page.status, JSON.stringify(fields)).toBe(400);
      expect(fieldError(page.html, field), JSON.stringify(fields)).toMatch(message);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("key forms", () => {
  it("creates a key and shows its secret and install one-liner exactly once", async () => {
    const browser = await Browser.admin();
    const page = await browser.post("/admin/keys", {
      host: "app-vps-1",
      checks: "db, web",
      scopes: ["ping", "upload"],
    });
    expect(page.status).toBe(201);
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const keyId = /<code>(lbk_[0-9a-f]{20})<\/code>/.exec(page.html)![1]!;
    const secret = await deriveKeySecret(env.LIFEBOAT_MASTER_KEY, keyId);
    expect(page.html).toContain(secret);
    expect(page.html).toContain(`curl -fsSL https://lifeboat.test/install.sh | LIFEBOAT_KEY_ID=${keyId} sh`);
    // The agent's sha256, which install.sh prints on the host, to compare (or to pin).
    const agentSha = (await (await call("GET", "/agent/lifeboat.sha256", { token: null })).text()).split(" ")[0];
    expect(page.html).toContain(`<code id="agent-sha256">${agentSha}</code>`);
    expect(page.html).toContain(`LIFEBOAT_AGENT_SHA256=${agentSha}`);
    const { keys } = await json(call("GET", "/api/v1/keys"));
    expect(keys.find((k: any) => k.key_id === keyId)).toMatchObject({
      host: "app-vps-1",
      checks: ["db", "web"],
      scopes: ["ping", "upload"],
    });
    // Never again: not in the list, not anywhere else.
    for (const path of ["/admin/keys", "/admin"]) expect((await browser.get(path)).html).not.toContain(secret);
  });

  it("refuses a key without a host or a scope, or with a bad slug, writing nothing", async () => {
    const browser = await Browser.admin();
    const before = await snapshot();
    const noScope = await browser.post("/admin/keys", { host: "h", checks: "*" });
    expect(noScope.status).toBe(400);
    expect(fieldError(noScope.html, "scopes") ?? noScope.html).toContain("choose at least one");
    const noHost = await browser.post("/admin/keys", { host: "", checks: "*", scopes: "ping" });
    expect(fieldError(noHost.html, "host")).toBe("required");
    const badSlug = await browser.post("/admin/keys", { host: "h", checks: "Bad Slug!", scopes: "ping" });
    expect(fieldError(badSlug.html, "checks")).toBeDefined();
    expect(inputValue(badSlug.html, "checks")).toBe("Bad Slug!");
    expect(await snapshot()).toEqual(before);
  });

  it("revokes a key", async () => {
    const key = await json(call("POST", "/api/v1/keys", { body: { host: "doomed", checks: "*" } }));
    const browser = await Browser.admin();
    const page = await browser.post(`/admin/keys/${key.key_id}/revoke`);
    expect(page.html).toContain("revoked");
    const { keys } = await json(call("GET", "/api/v1/keys"));
    expect(keys.find((k: any) => k.key_id === key.key_id).revoked_at).not.toBeNull();
  });
});
