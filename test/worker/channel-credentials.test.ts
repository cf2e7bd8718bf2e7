import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { Recorded } from "../helpers/receiver";
import { call, json } from "../helpers/api";
import { Browser, fieldError } from "./admin-client";

// Issue 13.7 (changing where a channel sends requires its credential again) and 14.10 (a webhook's
// URL is a credential: never shown back). The receiver listens on 127.0.0.1; "localhost" reaches
// the same server under another host name, so the Host header tells which host got a request.

const receiver = inject("receiverUrl");
const otherHost = receiver.replace("127.0.0.1", "localhost");

let serial = 0;
const unique = (length: number) => `${Date.now().toString(36)}${++serial}`.padEnd(length, "x").slice(0, length);

const requestsOf = async (inbox: string): Promise<Recorded[]> => (await fetch(`${receiver}/_requests/${inbox}`)).json();
const hostsOf = async (inbox: string) => (await requestsOf(inbox)).map((r) => r.headers.host);

const channelRow = (uuid: string) => env.DB.prepare("SELECT * FROM channels WHERE uuid = ?").bind(uuid).first();

type Case = {
  kind: string;
  destination: string;
  credential: string;
  config: (inbox: string, base: string) => Record<string, unknown>;
  inbox: () => string;
};

const CASES: Case[] = [
  {
    kind: "telegram",
    destination: "api_url",
    credential: "bot_token",
    inbox: () => `123456:${unique(35)}`,
    config: (inbox, base) => ({ bot_token: inbox, chat_id: -100123, api_url: `${base}/telegram` }),
  },
  {
    kind: "ntfy",
    destination: "server",
    credential: "topic",
    inbox: () => `topic${unique(30)}`,
    config: (inbox, base) => ({ topic: inbox, server: `${base}/ntfy` }),
  },
  {
    kind: "pagerduty",
    destination: "events_url",
    credential: "routing_key",
    inbox: () => unique(32).replace(/[^A-Za-z0-9]/g, "0"),
    config: (inbox, base) => ({ routing_key: inbox, events_url: `${base}/pagerduty/v2/enqueue` }),
  },
];

/** The config without its credential: what a PATCH that "keeps the credential" sends. */
const without = (config: Record<string, unknown>, field: string) =>
  Object.fromEntries(Object.entries(config).filter(([name]) => name !== field));

describe("changing where a channel sends (API)", () => {
  it.each(CASES)(
    "$kind: a new $destination without $credential is a 400 that says so; the test send stays home",
    async ({ kind, destination, credential, config, inbox: makeInbox }) => {
      const inbox = makeInbox();
      const created = await json(call("POST", "/api/v1/channels", { body: { kind, config: config(inbox, receiver) } }));
      const before = await channelRow(created.uuid);

      const moved = without(config(inbox, otherHost), credential);
      const refused = await call("PATCH", `/api/v1/channels/${created.uuid}`, { body: { config: moved } });
      expect(refused.status).toBe(400);
      const error = (await refused.json<any>()).error;
      expect(error.code).toBe("validation_failed");
      expect(error.details[0].field).toBe(`config.${credential}`);
      expect(error.message).toContain(destination);
      expect(error.message).toContain(credential);
      expect(await channelRow(created.uuid)).toEqual(before);

      // The stored credential still goes only where it went before.
      const tested = await json(call("POST", `/api/v1/channels/${created.uuid}/test`));
      expect(tested.ok, tested.error).toBe(true);
      expect(await hostsOf(inbox)).toEqual([new URL(receiver).host]);

      // Given again in the same request, the move is fine, and the next test goes to the new host.
      const accepted = await call("PATCH", `/api/v1/channels/${created.uuid}`, {
        body: { config: config(inbox, otherHost) },
      });
      expect(accepted.status, await accepted.clone().text()).toBe(200);
      expect((await json(call("POST", `/api/v1/channels/${created.uuid}/test`))).ok).toBe(true);
      expect(await hostsOf(inbox)).toEqual([new URL(receiver).host, new URL(otherHost).host]);
    },
  );

  it("changing anything but the destination needs no credential", async () => {
    const inbox = `123456:${unique(35)}`;
    const { config } = CASES[0]!;
    const created = await json(
      call("POST", "/api/v1/channels", { body: { kind: "telegram", config: config(inbox, receiver) } }),
    );
    const renamed = await call("PATCH", `/api/v1/channels/${created.uuid}`, {
      body: { name: "ops chat", config: { chat_id: -100999, api_url: `${receiver}/telegram` } },
    });
    expect(renamed.status, await renamed.clone().text()).toBe(200);
    expect((await json(call("POST", `/api/v1/channels/${created.uuid}/test`))).ok).toBe(true);
  });

  it("dropping a custom destination back to the default is a move too", async () => {
    const inbox = `topic${unique(30)}`;
    const created = await json(
      call("POST", "/api/v1/channels", {
        body: { kind: "ntfy", config: { topic: inbox, server: `${receiver}/ntfy` } },
      }),
    );
    const response = await call("PATCH", `/api/v1/channels/${created.uuid}`, { body: { config: { priority: 5 } } });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.message).toContain("https://ntfy.sh");
  });
});

