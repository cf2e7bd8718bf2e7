import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import type { Alert, Delivery, EmailDelivery, HttpDelivery } from "../../worker/domain/alerts/alert";
import { channelKinds, type ChannelKindName } from "../../worker/domain/alerts";
import { rawEmail } from "../../worker/domain/alerts/mime";
import { durationWords, keepHead, keepTail, relativeTime, utf8Length } from "../../worker/domain/alerts/text";

// The renderers are pure: alert + config in, request out. Each rendered request is also posted to a
// stand-in that checks it the way the real service would (test/helpers/stand-ins.ts).

const receiver = inject("receiverUrl");
const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 23, 6, 57, 30);
const SINCE = NOW - (3 * 60 + 12) * MIN;
const SECRET = "whsec_test_secret";
const ctx = { signingSecret: SECRET, now: NOW };
const CHECK_URL = "https://lifeboat.test/admin/checks/4d6f1c0e9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e";
const API_URL = "https://lifeboat.test/api/v1/checks/0b5e6f3a-1111-4222-8333-944445555666";

const HOSTILE =
  "<!channel> <@U123> @everyone *bold* _x_ ```code``` <script>alert(1)</script> &amp; [link](http://evil) \u0000";
const HOSTILE_LOG = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${HOSTILE}`).join("\n");

function alertOf(overrides: Partial<Alert> = {}): Alert {
  return {
    kind: "down",
    deliveryId: "42:3",
    check: {
      uuid: "0b5e6f3a-1111-4222-8333-944445555666",
      name: "Nightly DB backup",
      slug: "nightly-db",
      tags: ["db"],
      status: "down",
      url: CHECK_URL,
      apiUrl: API_URL,
    },
    previousStatus: "up",
    reason: "timeout",
    reasonText: "no ping before the deadline",
    since: SINCE,
    lastPingAt: SINCE - 24 * 60 * MIN,
    logExcerpt: "dumping…\npg_dump: error: connection refused",
    children: [],
    flipsLastHour: null,
    changesSinceFlapping: null,
    reminderNumber: null,
    ...overrides,
  };
}

const hostileAlert = (overrides: Partial<Alert> = {}) =>
  alertOf({
    check: { ...alertOf().check, name: HOSTILE },
    reasonText: HOSTILE,
    logExcerpt: HOSTILE_LOG,
    children: Array.from({ length: 15 }, (_, i) => ({ name: `${HOSTILE} ${i}`, url: `${CHECK_URL}-${i}` })),
    ...overrides,
  });

let inboxCount = 0;
const inboxName = (prefix: string) => `${prefix}${++inboxCount}${crypto.randomUUID().replace(/-/g, "")}`;

/** Configs that point each kind at its stand-in, each with an inbox of its own. */
function standInConfig(kind: ChannelKindName): { config: unknown; inbox: string } {
  switch (kind) {
    case "webhook": {
      const inbox = inboxName("webhook");
      return { config: { url: `${receiver}/hook/${inbox}` }, inbox };
    }
    case "slack":
    case "discord": {
      const inbox = inboxName(kind);
      return { config: { url: `${receiver}/${kind}/${inbox}` }, inbox };
    }
    case "telegram": {
      const inbox = `123456:${inboxName("tg").slice(0, 35)}`;
      return { config: { bot_token: inbox, chat_id: -100123, api_url: `${receiver}/telegram` }, inbox };
    }
    case "ntfy": {
      const inbox = inboxName("ntfy").slice(0, 40);
      return { config: { topic: inbox, server: `${receiver}/ntfy` }, inbox };
    }
    case "pagerduty": {
      const inbox = inboxName("pd").slice(0, 32);
      return { config: { routing_key: inbox, events_url: `${receiver}/pagerduty/v2/enqueue` }, inbox };
    }
    case "email":
      return { config: { to: "ops@example.com" }, inbox: "" };
  }
}

async function render(kind: ChannelKindName, alert: Alert, config?: unknown): Promise<Delivery> {
  const channel = channelKinds[kind];
  return channel.render(alert, channel.config.parse(config ?? standInConfig(kind).config) as never, ctx);
}

async function renderHttp(kind: ChannelKindName, alert: Alert, config?: unknown) {
  const delivery = await render(kind, alert, config);
  if (delivery.transport !== "http") throw new Error("expected an HTTP delivery");
  return { delivery, payload: JSON.parse(delivery.body) };
}

async function post(delivery: HttpDelivery) {
  const response = await fetch(delivery.url, { method: "POST", headers: delivery.headers, body: delivery.body });
  return { status: response.status, text: await response.text() };
}

const recorded = async (inbox: string): Promise<any[]> => (await fetch(`${receiver}/_requests/${inbox}`)).json();

const KINDS = Object.keys(channelKinds) as ChannelKindName[];
const HTTP_KINDS = KINDS.filter((kind) => kind !== "email");

describe("shared wording", () => {
  it("says how long ago in hours and minutes", () => {
    expect(relativeTime(SINCE, NOW)).toBe("3 h 12 min ago");
    expect(relativeTime(NOW - 20_000, NOW)).toBe("under a minute ago");
    expect(relativeTime(NOW + 5_000, NOW)).toBe("under a minute ago");
    expect(durationWords(45 * MIN)).toBe("45 min");
    expect(durationWords(2 * 60 * MIN)).toBe("2 h");
    expect(durationWords((52 * 60 + 5) * MIN)).toBe("2 d 4 h");
  });

  it("keeps the tail of a log, marks the cut, and never splits a surrogate pair", () => {
    expect(keepTail("abcdef", 10)).toBe("abcdef");
    expect(keepTail("abcdef", 4)).toBe("…def");
    const emoji = "😀".repeat(10);
    for (let max = 2; max < 20; max++) {
      const tail = keepTail(emoji, max);
      expect(tail.length).toBeLessThanOrEqual(max);
      expect(tail.startsWith("…")).toBe(true);
      expect(tail.slice(1)).toMatch(/^(😀)*$/u);
    }
    expect(keepHead(emoji, 4)).toBe("😀…");
    // Measured in bytes, as ntfy counts.
    const bytes = keepTail("é".repeat(100), 21, utf8Length);
    expect(utf8Length(bytes)).toBeLessThanOrEqual(21);
  });

  it("cuts any text, however it is measured, to a suffix that fits and keeps every pair whole", () => {
    const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const escapedLength = (s: string) => s.replace(/[&<>"]/g, "&amp;").length;
    const piece = fc.constantFrom("a", "&", "<", "\n", "é", "😀", "\u{1F1EB}\u{1F1F7}", " ");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 300 }), fc.integer({ min: 1, max: 400 }), (pieces, max) => {
        const text = pieces.join("");
        for (const measure of [(s: string) => s.length, utf8Length, escapedLength]) {
          const tail = keepTail(text, max, measure);
          expect(measure(tail)).toBeLessThanOrEqual(max);
          expect(tail).not.toMatch(LONE_SURROGATE);
          if (tail !== text && tail !== "") expect(text.endsWith(tail.replace(/^…\n?/, ""))).toBe(true);
          const head = keepHead(text, max, measure);
          expect(measure(head)).toBeLessThanOrEqual(max);
          expect(head).not.toMatch(LONE_SURROGATE);
          if (head !== text && head !== "") expect(text.startsWith(head.slice(0, -1))).toBe(true);
        }
      }),
    );
  });

  it("starts a cut log at a whole line when one begins soon after the cut", () => {
    expect(keepTail("first line\nsecond line\nthird", 20)).toBe("…\nsecond line\nthird");
  });
});

describe("every kind says the same things", () => {
  const alerts: [string, Alert, string[]][] = [
    [
      "down",
      alertOf(),
      [
        "Nightly DB backup",
        "DOWN",
        "2026-11-23T03:45:30Z",
        "3 h 12 min ago",
        "no ping before the deadline",
        "2026-11-22T03:45:30Z",
        "connection refused",
      ],
    ],
    ["never pinged", alertOf({ lastPingAt: null }), ["never"]],
    [
      "flapping",
      alertOf({ kind: "flapping", flipsLastHour: 7 }),
      ["FLAPPING", "changed state 7 times in the last hour"],
    ],
    ["reminder", alertOf({ kind: "reminder", reminderNumber: 2 }), ["reminder 2", "#2, down for 3 h 12 min"]],
    [
      "a drill that failed",
      alertOf({ kind: "drill", reason: "drill_failed", reasonText: "restore drill of backup bk_1 failed: no rows" }),
      ["RESTORE DRILL FAILED", "no rows"],
    ],
    [
      "a drill that could not start, in its own words",
      alertOf({
        kind: "drill",
        reason: "drill_not_started",
        reasonText: "restore drill of backup bk_1 could not start: cannot create a scratch database",
      }),
      ["RESTORE DRILL COULD NOT START", "cannot create a scratch database"],
    ],
    [
      "children",
      alertOf({ children: Array.from({ length: 13 }, (_, i) => ({ name: `child ${i}`, url: `${CHECK_URL}${i}` })) }),
      ["child 0", "child 9", "and 3 more"],
    ],
  ];
  const readable: ChannelKindName[] = ["slack", "discord", "telegram", "ntfy", "email", "pagerduty"];
  for (const [name, alert, phrases] of alerts) {
    it(`${name}: ${phrases.join(", ")}`, async () => {
      for (const kind of readable) {
        const delivery = await render(kind, alert);
        const shown = delivery.transport === "email" ? delivery.text : delivery.body;
        // Discord's backslash escapes disappear when it renders the text; compare without them.
        const all = shown.replace(/\\\\/g, "");
        for (const phrase of phrases) expect(all, `${kind} says "${phrase}"`).toContain(phrase);
        expect(all, `${kind} links the check`).toContain(CHECK_URL);
      }
    });
  }
});

describe("webhook", () => {
  it("a drill that could not start has its own event, not check.drill_failed", async () => {
    const alert = alertOf({ kind: "drill", reason: "drill_not_started", reasonText: "could not start" });
    const { delivery, payload } = await renderHttp("webhook", alert, { url: "https://example.com/hook" });
    expect(delivery.headers["X-Lifeboat-Event"]).toBe("check.drill_not_started");
    expect(payload.event).toBe("check.drill_not_started");
    const failed = await renderHttp("webhook", alertOf({ kind: "drill", reason: "drill_failed" }), {
      url: "https://example.com/hook",
    });
    expect(failed.payload.event).toBe("check.drill_failed");
  });

  it("keeps the documented body and headers, and the signature verifies", async () => {
    const { delivery, payload } = await renderHttp("webhook", alertOf(), { url: "https://example.com/hook" });
    expect(delivery.url).toBe("https://example.com/hook");
    expect(delivery.headers).toMatchObject({
      "Content-Type": "application/json",
      "X-Lifeboat-Event": "check.down",
      "X-Lifeboat-Delivery": "42:3",
      "X-Lifeboat-Webhook-Timestamp": String(NOW / 1000),
    });
    expect(payload).toEqual({
      event: "check.down",
      delivery_id: "42:3",
      check: {
        uuid: alertOf().check.uuid,
        name: "Nightly DB backup",
        slug: "nightly-db",
        tags: ["db"],
        url: CHECK_URL,
        api_url: API_URL,
      },
      status: "down",
      previous_status: "up",
      reason: "timeout",
      detail: "no ping before the deadline",
      since: new Date(SINCE).toISOString(),
      last_ping_at: new Date(SINCE - 24 * 60 * MIN).toISOString(),
      kind: "down",
      log_excerpt: "dumping…\npg_dump: error: connection refused",
      children: [],
      flips_last_hour: null,
      flapping_ended: false,
      changes_since_flapping: null,
      reminder_number: null,
    });
    // Verified the way docs/WEBHOOKS.md tells receivers to, independently of the renderer's code.
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${NOW / 1000}.${delivery.body}`));
    const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(delivery.headers["X-Lifeboat-Webhook-Signature"]).toBe(`sha256=${hex}`);
  });

  it("names each kind's event", async () => {
    const events = await Promise.all(
      (["down", "up", "reminder", "flapping", "test"] as const).map(
        async (kind) => (await renderHttp("webhook", alertOf({ kind }))).payload.event,
      ),
    );
    expect(events).toEqual(["check.down", "check.up", "check.reminder", "check.flapping", "test"]);
  });
});

