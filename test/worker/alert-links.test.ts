import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import type { Recorded } from "../helpers/receiver";
import { call, createCheck, json } from "../helpers/api";

// Issue 14.11: alert links open the check's dashboard page (which needs only a login), not the
// admin API (which needs a bearer token no browser sends). Through the outbox, to every HTTP
// channel kind's stand-in; the email renderer takes the same link from the same Alert.

const receiver = inject("receiverUrl");
const DASHBOARD = "https://lifeboat.test/admin/checks/";

const requestsOf = async (inbox: string): Promise<Recorded[]> => (await fetch(`${receiver}/_requests/${inbox}`)).json();

describe("alert links", () => {
  it("point at the dashboard page of the check in every channel kind, by unique_key", async () => {
    const tag = "links";
    const id = crypto.randomUUID().replace(/-/g, "");
    const inbox = {
      webhook: `links-hook-${id}`,
      slack: `links-slack-${id}`,
      discord: `links-discord-${id}`,
      telegram: `123456:${id.slice(0, 32)}abc`,
      ntfy: `links${id.slice(0, 20)}`,
      pagerduty: id.slice(0, 32),
    };
    const configs = {
      webhook: { url: `${receiver}/hook/${inbox.webhook}` },
      slack: { url: `${receiver}/slack/${inbox.slack}` },
      discord: { url: `${receiver}/discord/${inbox.discord}` },
      telegram: { bot_token: inbox.telegram, chat_id: -100123, api_url: `${receiver}/telegram` },
      ntfy: { topic: inbox.ntfy, server: `${receiver}/ntfy` },
      pagerduty: { routing_key: inbox.pagerduty, events_url: `${receiver}/pagerduty/v2/enqueue` },
    };
    for (const [kind, config] of Object.entries(configs)) {
      const response = await call("POST", "/api/v1/channels", {
        body: { kind, config, filter: { tags: [tag], checks: [] } },
      });
      expect(response.status, await response.clone().text()).toBe(201);
    }
    const host = await createCheck({ name: "links host", tags: [tag], period_s: 3600, grace_s: 300 });
    const child = await createCheck({ name: "links child", tags: [tag], parent: host.slug, period_s: 3600 });
    await call("GET", `/ping/${host.uuid}`, { token: null });
    await call("GET", `/ping/${child.uuid}`, { token: null });
    await runSweep(sweepContext(env, "https://lifeboat.test", Date.now() + 3 * 3_600_000));

    const hostKey = (await json(call("GET", `/api/v1/checks/${host.uuid}`))).unique_key;
    const childKey = (await json(call("GET", `/api/v1/checks/${child.uuid}`))).unique_key;
    expect(hostKey).toMatch(/^[0-9a-f]{40}$/);
    for (const [kind, name] of Object.entries(inbox)) {
      const [request] = (await requestsOf(name)).filter((r) => r.status < 300);
      expect(request, `${kind} got the alert`).toBeDefined();
      expect(request!.body, kind).toContain(`${DASHBOARD}${hostKey}`);
      // Only the webhook carries the API document, as a field of its own (below).
      if (kind !== "webhook") expect(request!.body, kind).not.toContain("/api/v1/checks/");
    }

    // The webhook keeps the API document as a field of its own, and links the folded child too.
    const webhook = JSON.parse((await requestsOf(inbox.webhook))[0]!.body);
    expect(webhook.check).toMatchObject({
      uuid: host.uuid,
      url: `${DASHBOARD}${hostKey}`,
      api_url: `https://lifeboat.test/api/v1/checks/${host.uuid}`,
    });
    expect(webhook.children).toEqual([{ name: "links child", url: `${DASHBOARD}${childKey}` }]);
  });

  it("the dashboard link works for an admin login (the page is found by unique_key)", async () => {
    const check = await createCheck({ name: "links page" });
    const key = (await json(call("GET", `/api/v1/checks/${check.uuid}`))).unique_key;
    const { Browser } = await import("./admin-client");
    const page = await (await Browser.admin()).get(`/admin/checks/${key}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("links page");
  });
});
