import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { pingKeyOf } from "../../worker/domain/signing";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { ADMIN, BASE, call, createCheck, fetchWorker, json, READER } from "../helpers/api";
import { createAgentKey, type AgentKey } from "../helpers/agent";
import { bytesOf, uploadBackup } from "../helpers/backups";
import { Browser } from "./admin-client";

// Issue 13.6: the read-only token (ADMIN_READ_TOKEN, and the read-only dashboard login) carries no
// capability. Every GET route of the admin API (taken from the OpenAPI document, so a route added
// later is covered too) and every dashboard page is fetched with it; no uuid, ping key, ping URL,
// signing secret or channel credential of the seeded data may appear in any answer.

const receiver = inject("receiverUrl");
const BOT_TOKEN = "123456:readtoken-bot-AAAAAAAAAAAAAAAAAAAAAAAAA";
const NTFY_TOKEN = "tk_readtokenntfysecret0000000000";
const NTFY_TOPIC = "readtoken-topic-7f3a";
const ROUTING_KEY = "RTroutingkey000000000000000000ab";
const WEBHOOK_PATH = "hook/readtoken-webhook-path-5c1e";

let host: any;
let db: any;
let agent: AgentKey;
let backupId: string;
let channelUuid: string;
let windowUuid: string;
/** Strings the read token must never see, with what each one is. */
const secrets: [string, string][] = [];

beforeAll(async () => {
  host = await createCheck({ name: "rt host heartbeat", slug: "rt-host", period_s: 3600, grace_s: 300 });
  db = await createCheck({ name: "rt nightly db", slug: "rt-db", kind: "backup", parent: "rt-host" });
  await call("POST", `/ping/${host.uuid}`, { token: null, body: "host ok" });
  await call("POST", `/ping/${db.uuid}/fail`, { token: null, body: "pg_dump: error" });
  await createCheck({ name: "rt restic repository", slug: "rt-repo", kind: "restic", period_s: 86400 });
  agent = await createAgentKey(["rt-db"], ["upload", "read", "ping"]);
  backupId = (await uploadBackup(agent, "rt-db", bytesOf(4096, 3))).id;

  const channels = [
    { kind: "webhook", url: `${receiver}/${WEBHOOK_PATH}` },
    { kind: "telegram", config: { bot_token: BOT_TOKEN, chat_id: -100777, api_url: `${receiver}/telegram` } },
    { kind: "ntfy", config: { topic: NTFY_TOPIC, token: NTFY_TOKEN, server: `${receiver}/ntfy` } },
    { kind: "pagerduty", config: { routing_key: ROUTING_KEY, events_url: `${receiver}/pagerduty/v2/enqueue` } },
  ];
  const created = [];
  for (const body of channels) created.push(await json(call("POST", "/api/v1/channels", { body })));
  channelUuid = created[0].uuid;
  windowUuid = (
    await json(
      call("POST", "/api/v1/maintenance", {
        body: { name: "rt window", cron: "0 3 * * 0", duration_s: 3600, checks: ["rt-db"] },
      }),
    )
  ).uuid;
  // Deliveries in the log (the failure above) and a flip or two.
  await runSweep(sweepContext(env, "https://lifeboat.test", Date.now() + 1000));

  const pingKey = await pingKeyOf(env);
  secrets.push(
    [host.uuid, "a check uuid (ping capability)"],
    [db.uuid, "a check uuid (ping capability)"],
    [pingKey, "the ping key"],
    [`/ping/${pingKey}/`, "a slug ping URL"],
    [created[0].signing_secret, "a webhook signing secret"],
    [WEBHOOK_PATH, "a webhook URL"],
    [BOT_TOKEN, "a Telegram bot token"],
    [NTFY_TOKEN, "an ntfy token"],
    [NTFY_TOPIC, "an ntfy topic"],
    [ROUTING_KEY, "a PagerDuty routing key"],
    [agent.secret, "an agent key secret"],
    [ADMIN, "the admin token"],
    [env.LIFEBOAT_MASTER_KEY, "the master key"],
  );
  expect(created[0].signing_secret).toMatch(/^whsec_/);
});

/** `data`: an answer with seeded data (the OpenAPI document names the fields, which is fine). */
function expectNoCapability(where: string, text: string, data = true) {
  for (const [secret, what] of secrets) {
    expect(text.includes(secret), `${where} shows ${what}`).toBe(false);
  }
  if (data) expect(/"(slug_)?ping_url"/.test(text), `${where} shows a ping URL`).toBe(false);
}

const reader = (path: string) => call("GET", path, { token: READER });