/** Every string in a Slack payload's blocks, with the type of text object that carries it. */
function slackTexts(payload: any): { type: string; text: string }[] {
  return payload.blocks.flatMap((block: any) =>
    [block.text, ...(block.fields ?? []), ...(block.elements ?? [])].filter(Boolean),
  );
}

describe("slack", () => {
  it("sends blocks with a fallback text, and the stand-in accepts them", async () => {
    const { config, inbox } = standInConfig("slack");
    const { delivery, payload } = await renderHttp("slack", alertOf(), config);
    expect(delivery.headers["Content-Type"]).toBe("application/json");
    expect(payload.text).toBe("🔴 DOWN: Nightly DB backup");
    expect(payload.mrkdwn).toBe(false);
    expect(payload.blocks.map((b: any) => b.type)).toEqual(["header", "section", "section", "context"]);
    expect(payload.blocks[2].text.text).toBe("*Last output*\n```\ndumping…\npg_dump: error: connection refused\n```");
    expect(payload.blocks[3].elements[0].text).toBe(`<${CHECK_URL}|Open the check> · Lifeboat`);
    expect(await post(delivery)).toEqual({ status: 200, text: "ok" });
    expect((await recorded(inbox)).map((r) => r.status)).toEqual([200]);
  });

  it("hostile text cannot mention, link, format or break the code block", async () => {
    const { config } = standInConfig("slack");
    const { delivery, payload } = await renderHttp("slack", hostileAlert(), config);
    const texts = slackTexts(payload);
    const ourLink = `<${CHECK_URL}|Open the check>`;
    for (const { type, text } of [...texts, { type: "plain_text", text: payload.text }]) {
      const withoutOurLink = text.replace(ourLink, "");
      expect(withoutOurLink).not.toMatch(/[<>]/);
      expect(withoutOurLink).not.toMatch(/&(?!amp;|lt;|gt;)/);
      // Untrusted text sits only where Slack does not format: plain_text, or inside the code block.
      if (type === "mrkdwn" && !text.startsWith("*Last output*")) expect(withoutOurLink).not.toContain("channel");
    }
    const log = texts.find((t) => t.text.startsWith("*Last output*"))!.text;
    expect(log.match(/```/g)).toHaveLength(2);
    expect(log.endsWith("\n```")).toBe(true);
    expect(log).toContain(`line 9999`);
    expect(log.length).toBeLessThanOrEqual(3000);
    expect(payload.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    for (const { text } of texts) expect(text.length).toBeLessThanOrEqual(3000);
    const outsideCode = texts.filter((t) => t !== texts.find((x) => x.text === log)).map((t) => t.text);
    expect(outsideCode.join("\n")).not.toContain("http://evil");
    expect((await post(delivery)).status).toBe(200);
  });

  it("the stand-in refuses what Slack refuses", async () => {
    const { config } = standInConfig("slack");
    const { delivery, payload } = await renderHttp("slack", alertOf(), config);
    payload.blocks[0].text.text = "x".repeat(151);
    expect(await post({ ...delivery, body: JSON.stringify(payload) })).toEqual({ status: 400, text: "invalid_blocks" });
    expect(await post({ ...delivery, body: "{}" })).toEqual({ status: 400, text: "no_text" });
  });
});

/** True when some markdown character in `text` is not escaped with a backslash. */
function hasUnescapedMarkdown(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i += 1;
    else if ("*_~`|>#-[]()<:".includes(text[i]!)) return true;
  }
  return false;
}

describe("discord", () => {
  it("sends one embed without mentions, and the stand-in accepts it", async () => {
    const { config, inbox } = standInConfig("discord");
    const { delivery, payload } = await renderHttp(
      "discord",
      alertOf({ kind: "up", check: { ...alertOf().check, status: "up" } }),
      config,
    );
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const [embed] = payload.embeds;
    expect(embed).toMatchObject({ title: "🟢 UP: Nightly DB backup", url: CHECK_URL, color: 0x2ecc71 });
    expect(embed.timestamp).toBe("2026-11-23T03:45:30Z");
    expect(embed.fields.map((f: any) => f.name)).toEqual(["State", "Since", "Reason", "Last ping"]);
    expect(embed.description).toBe("```\ndumping…\npg_dump: error: connection refused\n```");
    expect(await post(delivery)).toEqual({ status: 204, text: "" });
    expect((await recorded(inbox)).map((r) => r.status)).toEqual([204]);
  });

  it("hostile text is escaped, mentions are broken, the code block holds, limits hold", async () => {
    const { config } = standInConfig("discord");
    const { delivery, payload } = await renderHttp("discord", hostileAlert(), config);
    const [embed] = payload.embeds;
    const name = embed.title.replace(/^🔴 DOWN: /, "");
    for (const text of [name, payload.content.replace(/^DOWN: /, ""), ...embed.fields.map((f: any) => f.value)]) {
      expect(hasUnescapedMarkdown(text), text).toBe(false);
      expect(text).not.toMatch(/@(everyone|here)/);
    }
    expect(embed.description.startsWith("```\n")).toBe(true);
    expect(embed.description.endsWith("\n```")).toBe(true);
    expect(embed.description.match(/```/g)).toHaveLength(2);
    expect(embed.description).toContain("line 9999");
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    for (const field of embed.fields) expect(field.value.length).toBeLessThanOrEqual(1024);
    const total =
      embed.title.length +
      embed.description.length +
      embed.footer.text.length +
      embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect((await post(delivery)).status).toBe(204);
  });

  it("the stand-in refuses an embed over Discord's limits", async () => {
    const { config } = standInConfig("discord");
    const { delivery, payload } = await renderHttp("discord", alertOf(), config);
    payload.embeds[0].description = "x".repeat(4097);
    const answer = await post({ ...delivery, body: JSON.stringify(payload) });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 50035, message: "Invalid Form Body" });
  });
});

describe("telegram", () => {
  it("calls sendMessage with HTML, and the stand-in accepts it", async () => {
    const { config, inbox } = standInConfig("telegram");
    const { delivery, payload } = await renderHttp("telegram", alertOf(), config);
    expect(delivery.url).toBe(`${receiver}/telegram/bot${inbox}/sendMessage`);
    expect(payload).toMatchObject({ chat_id: -100123, parse_mode: "HTML", disable_web_page_preview: true });
    expect(payload.text).toContain("🔴 <b>DOWN: Nightly DB backup</b>");
    expect(payload.text).toContain(`<a href="${CHECK_URL}">Open the check</a>`);
    const answer = await post(delivery);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ ok: true, result: { message_id: expect.any(Number) } });
    expect(await recorded(inbox)).toHaveLength(1);
  });

  it("defaults to api.telegram.org", async () => {
    const config = { bot_token: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", chat_id: "@lifeboat_alerts" };
    const { delivery } = await renderHttp("telegram", alertOf(), config);
    expect(delivery.url).toBe("https://api.telegram.org/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/sendMessage");
  });

  it("hostile text produces no tag, link or entity of its own and fits in 4096 characters", async () => {
    const { config } = standInConfig("telegram");
    const { delivery, payload } = await renderHttp("telegram", hostileAlert(), config);
    expect(payload.text.length).toBeLessThanOrEqual(4096);
    const answer = await post(delivery);
    expect(answer.status, answer.text).toBe(200);
    const { text, entities } = JSON.parse(answer.text).result;
    // Telegram's own reading of the message: only our bold labels, the log block and our one link.
    expect(new Set(entities.map((e: any) => e.type))).toEqual(new Set(["bold", "pre", "text_link"]));
    expect(entities.filter((e: any) => e.type === "text_link")).toEqual([expect.objectContaining({ url: CHECK_URL })]);
    expect(entities.filter((e: any) => e.type === "pre")).toHaveLength(1);
    expect(text).toContain("<script>alert(1)</script> &amp; [link]");
    expect(text).toContain("line 9999");
  });

  it("the stand-in refuses markup Telegram cannot parse", async () => {
    const { config } = standInConfig("telegram");
    const { delivery, payload } = await renderHttp("telegram", alertOf(), config);
    for (const text of ["<b>open", "<script>x</script>", "a & b", "<b><i>x</b></i>"]) {
      const answer = await post({ ...delivery, body: JSON.stringify({ ...payload, text }) });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text).description).toMatch(/^Bad Request: can't parse entities/);
    }
    const noChat = await post({ ...delivery, body: JSON.stringify({ ...payload, chat_id: undefined }) });
    expect(JSON.parse(noChat.text)).toMatchObject({ ok: false, description: "Bad Request: chat_id is empty" });
  });
});

describe("ntfy", () => {
  it("publishes JSON to the server root, and the stand-in accepts it", async () => {
    const { config, inbox } = standInConfig("ntfy");
    const { delivery, payload } = await renderHttp("ntfy", alertOf(), {
      ...(config as object),
      token: "tk_abcdefghijklmnopqrstuvwxyz012",
      priority: 5,
    });
    expect(delivery.url).toBe(`${receiver}/ntfy/`);
    expect(delivery.headers.Authorization).toBe("Bearer tk_abcdefghijklmnopqrstuvwxyz012");
    expect(payload).toMatchObject({ topic: inbox, title: "DOWN: Nightly DB backup", priority: 5, click: CHECK_URL });
    expect(payload.tags).toContain("rotating_light");
    const answer = await post(delivery);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ event: "message", topic: inbox });
    expect(await recorded(inbox)).toHaveLength(1);
  });

  it("an up alert is never louder than the channel's problems", async () => {
    const up = alertOf({ kind: "up" });
    expect((await renderHttp("ntfy", up, { topic: "t", priority: 2 })).payload.priority).toBe(2);
    expect((await renderHttp("ntfy", up, { topic: "t", priority: 5 })).payload.priority).toBe(3);
    expect((await renderHttp("ntfy", up, { topic: "t" })).delivery.url).toBe("https://ntfy.sh/");
  });

  it("hostile text stays within 4096 bytes and keeps the log's tail", async () => {
    const { config } = standInConfig("ntfy");
    const { delivery, payload } = await renderHttp("ntfy", hostileAlert(), config);
    expect(utf8Length(payload.message)).toBeLessThanOrEqual(4096);
    expect(payload.message).toContain("line 9999");
    expect(payload.message).not.toContain("\u0000");
    expect((await post(delivery)).status).toBe(200);
  });
});

describe("pagerduty", () => {
  it("triggers and resolves with the same dedup_key, and the stand-in accepts both", async () => {
    const { config, inbox } = standInConfig("pagerduty");
    const down = await renderHttp("pagerduty", alertOf(), config);
    const up = await renderHttp("pagerduty", alertOf({ kind: "up" }), config);
    const dedupKey = `lifeboat/${alertOf().check.uuid}`;
    expect(down.payload).toMatchObject({
      routing_key: inbox,
      event_action: "trigger",
      dedup_key: dedupKey,
      payload: { source: "lifeboat", severity: "critical", timestamp: new Date(SINCE).toISOString() },
      links: [{ href: CHECK_URL, text: "Open the check in Lifeboat" }],
    });
    expect(down.payload.payload.summary).toBe("DOWN: Nightly DB backup: no ping before the deadline");
    expect(down.payload.payload.custom_details).toMatchObject({
      reason: "timeout",
      reason_text: "no ping before the deadline",
      last_ping_at: "2026-11-22T03:45:30Z",
      log_excerpt: "dumping…\npg_dump: error: connection refused",
    });
    expect(up.payload).toMatchObject({ routing_key: inbox, event_action: "resolve", dedup_key: dedupKey });
    for (const { delivery } of [down, up]) {
      const answer = await post(delivery);
      expect(answer.status).toBe(202);
      expect(JSON.parse(answer.text)).toEqual({ status: "success", message: "Event processed", dedup_key: dedupKey });
    }
    expect((await recorded(inbox)).map((r) => JSON.parse(r.body).event_action)).toEqual(["trigger", "resolve"]);
  });

  it("a test has its own dedup_key and a quiet severity; limits hold for hostile text", async () => {
    const { config } = standInConfig("pagerduty");
    const test = await renderHttp("pagerduty", alertOf({ kind: "test" }), config);
    expect(test.payload.dedup_key).toBe(`lifeboat/test/${alertOf().check.uuid}`);
    expect(test.payload.payload.severity).toBe("info");
    const hostile = await renderHttp("pagerduty", hostileAlert(), config);
    expect(hostile.payload.payload.summary.length).toBeLessThanOrEqual(1024);
    expect((await post(hostile.delivery)).status).toBe(202);
    const badKey = await post({
      ...hostile.delivery,
      body: JSON.stringify({ ...hostile.payload, routing_key: "short" }),
    });
    expect(badKey.status).toBe(400);
  });
});

describe("email", () => {
  it("renders a plain-text message to every address", async () => {
    const delivery = (await render("email", alertOf(), { to: ["a@example.com", "b@example.com"] })) as EmailDelivery;
    expect(delivery).toMatchObject({
      transport: "email",
      to: "a@example.com, b@example.com",
      subject: "[Lifeboat] DOWN: Nightly DB backup",
    });
    expect(delivery.text).toContain("Since:     2026-11-23T03:45:30Z (3 h 12 min ago)");
    expect(delivery.text).toContain(`Open the check: ${CHECK_URL}`);
  });

  it("no line break in a check's name reaches the subject", async () => {
    const name = "backup\r\nBcc: victim@example.com";
    const delivery = (await render("email", alertOf({ check: { ...alertOf().check, name } }), {
      to: "a@example.com",
    })) as EmailDelivery;
    expect(delivery.subject).toBe("[Lifeboat] DOWN: backup Bcc: victim@example.com");
    const hostile = (await render("email", hostileAlert(), { to: "a@example.com" })) as EmailDelivery;
    expect(hostile.subject).not.toMatch(/[\r\n\u0000]/);
    expect(hostile.text).toContain("line 9999");
  });

  it("builds an RFC 5322 message: encoded subject, base64 body in 76-character lines", () => {
    const raw = rawEmail({
      from: "Lifeboat <alerts@lifeboat.test>",
      to: ["a@example.com", "b@example.com"],
      subject: "[Lifeboat] DOWN: Sauvegarde nocturne — base de données 🚨\r\nBcc: x@example.com",
      text: "Ligne une\nLigne deux é".repeat(20),
      date: NOW,
      messageId: "42:3",
    });
    const [head, body] = raw.split("\r\n\r\n");
    const headerLines = head!.split("\r\n");
    expect(headerLines).toContain("Date: Mon, 23 Nov 2026 06:57:30 +0000");
    expect(headerLines).toContain("Message-ID: <lifeboat.42.3@lifeboat.test>");
    expect(headerLines).toContain('From: "Lifeboat" <alerts@lifeboat.test>');
    expect(headerLines).toContain("Content-Transfer-Encoding: base64");
    // Folded lines start with a space; no header was injected, and no line is too long.
    expect(headerLines.filter((line) => /^Bcc:/i.test(line))).toEqual([]);
    for (const line of headerLines) expect(line.length).toBeLessThanOrEqual(78);
    const subject = head!.match(/^Subject: (.*(?:\r\n .*)*)/m)![1]!;
    const decoded = subject
      .split("\r\n ")
      .map((word) =>
        new TextDecoder().decode(
          Uint8Array.from(atob(word.match(/^=\?UTF-8\?B\?(.*)\?=$/)![1]!), (c) => c.charCodeAt(0)),
        ),
      )
      .join("");
    expect(decoded).toBe("[Lifeboat] DOWN: Sauvegarde nocturne — base de données 🚨 Bcc: x@example.com");
    const bodyLines = body!.trimEnd().split("\r\n");
    for (const line of bodyLines) expect(line.length).toBeLessThanOrEqual(76);
    const text = new TextDecoder().decode(Uint8Array.from(atob(bodyLines.join("")), (c) => c.charCodeAt(0)));
    expect(text).toBe("Ligne une\r\nLigne deux é".repeat(20));
  });
});

describe("config schemas name the field that is wrong", () => {
  const token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
  const cases: [ChannelKindName, unknown, string][] = [
    ["webhook", {}, "url is required"],
    ["slack", { url: "ftp://example.com/x" }, "url must be an http(s) URL"],
    ["slack", { url: "https://hooks.slack.com/x", channel: "#ops" }, 'Unrecognized key: "channel"'],
    ["discord", { url: "not a url" }, "url must be an http(s) URL"],
    ["telegram", { bot_token: token }, "chat_id is required"],
    ["telegram", { bot_token: "abc", chat_id: 1 }, "bot_token must look like"],
    ["telegram", { bot_token: token, chat_id: "ops channel" }, "chat_id must be"],
    ["ntfy", { topic: "alerts/ops" }, "topic must be"],
    ["ntfy", { topic: "ops", priority: 7 }, "priority must be from 1 to 5"],
    ["email", { to: "not-an-address" }, "to must contain only email addresses"],
    ["email", { to: Array.from({ length: 11 }, (_, i) => `a${i}@example.com`) }, "to lists at most 10 addresses"],
    ["email", { to: ["a@example.com", "b@"] }, "to must contain only email addresses"],
    ["email", {}, "to is required"],
    ["pagerduty", { routing_key: "a".repeat(31) }, "routing_key must be the 32-character integration key"],
    ["pagerduty", { routing_key: "a".repeat(32), severity: "high" }, "severity must be one of"],
  ];
  for (const [kind, input, message] of cases) {
    it(`${kind} ${JSON.stringify(input).slice(0, 60)} → ${message}`, () => {
      const result = channelKinds[kind].config.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((issue) => issue.message).join("; ")).toContain(message);
    });
  }

  it("fills in the defaults", () => {
    expect(channelKinds.telegram.config.parse({ bot_token: token, chat_id: -100123 }).api_url).toBe(
      "https://api.telegram.org",
    );
    expect(channelKinds.ntfy.config.parse({ topic: "ops" }).server).toBe("https://ntfy.sh");
    expect(channelKinds.pagerduty.config.parse({ routing_key: "a".repeat(32) })).toMatchObject({
      events_url: "https://events.pagerduty.com/v2/enqueue",
      severity: "critical",
    });
  });
});

describe("classify", () => {
  const P = "permanent";
  const R = "retry";
  const tables: Record<ChannelKindName, [number, string, string][]> = {
    webhook: [
      [404, "", P],
      [410, "", P],
      [400, "", R],
      [401, "", R],
      [408, "", R],
      [429, "", R],
      [500, "", R],
    ],
    slack: [
      [400, "invalid_blocks", P],
      [403, "invalid_token", P],
      [404, "no_service", P],
      [410, "channel_is_archived", P],
      [408, "", R],
      [429, "rate_limited", R],
      [500, "rollup_error", R],
    ],
    discord: [
      [400, "{}", P],
      [401, "{}", P],
      [403, "{}", P],
      [404, '{"code":10015}', P],
      [429, "{}", R],
      [502, "", R],
    ],
    telegram: [
      [400, "Bad Request: chat not found", P],
      [401, "Unauthorized", P],
      [403, "Forbidden", P],
      [429, "Too Many Requests", R],
      [500, "", R],
    ],
    ntfy: [
      [400, '{"code":40009}', P],
      [401, "", P],
      [403, "", P],
      [404, '{"code":40401,"http":404}', P],
      [404, "<html>Not Found</html>", R],
      [413, "", P],
      [429, "", R],
      [503, "", R],
    ],
    email: [
      [400, "", R],
      [500, "", R],
    ],
    pagerduty: [
      [400, '{"status":"invalid event"}', P],
      [404, "", P],
      [429, "", R],
      [500, "", R],
      [503, "", R],
    ],
  };
  for (const kind of KINDS) {
    it(kind, () => {
      const got = tables[kind].map(([status, body]) => [status, body, channelKinds[kind].classify(status, body)]);
      expect(got).toEqual(tables[kind]);
    });
  }
});

describe("describeTarget shows no secret", () => {
  it("labels each kind without its credential", () => {
    const key = "R0UTINGKEY0123456789abcdefghWXYZ";
    const labels = {
      webhook: channelKinds.webhook.describeTarget({ url: "https://example.com/hooks/lifeboat?token=s3cret" }),
      slack: channelKinds.slack.describeTarget({
        url: "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstWXYZ",
      }),
      discord: channelKinds.discord.describeTarget({ url: "https://discord.com/api/webhooks/123/tokentokentokenWXYZ" }),
      telegram: channelKinds.telegram.describeTarget(
        channelKinds.telegram.config.parse({
          bot_token: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
          chat_id: -100123,
        }),
      ),
      ntfy: channelKinds.ntfy.describeTarget(channelKinds.ntfy.config.parse({ topic: "ops", token: "tk_secret" })),
      email: channelKinds.email.describeTarget({ to: ["a@example.com", "b@example.com"] }),
      pagerduty: channelKinds.pagerduty.describeTarget(channelKinds.pagerduty.config.parse({ routing_key: key })),
    };
    expect(labels).toEqual({
      webhook: "webhook example.com/…/boat",
      slack: "Slack webhook hooks.slack.com/…/WXYZ",
      discord: "Discord webhook discord.com/…/WXYZ",
      telegram: "telegram chat -100123",
      ntfy: "ntfy topic op… on ntfy.sh",
      email: "email a@example.com and 1 more",
      pagerduty: "PagerDuty integration …WXYZ",
    });
    expect(channelKinds.telegram.secretFields).toEqual(["bot_token"]);
    expect(channelKinds.pagerduty.secretFields).toEqual(["routing_key"]);
  });
});

describe("every kind, every alert kind, hostile input: the stand-ins accept it", () => {
  for (const kind of HTTP_KINDS) {
    it(kind, async () => {
      const { config, inbox } = standInConfig(kind);
      for (const alertKind of ["down", "up", "reminder", "flapping", "test"] as const) {
        const { delivery } = await renderHttp(
          kind,
          hostileAlert({ kind: alertKind, flipsLastHour: 9, reminderNumber: 3 }),
          config,
        );
        const answer = await post(delivery);
        expect(answer.status, `${kind} ${alertKind}: ${answer.text}`).toBeLessThan(300);
      }
      expect((await recorded(inbox)).every((r) => r.status < 300)).toBe(true);
    });
  }
});