describe("changing where a channel sends (dashboard form)", () => {
  it("refuses a new API URL with the bot token left empty, next to the token field, and writes nothing", async () => {
    const browser = await Browser.admin();
    const inbox = `123456:${unique(35)}`;
    const created = await json(
      call("POST", "/api/v1/channels", {
        body: { kind: "telegram", name: "tg form", config: CASES[0]!.config(inbox, receiver) },
      }),
    );
    const before = await channelRow(created.uuid);
    const page = await browser.post(`/admin/channels/${created.uuid}`, {
      name: "tg form",
      "config.chat_id": "-100123",
      "config.api_url": `${otherHost}/telegram`,
    });
    expect(page.status).toBe(400);
    expect(fieldError(page.html, "config.bot_token")).toMatch(/api_url.*bot_token|bot_token.*api_url/);
    expect(await channelRow(created.uuid)).toEqual(before);

    const saved = await browser.post(`/admin/channels/${created.uuid}`, {
      name: "tg form",
      "config.chat_id": "-100123",
      "config.api_url": `${otherHost}/telegram`,
      "config.bot_token": inbox,
    });
    expect(saved.status, saved.html.slice(0, 500)).toBe(303);
  });
});

describe("a webhook's URL is a credential (issue 14.10)", () => {
  it("is never shown back: the API and the dashboard show only the redacted target", async () => {
    const secretPath = `hook/wh-${unique(24)}`;
    const url = `${receiver}/${secretPath}`;
    const created = await call("POST", "/api/v1/channels", { body: { kind: "webhook", url } });
    expect(created.status).toBe(201);
    const body = await created.text();
    const { uuid, target } = JSON.parse(body);
    expect(target).toBe(`webhook ${new URL(receiver).host}/…/${secretPath.slice(-4)}`);
    for (const text of [
      body,
      await (await call("GET", `/api/v1/channels/${uuid}`)).text(),
      await (await call("GET", "/api/v1/channels")).text(),
      (await (await Browser.admin()).get("/admin/channels")).html,
      (await (await Browser.admin()).get(`/admin/channels/${uuid}/edit`)).html,
    ]) {
      expect(text).not.toContain(secretPath);
    }
    // It still works, and an edit that leaves it out keeps it.
    const renamed = await call("PATCH", `/api/v1/channels/${uuid}`, { body: { name: "renamed hook" } });
    expect(renamed.status).toBe(200);
    expect((await json(call("POST", `/api/v1/channels/${uuid}/test`))).ok).toBe(true);
    expect(await requestsOf(secretPath.split("/")[1]!)).toHaveLength(1);
  });
});