describe("the read-only token in the API", () => {
  it("no GET route shows a capability (every path of the OpenAPI document)", async () => {
    const doc = await (await fetchWorker(new Request(`${BASE}/api/openapi.json`))).json<any>();
    expectNoCapability("the OpenAPI document", JSON.stringify(doc), false);
    const concrete = (path: string) =>
      path
        .replace("/checks/{id}/restic", "/checks/rt-repo/restic")
        .replace("/checks/{id}", "/checks/rt-db")
        .replace("/channels/{id}", `/channels/${channelUuid}`)
        .replace("/backups/{id}", `/backups/${backupId}`)
        .replace("/maintenance/{id}", `/maintenance/${windowUuid}`);
    let routes = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      // Kuma's push is a ping, not a read; the restic server takes agent keys, never an admin token.
      if (!item.get || path.startsWith("/api/push/") || path.startsWith("/restic/")) continue;
      routes++;
      if (path.startsWith("/api/v")) {
        // healthchecks' API (docs/COMPATIBILITY.md): the read token is its read-only key, which knows a
        // check by unique_key only; endpoints healthchecks keeps from read-only keys answer 401.
        const hcPath = path.replace("{uuid}", db.unique_key).replace("{n}", "1");
        const response = await fetchWorker(new Request(`${BASE}${hcPath}`, { headers: { "X-Api-Key": READER } }));
        const text = await response.text();
        expect([200, 401], `${path}: ${text.slice(0, 300)}`).toContain(response.status);
        expectNoCapability(`GET ${path}`, text);
        continue;
      }
      const response = await reader(`/api/v1${concrete(path)}`);
      const text = await response.text();
      if (path === "/backups/{id}/content") {
        // Reading stored bytes is reading, not a capability (docs/DECISIONS.md): the artifact comes back.
        expect(response.status).toBe(200);
        continue;
      }
      expect(response.status, `${path}: ${text.slice(0, 300)}`).toBe(200);
      expectNoCapability(`GET ${path}`, text);
    }
    expect(routes).toBeGreaterThanOrEqual(15);
    expectNoCapability("GET /metrics", await (await call("GET", "/metrics", { token: READER })).text());
  });

  it("identifies checks by unique_key instead, which works as an id in every check path", async () => {
    const { checks } = await json(reader("/api/v1/checks"));
    const mine = checks.find((c: any) => c.slug === "rt-db");
    expect(mine.unique_key).toMatch(/^[0-9a-f]{40}$/);
    expect(mine).not.toHaveProperty("uuid");
    expect(mine).not.toHaveProperty("ping_url");
    expect(mine.parent).toBe(checks.find((c: any) => c.slug === "rt-host").unique_key);
    const one = await json(reader(`/api/v1/checks/${mine.unique_key}`));
    expect(one).toMatchObject({ slug: "rt-db", unique_key: mine.unique_key });
    expect((await reader(`/api/v1/checks/${mine.unique_key}/flips`)).status).toBe(200);
    // It is stable and the admin sees the same one, next to the uuid and ping URLs.
    const admin = await json(call("GET", "/api/v1/checks/rt-db"));
    expect(admin).toMatchObject({ uuid: db.uuid, unique_key: mine.unique_key, parent: host.uuid });
    expect(admin.ping_url).toContain(db.uuid);
  });

  it("a check inserted without drizzle gets a unique_key too (the trigger)", async () => {
    await env.DB.prepare(
      `INSERT INTO checks (uuid, slug, name, grace_s, period_s, revision, created_at, updated_at)
       VALUES (?, 'rt-raw', 'raw', 60, 60, 'r', 0, 0)`,
    )
      .bind(crypto.randomUUID())
      .run();
    const row = await env.DB.prepare("SELECT unique_key FROM checks WHERE slug = 'rt-raw'").first<any>();
    expect(row.unique_key).toMatch(/^[0-9a-f]{40}$/);
  });

  it("the admin token still sees what it needs: ping URLs and the webhook signing secret", async () => {
    const check = await json(call("GET", `/api/v1/checks/${db.uuid}`));
    expect(check.slug_ping_url).toBe(`https://lifeboat.test/ping/${await pingKeyOf(env)}/rt-db`);
    expect((await json(call("GET", `/api/v1/channels/${channelUuid}`))).signing_secret).toMatch(/^whsec_/);
  });
});

describe("the read-only dashboard", () => {
  it("no page shows a capability", async () => {
    const browser = await Browser.reader();
    const overview = await browser.get("/admin");
    expect(overview.status).toBe(200);
    const { checks } = await json(reader("/api/v1/checks"));
    const pages = [
      "/admin",
      "/admin/channels",
      "/admin/keys",
      ...checks.map((c: any) => `/admin/checks/${c.unique_key}`),
      "/admin/checks/rt-db",
    ];
    for (const path of pages) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expectNoCapability(path, page.html);
    }
    // The overview links each check by its unique_key.
    expect(overview.html).toContain(`href="/admin/checks/${checks.find((c: any) => c.slug === "rt-db").unique_key}"`);
  });

  it("the admin dashboard still shows the ping URLs", async () => {
    const page = await (await Browser.admin()).get(`/admin/checks/${db.uuid}`);
    expect(page.html).toContain(`/ping/${db.uuid}`);
  });
});
