import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sh, startLifeboat, verifyWebhookSignature, type Lifeboat } from "../helpers/e2e";
import type { Recorded } from "../helpers/receiver";
import { writeTempConfig } from "../helpers/temp-config";

/**
 * One channel of each of the seven kinds on a real `wrangler dev`: six post to the local receiver's
 * stand-ins (which check each request the way the real service does), email goes through
 * miniflare's own send_email, which parses the message like Cloudflare and writes it to an .eml file.
 * One check goes down with a log and comes back up; every channel must hear each change exactly once.
 */

const EMAIL_FROM = "lifeboat@lifeboat.test";
const EMAIL_TO = "ops@example.com";
const CHECK_NAME = "e2e channels job";
// Characters Telegram's HTML and Slack's mrkdwn must escape (Telegram's stand-in refuses them raw).
const LOG = "pg_dump: error: connection refused <db@10.0.0.5> & giving up";

// Inbox names, as stand-ins.ts files requests: path segment, bot token, topic, routing key.
const INBOX = {
  webhook: "e2e-webhook",
  slack: "e2e-slack",
  discord: "e2e-discord",
  telegram: `123456:${randomBytes(20).toString("hex")}`,
  ntfy: "e2e-ntfy",
  pagerduty: randomBytes(16).toString("hex"), // 32 characters, as PagerDuty wants
};
type HttpKind = keyof typeof INBOX;
const HTTP_KINDS = Object.keys(INBOX) as HttpKind[];

let lifeboat: Lifeboat<true>;
const channels = {} as Record<HttpKind | "email", { uuid: string; signing_secret?: string }>;
let check: { uuid: string; unique_key: string; slug: string; ping_url: string };
let checkUrl: string;

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-e2e-channels-",
    config: (dir) => writeTempConfig(dir, { append: '[[send_email]]\nname = "EMAIL"' }),
    withReceiver: true,
    testScheduled: true,
    tmpdirInside: true,
    vars: { ALLOW_INSECURE_CHANNELS: "true", EMAIL_FROM },
  });

  const configs: Record<HttpKind | "email", Record<string, unknown>> = {
    webhook: { url: `${lifeboat.receiver.url}/hook/${INBOX.webhook}` },
    slack: { url: `${lifeboat.receiver.url}/slack/${INBOX.slack}` },
    discord: { url: `${lifeboat.receiver.url}/discord/${INBOX.discord}` },
    telegram: { bot_token: INBOX.telegram, chat_id: -100123, api_url: `${lifeboat.receiver.url}/telegram` },
    ntfy: { topic: INBOX.ntfy, server: `${lifeboat.receiver.url}/ntfy` },
    pagerduty: { routing_key: INBOX.pagerduty, events_url: `${lifeboat.receiver.url}/pagerduty/v2/enqueue` },
    email: { to: EMAIL_TO },
  };
  for (const [kind, config] of Object.entries(configs)) {
    const created = await lifeboat.api("POST", "/api/v1/channels", { kind, name: `e2e ${kind}`, config });
    if (created.status !== 201) throw await lifeboat.serverError(`create ${kind} channel`, created);
    channels[kind as keyof typeof configs] = created.body;
  }

  const made = await lifeboat.api("POST", "/api/v1/checks", { name: CHECK_NAME, period_s: 3600, grace_s: 300 });
  if (made.status !== 201) throw await lifeboat.serverError("create check", made);
  check = made.body;
  // Alerts link the check's dashboard page by its unique_key (issue 14.11).
  checkUrl = `${lifeboat.dev.url}/admin/checks/${check.unique_key}`;
  // The first ping only brings the check up: no channel hears of it.
  const first = await sh(ONE_LINER, { URL: check.ping_url });
  expect(first.code, first.stderr).toBe(0);
});

afterAll(() => lifeboat?.stop());

// ---------------------------------------------------------------------------------------------

// The healthchecks.io docs' one-liners; only URL (and the log) differ.
const ONE_LINER = 'curl -fsS -m 10 --retry 5 -o /dev/null "$URL"';
const ONE_LINER_FAIL_LOG = 'curl -fsS -m 10 --retry 5 --data-raw "$LOG" "$URL/fail"';

// Not URL-encoded: the receiver does not decode /_requests/<inbox>, and a bot token's ":" is fine in a path.
const inbox = async (name: string): Promise<Recorded[]> =>
  (await fetch(`${lifeboat.receiver.url}/_requests/${name}`)).json() as Promise<Recorded[]>;

