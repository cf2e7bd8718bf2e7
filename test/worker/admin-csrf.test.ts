import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { csrfTokenOf, issueSession } from "../../worker/domain/session";
import { call, createCheck, json } from "../helpers/api";
import { Browser, snapshot } from "./admin-client";

// Every state-changing form of the dashboard, posted the ways a cross-site attacker could: without
// the CSRF token, with another session's token, with a mangled one, from another origin. Each must
// be a 403 that leaves every table as it was; the same post with the right token must work.

const receiver = `${inject("receiverUrl")}/hook/admin-csrf`;
let routes: { path: string; fields: Record<string, string | string[]> }[];

beforeAll(async () => {
  const check = await createCheck({ name: "csrf target", slug: "csrf-target" });
  const channel = await json(call("POST", "/api/v1/channels", { body: { kind: "webhook", url: receiver } }));
  const key = await json(call("POST", "/api/v1/keys", { body: { host: "csrf-host", checks: "*" } }));
  routes = [
    { path: "/admin/checks", fields: { name: "csrf created" } },
    { path: `/admin/checks/${check.uuid}`, fields: { name: "csrf renamed", kind: "heartbeat" } },
    { path: `/admin/checks/${check.uuid}/pause`, fields: {} },
    { path: `/admin/checks/${check.uuid}/resume`, fields: {} },
    { path: "/admin/channels", fields: { kind: "webhook", "config.url": `${receiver}/2` } },
    { path: `/admin/channels/${channel.uuid}`, fields: { name: "csrf renamed", "config.url": `${receiver}/3` } },
    { path: `/admin/channels/${channel.uuid}/test`, fields: {} },
    { path: `/admin/channels/${channel.uuid}/delete`, fields: {} },
    { path: "/admin/keys", fields: { host: "csrf-created", checks: "*", scopes: ["ping"] } },
    { path: `/admin/keys/${key.key_id}/revoke`, fields: {} },
    { path: "/admin/logout", fields: {} },
  ];
});

describe("CSRF: every POST needs the session's token and our own origin", () => {
  it("refuses each form without a token, with another session's or a mangled one, and writes nothing", async () => {
    const browser = await Browser.admin();
    const other = await issueSession(
      { masterKey: env.LIFEBOAT_MASTER_KEY, adminToken: env.ADMIN_TOKEN },
      "admin",
      Date.now(),
    );
    const othersToken = await csrfTokenOf(
      { masterKey: env.LIFEBOAT_MASTER_KEY, adminToken: env.ADMIN_TOKEN },
      other.session,
    );
    const mine = await browser.csrf();
    expect(othersToken).not.toBe(mine);
    const bad: [string, string | null][] = [
      ["no token", null],
      ["empty token", ""],
      ["another session's token", othersToken],
      ["mangled token", (mine[0] === "a" ? "b" : "a") + mine.slice(1)],
      ["the token with a suffix", `${mine}00`],
    ];
    const before = await snapshot();
    for (const route of routes) {
      for (const [what, csrf] of bad) {
        const page = await browser.post(route.path, route.fields, { csrf });
        expect(page.status, `${route.path} with ${what}`).toBe(403);
        expect(page.headers.get("Set-Cookie"), `${route.path} with ${what}`).toBeNull();
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses each form from another origin or a cross-site fetch even with the right token", async () => {
    const browser = await Browser.admin();
    const before = await snapshot();
    for (const route of routes) {
      const crossOrigin = await browser.post(route.path, route.fields, { origin: "https://evil.example" });
      expect(crossOrigin.status, route.path).toBe(403);
      const nullOrigin = await browser.post(route.path, route.fields, { origin: "null" });
      expect(nullOrigin.status, route.path).toBe(403);
      const crossSite = await browser.post(route.path, route.fields, {
        origin: null,
        headers: { "Sec-Fetch-Site": "cross-site" },
      });
      expect(crossSite.status, route.path).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("accepts each form with the right token from our own origin (so the refusals above mean something)", async () => {
    const browser = await Browser.admin();
    for (const route of routes) {
      const before = await snapshot();
      const page = await browser.post(route.path, route.fields, {
        headers: { "Sec-Fetch-Site": "same-origin" },
      });
      expect([200, 201, 303], `${route.path}: ${page.html.slice(0, 300)}`).toContain(page.status);
      // A test send and a logout change no table; every other form does.
      if (!route.path.endsWith("/test") && route.path !== "/admin/logout") {
        expect(await snapshot(), route.path).not.toEqual(before);
      }
    }
  });
});