/** What each HTTP channel's receiver has so far, parsed, with what the stand-in answered. */
async function received(kind: HttpKind) {
  return (await inbox(INBOX[kind])).map((r) => ({ ...r, json: JSON.parse(r.body) }));
}

type Email = { path: string; headers: Record<string, string>; text: string };

/**
 * The emails miniflare's send_email accepted, from wrangler's output: it prints "send_email binding
 * called with the following message:" and then "Email: <path to .eml>" for each one.
 */
function sentEmails(): Email[] {
  const paths = [
    ...lifeboat.dev.logs().matchAll(/send_email binding called with the following message:\s*Email: (\S+\.eml)/g),
  ];
  return paths.map(([, path]) => parseEml(path!));
}

/** Headers (unfolded, lower-case names) and the base64 text body of a plain-text .eml. */
function parseEml(path: string): Email {
  const raw = readFileSync(path, "utf8");
  const split = raw.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]/g, " ")
    .split("\r\n")) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  expect(headers["content-transfer-encoding"]).toBe("base64");
  const text = Buffer.from(raw.slice(split + 4).replace(/\s+/g, ""), "base64").toString("utf8");
  return { path, headers, text };
}

// Sent just now, so the timestamp must be fresh too: five minutes is the window docs/WEBHOOKS.md gives receivers.
const expectSigned = (request: Recorded, secret: string) => verifyWebhookSignature(request, secret, { maxAgeS: 300 });

// Seven deliveries, one of them an email miniflare parses and writes to disk: longer than one webhook.
const ALERT_TIMEOUT_MS = 15_000;

const sweep = async (at: number) => {
  const response = await fetch(`${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${at}`);
  expect([response.status, await response.text()]).toEqual([200, "ok"]);
};

/** One alert of `event` per channel: waits for all seven, then checks no channel got a second. */
async function alertsFor(event: "down" | "up") {
  const word = event.toUpperCase();
  // The stand-ins record what they refused too; every alert must have been accepted (2xx).
  const isAlert: Record<HttpKind, (r: Recorded & { json: any }) => boolean> = {
    webhook: (r) => r.json.event === `check.${event}`,
    slack: (r) => r.json.text.includes(`${word}: ${CHECK_NAME}`),
    discord: (r) => r.json.content === `${word}: ${CHECK_NAME}`,
    telegram: (r) => r.json.text.includes(`<b>${word}: ${CHECK_NAME}</b>`),
    ntfy: (r) => r.json.title === `${word}: ${CHECK_NAME}`,
    pagerduty: (r) => r.json.event_action === (event === "down" ? "trigger" : "resolve"),
  };
  const subject = `[Lifeboat] ${word}: ${CHECK_NAME}`;
  const collect = async () => {
    const http = {} as Record<HttpKind, (Recorded & { json: any })[]>;
    for (const kind of HTTP_KINDS) http[kind] = (await received(kind)).filter(isAlert[kind]);
    return { http, email: sentEmails().filter((e) => e.headers.subject === subject) };
  };
  let missing: string[] = [];
  await lifeboat.eventually(
    () => `a ${event} alert on all seven channels (missing: ${missing.join(", ")})`,
    async () => {
      const { http, email } = await collect();
      missing = [...HTTP_KINDS.filter((kind) => http[kind].length === 0), ...(email.length ? [] : ["email"])];
      return missing.length === 0;
    },
    ALERT_TIMEOUT_MS,
  );
  // Every delivery row of this change is settled as sent, on its first attempt...
  let rows: any[] = [];
  const log = await lifeboat.eventually(
    () => `seven "${event}" deliveries marked sent (now: ${JSON.stringify(rows.map((d) => [d.status, d.last_error]))})`,
    async () => {
      const all = (await lifeboat.api("GET", `/api/v1/checks/${check.uuid}/deliveries`)).body.deliveries as any[];
      rows = all.filter((d) => d.kind === event);
      return rows.length === 7 && rows.every((d) => d.status === "sent") && rows;
    },
    ALERT_TIMEOUT_MS,
  );
  expect(log.map((d) => d.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  // ...and a sweep afterwards (which would retry anything unsettled) sends nothing again.
  await sweep(Date.now());
  await new Promise((r) => setTimeout(r, 300));
  const { http, email } = await collect();
  for (const kind of HTTP_KINDS) {
    expect(http[kind].length, `${kind} ${event} alerts`).toBe(1);
    expect(http[kind][0]!.status, `${kind} answer`).toBeGreaterThanOrEqual(200);
    expect(http[kind][0]!.status, `${kind} answer`).toBeLessThan(300);
  }
  expect(email.length, `email ${event} alerts`).toBe(1);
  return {
    http: Object.fromEntries(HTTP_KINDS.map((k) => [k, http[k][0]!])) as Record<HttpKind, any>,
    email: email[0]!,
  };
}

// ---------------------------------------------------------------------------------------------

describe("seven channel kinds on wrangler dev", () => {
  it("keeps credentials sealed: the API shows targets, not URLs, tokens or keys", async () => {
    const { body } = await lifeboat.api("GET", "/api/v1/channels");
    const byKind = Object.fromEntries((body.channels as any[]).map((c) => [c.kind, c]));
    expect(Object.keys(byKind).sort()).toEqual([
      "discord",
      "email",
      "ntfy",
      "pagerduty",
      "slack",
      "telegram",
      "webhook",
    ]);
    expect(byKind.slack.config).toEqual({});
    expect(byKind.telegram.config).toEqual({ chat_id: -100123, api_url: `${lifeboat.receiver.url}/telegram` });
    expect(byKind.pagerduty.target).toBe(`PagerDuty integration …${INBOX.pagerduty.slice(-4)}`);
    expect(JSON.stringify(body)).not.toContain(INBOX.telegram);
    expect(JSON.stringify(body)).not.toContain(INBOX.pagerduty);
    expect(channels.webhook.signing_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
  });

  it("a failing ping with a log alerts every channel once, each in its own format", async () => {
    const failed = await sh(ONE_LINER_FAIL_LOG, { URL: check.ping_url, LOG });
    expect(failed, failed.stderr).toMatchObject({ code: 0, stdout: "OK", stderr: "" });
    expect((await lifeboat.api("GET", `/api/v1/checks/${check.uuid}`)).body).toMatchObject({
      status: "down",
      status_reason: "fail",
    });

    const { http, email } = await alertsFor("down");

    expectSigned(http.webhook, channels.webhook.signing_secret!);
    expect(http.webhook.headers["x-lifeboat-event"]).toBe("check.down");
    expect(http.webhook.json).toMatchObject({
      event: "check.down",
      check: {
        uuid: check.uuid,
        name: CHECK_NAME,
        url: checkUrl,
        api_url: `${lifeboat.dev.url}/api/v1/checks/${check.uuid}`,
      },
      status: "down",
      previous_status: "up",
      reason: "fail",
      log_excerpt: LOG,
    });

    // Slack: Block Kit, the log in a verbatim code block with &, <, > escaped.
    const slack = http.slack.json;
    expect(slack).toMatchObject({ mrkdwn: false, text: `🔴 DOWN: ${CHECK_NAME}` });
    expect(slack.blocks[0]).toMatchObject({
      type: "header",
      text: { type: "plain_text", text: `🔴 DOWN: ${CHECK_NAME}` },
    });
    expect(JSON.stringify(slack.blocks)).toContain("&lt;db@10.0.0.5&gt; &amp; giving up");
    expect(JSON.stringify(slack.blocks)).not.toContain("<db@");
    expect(JSON.stringify(slack.blocks)).toContain(`<${checkUrl}|Open the check>`);

    // Discord: one red embed linking the check, the log in a code block, no mentions possible.
    expect(http.discord.status).toBe(204);
    expect(http.discord.json).toMatchObject({ allowed_mentions: { parse: [] } });
    expect(http.discord.json.embeds).toHaveLength(1);
    expect(http.discord.json.embeds[0]).toMatchObject({
      title: `🔴 DOWN: ${CHECK_NAME}`,
      url: checkUrl,
      color: 0xe74c3c,
    });
    expect(http.discord.json.embeds[0].description).toBe(`\`\`\`\n${LOG}\n\`\`\``);

    // Telegram: sendMessage to the bot's path, HTML parse mode, the log HTML-escaped in <pre>.
    expect(http.telegram.path).toBe(`/telegram/bot${INBOX.telegram}/sendMessage`);
    expect(http.telegram.json).toMatchObject({ chat_id: -100123, parse_mode: "HTML", disable_web_page_preview: true });
    expect(http.telegram.json.text).toContain(
      "<pre>pg_dump: error: connection refused &lt;db@10.0.0.5&gt; &amp; giving up</pre>",
    );
    expect(http.telegram.json.text).toContain(`<a href="${checkUrl}">Open the check</a>`);

    // ntfy: JSON publishing to the server root, loud for a problem.
    expect(http.ntfy.path).toBe("/ntfy/");
    expect(http.ntfy.json).toMatchObject({ topic: INBOX.ntfy, priority: 4, click: checkUrl });
    expect(http.ntfy.json.tags).toContain("rotating_light");
    expect(http.ntfy.json.message).toContain(`Last output:\n${LOG}`);

    // PagerDuty: a trigger keyed by the check, so the recovery can resolve the same incident.
    expect(http.pagerduty.status).toBe(202);
    expect(http.pagerduty.json).toMatchObject({
      routing_key: INBOX.pagerduty,
      event_action: "trigger",
      dedup_key: `lifeboat/${check.uuid}`,
      payload: { source: "lifeboat", severity: "critical", component: check.slug, class: "fail" },
    });
    expect(http.pagerduty.json.payload.summary).toMatch(new RegExp(`^DOWN: ${CHECK_NAME}: `));
    expect(http.pagerduty.json.payload.custom_details.log_excerpt).toBe(LOG);

    // Email: what miniflare's send_email accepted, as it would go on the wire.
    expect(email.headers).toMatchObject({ from: EMAIL_FROM, to: EMAIL_TO, "auto-submitted": "auto-generated" });
    expect(email.text).toContain(`DOWN: ${CHECK_NAME}`);
    expect(email.text).toContain(`Last output:\r\n\r\n${LOG}`);
    expect(email.text).toContain(`Open the check: ${checkUrl}`);
    const emailLog = (await lifeboat.api("GET", `/api/v1/channels/${channels.email.uuid}/deliveries`)).body.deliveries;
    expect(emailLog).toHaveLength(1);
    expect(emailLog[0]).toMatchObject({ kind: "down", status: "sent", attempts: 1, last_error: null });
  });

  it("a success ping brings it back up: each channel hears it once, PagerDuty resolves the incident", async () => {
    const ok = await sh(ONE_LINER, { URL: check.ping_url });
    expect(ok, ok.stderr).toMatchObject({ code: 0, stderr: "" });
    expect((await lifeboat.api("GET", `/api/v1/checks/${check.uuid}`)).body.status).toBe("up");

    const { http, email } = await alertsFor("up");
    expectSigned(http.webhook, channels.webhook.signing_secret!);
    expect(http.webhook.json).toMatchObject({ event: "check.up", status: "up", previous_status: "down" });
    expect(http.pagerduty.json).toEqual({
      routing_key: INBOX.pagerduty,
      dedup_key: `lifeboat/${check.uuid}`,
      event_action: "resolve",
      client: "Lifeboat",
      client_url: checkUrl,
    });
    expect(http.discord.json.embeds[0].color).toBe(0x2ecc71);
    expect(http.ntfy.json.priority).toBe(3); // the all-clear is never louder than the problem
    expect(http.telegram.json.text).toContain(`🟢 <b>UP: ${CHECK_NAME}</b>`);
    expect(email.headers.subject).toBe(`[Lifeboat] UP: ${CHECK_NAME}`);
    const emailLog = (await lifeboat.api("GET", `/api/v1/channels/${channels.email.uuid}/deliveries`)).body.deliveries;
    expect(emailLog.map((d: any) => [d.kind, d.status])).toEqual([
      ["up", "sent"],
      ["down", "sent"],
    ]);
  });

  it("POST /channels/{id}/test sends now and answers with what the receiver said", async () => {
    const test = () => lifeboat.api("POST", `/api/v1/channels/${channels.slack.uuid}/test`);
    const control = (how: object) =>
      fetch(`${lifeboat.receiver.url}/_control/${INBOX.slack}`, { method: "PUT", body: JSON.stringify(how) });

    await control({ status: 503 });
    const refused = await test();
    expect(refused).toMatchObject({
      status: 200,
      body: { ok: false, status: 503, error: "receiver answered HTTP 503: rollup_error" },
    });
    // 503 is passing trouble: the channel is not marked broken.
    expect((await lifeboat.api("GET", `/api/v1/channels/${channels.slack.uuid}`)).body).toMatchObject({ status: "ok" });

    await control({});
    const sent = await test();
    expect(sent).toMatchObject({ status: 200, body: { ok: true, status: 200, error: null } });
    const last = (await received("slack")).at(-1)!;
    expect(last.status).toBe(200);
    expect(last.json.text).toBe("🧪 TEST: Lifeboat test alert");
  });
});
