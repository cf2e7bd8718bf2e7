import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { issueSession, SESSION_TTL_MS, type SessionSecrets } from "../../worker/domain/session";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../worker/index";
import { ADMIN, BASE, createCheck, fetchWorker } from "../helpers/api";
import { Browser, COOKIE, cookieFrom, loginResponse, snapshot } from "./admin-client";

// Login, the session cookie and everything that must make it worthless: tampering, age, rotation.

const secrets: SessionSecrets = {
  masterKey: env.LIFEBOAT_MASTER_KEY,
  adminToken: env.ADMIN_TOKEN,
  readToken: env.ADMIN_READ_TOKEN,
};
const HOUR = 3_600_000;

async function seesOverview(cookie: string | undefined): Promise<boolean> {
  const page = await new Browser(cookie).get("/admin");
  if (page.status === 200) return true;
  expect(page.status).toBe(303);
  expect(page.headers.get("Location")).toBe("/admin/login");
  return false;
}

describe("login", () => {
  it("sends an anonymous visitor to the login page", async () => {
    const page = await new Browser(undefined).get("/admin/checks/new");
    expect(page.status).toBe(303);
    expect(page.headers.get("Location")).toBe("/admin/login");
    const login = await new Browser(undefined).get("/admin/login");
    expect(login.status).toBe(200);
    expect(login.html).toContain('<label for="f-token">');
  });

  it("sends /admin/ (a typed trailing slash) to /admin", async () => {
    const page = await new Browser(undefined).get("/admin/");
    expect(page.status).toBe(301);
    expect(page.headers.get("Location")).toBe("/admin");
  });

  it("refuses a wrong token with a 401 page and no cookie", async () => {
    for (const token of ["wrong", "", `${ADMIN}x`, ADMIN.slice(0, -1)]) {
      const response = await loginResponse(token, { "CF-Connecting-IP": "198.51.100.1" });
      expect(response.status).toBe(401);
      expect(response.headers.get("Set-Cookie")).toBeNull();
      expect(await response.text()).toContain("That token is not valid.");
    }
  });

  it("answers a body that is not a readable form with a 400, for the login and behind it", async () => {
    const broken = { "Content-Type": "multipart/form-data; boundary=xyz", Origin: BASE };
    const login = await fetchWorker(
      new Request(`${BASE}/admin/login`, { method: "POST", headers: broken, body: "tO]" }),
    );
    expect(login.status).toBe(400);
    const browser = await Browser.login();
    const before = await snapshot();
    const form = await browser.post(
      "/admin/checks/new",
      { name: "x" },
      { headers: { "Content-Type": broken["Content-Type"] } },
    );
    expect(form.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it("sets an HttpOnly, Secure, SameSite=Strict session cookie on /admin that lasts 12 hours", async () => {
    const response = await loginResponse(ADMIN);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/admin");
    const header = response.headers.get("Set-Cookie")!;
    const attributes = header.split(/;\s*/).map((a) => a.toLowerCase());
    expect(header.startsWith("__Secure-lifeboat-admin=")).toBe(true);
    expect(attributes).toEqual(
      expect.arrayContaining(["httponly", "secure", "samesite=strict", "path=/admin", "max-age=43200"]),
    );
    expect(await seesOverview(cookieFrom(response))).toBe(true);
  });

  it("throttles an address after 10 failed logins, even for the right token", async () => {
    const from = { "CF-Connecting-IP": "203.0.113.77" };
    for (let i = 0; i < 10; i++) expect((await loginResponse("guess", from)).status).toBe(401);
    const blocked = await loginResponse(ADMIN, from);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Set-Cookie")).toBeNull();
    // Another address is not affected.
    expect((await loginResponse(ADMIN, { "CF-Connecting-IP": "203.0.113.78" })).status).toBe(303);
  });

  it("refuses a login posted from another site", async () => {
    const response = await loginResponse(ADMIN, { Origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.get("Set-Cookie")).toBeNull();
  });

  it("logs out: the cookie is cleared", async () => {
    const browser = await Browser.admin();
    const page = await browser.post("/admin/logout");
    expect(page.status).toBe(303);
    expect(page.headers.get("Location")).toBe("/admin/login");
    expect(page.headers.get("Set-Cookie")).toMatch(/^__Secure-lifeboat-admin=; Max-Age=0; .*Path=\/admin/);
  });

  it("logout ends the session on the server: a copy of the old cookie no longer works (issue 13.9)", async () => {
    for (const login of [Browser.admin, Browser.reader]) {
      const browser = await login();
      const copy = new Browser(browser.cookie);
      const csrf = await copy.csrf();
      expect(await seesOverview(copy.cookie)).toBe(true);
      expect((await browser.post("/admin/logout")).status).toBe(303);
      expect(await seesOverview(copy.cookie)).toBe(false);
      const before = await snapshot();
      const refused = await copy.post("/admin/checks", { name: "after logout", kind: "heartbeat" }, { csrf });
      expect(refused.status).toBe(401);
      expect(await snapshot()).toEqual(before);
      // Another session of the same token is untouched.
      expect(await seesOverview((await login()).cookie)).toBe(true);
    }
  });

  it("keeps a logout only as long as the session would have lived", async () => {
    await env.DB.prepare("INSERT INTO revoked_sessions (session_id, expires_at) VALUES ('0'||hex(randomblob(15)), ?)")
      .bind(Date.now() - 1)
      .run();
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n, min(expires_at) AS first FROM revoked_sessions").first<any>())!;
    expect((await (await Browser.admin()).post("/admin/logout")).status).toBe(303);
    const { first } = await count();
    expect(first).toBeGreaterThan(Date.now()); // the expired entry went with this logout
    expect(first).toBeLessThanOrEqual(Date.now() + SESSION_TTL_MS);
  });

  it("ends every session when ADMIN_TOKEN or ADMIN_READ_TOKEN is rotated (the running Worker, new secrets)", async () => {
    const admin = (await Browser.admin()).cookie;
    const reader = (await Browser.reader()).cookie;
    const sees = async (cookie: string | undefined, vars: Record<string, string>) => {
      const ctx = createExecutionContext();
      const request = new Request(`${BASE}/admin`, { headers: { Cookie: `${COOKIE}=${cookie}` }, redirect: "manual" });
      const response = await worker.fetch(request, { ...env, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      return response.status === 200;
    };
    expect([await sees(admin, {}), await sees(reader, {})]).toEqual([true, true]);
    const newAdmin = { ADMIN_TOKEN: "a-freshly-rotated-admin-token-0123456789" };
    expect([await sees(admin, newAdmin), await sees(reader, newAdmin)]).toEqual([false, false]);
    const newReader = { ADMIN_READ_TOKEN: "a-freshly-rotated-read-token-0123456789" };
    expect([await sees(admin, newReader), await sees(reader, newReader)]).toEqual([true, false]);
  });
});

describe("the session cookie", () => {
  it("accepts its own cookie and rejects every tampered variant", async () => {
    const { cookie } = await issueSession(secrets, "admin", Date.now());
    expect(await seesOverview(cookie)).toBe(true);
    const [role, id, issued, expires, signature] = cookie.split(".") as [string, string, string, string, string];
    const flip = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
    const variants = [
      [role, flip(id), issued, expires, signature],
      [role, id, String(Number(issued) - 1), expires, signature],
      [role, id, issued, String(Number(expires) + HOUR), signature],
      [role, id, issued, expires, flip(signature)],
      ["read", id, issued, expires, signature],
      [role, id, issued, expires],
    ].map((parts) => parts.join("."));
    for (const variant of [...variants, "", "admin", cookie.toUpperCase(), `${cookie}0`]) {
      expect(await seesOverview(variant), variant).toBe(false);
    }
  });

  it("expires 12 hours after login, never later", async () => {
    const fresh = await issueSession(secrets, "admin", Date.now() - SESSION_TTL_MS + 60_000);
    expect(await seesOverview(fresh.cookie)).toBe(true);
    const old = await issueSession(secrets, "admin", Date.now() - SESSION_TTL_MS - 1000);
    expect(await seesOverview(old.cookie)).toBe(false);
    const future = await issueSession(secrets, "admin", Date.now() + HOUR);
    expect(await seesOverview(future.cookie)).toBe(false);
  });

  it("is worthless after the admin token or the master key is rotated", async () => {
    const oldToken = await issueSession({ ...secrets, adminToken: "the-previous-admin-token" }, "admin", Date.now());
    expect(await seesOverview(oldToken.cookie)).toBe(false);
    const oldMaster = await issueSession({ ...secrets, masterKey: "the-previous-master-key" }, "admin", Date.now());
    expect(await seesOverview(oldMaster.cookie)).toBe(false);
    const oldReader = await issueSession({ ...secrets, readToken: "the-previous-read-token" }, "read", Date.now());
    expect(await seesOverview(oldReader.cookie)).toBe(false);
  });

  it("does not let a POST without a session change anything", async () => {
    const before = await snapshot();
    const page = await new Browser(undefined).post("/admin/checks", { name: "anonymous" }, { csrf: "00" });
    expect(page.status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});

describe("security headers", () => {
  it("sends CSP, nosniff, same-origin referrers and no-store on pages, refusals included", async () => {
    const browser = await Browser.admin();
    const pages = [
      await browser.get("/admin"),
      await browser.get("/admin/checks/new"),
      await new Browser(undefined).get("/admin/login"),
      await browser.post("/admin/checks", {}, { csrf: null }),
      await browser.get("/admin/checks/no-such-check"),
    ];
    for (const page of pages) {
      const csp = page.headers.get("Content-Security-Policy")!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain("script-src");
      expect(page.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(page.headers.get("Referrer-Policy")).toBe("same-origin");
      expect(page.headers.get("Cache-Control")).toBe("no-store");
    }
    expect(pages.at(-1)!.status).toBe(404);
    expect(pages.at(-1)!.html).toContain("check not found");
  });

  it("pages carry no script at all", async () => {
    const browser = await Browser.admin();
    await createCheck({ name: "scriptless", kind: "backup" });
    for (const path of ["/admin", "/admin/checks/scriptless", "/admin/checks/new", "/admin/channels", "/admin/keys"]) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    }
  });
});

describe("read-only login", () => {
  it("shows the dashboard without forms, and refuses every change", async () => {
    const check = await createCheck({ name: "read only target" });
    const reader = await Browser.reader();
    const overview = await reader.get("/admin");
    expect(overview.status).toBe(200);
    expect(overview.html).toContain("read-only");
    expect(overview.html).not.toContain('href="/admin/checks/new"');
    const checkPage = await reader.get(`/admin/checks/${check.uuid}`);
    expect(checkPage.status).toBe(200);
    expect(checkPage.html).not.toContain("/edit");
    expect(checkPage.html).not.toContain("/pause");
    for (const path of ["/admin/checks/new", `/admin/checks/${check.uuid}/edit`, "/admin/channels/new?kind=webhook"]) {
      expect((await reader.get(path)).status, path).toBe(403);
    }
    const before = await snapshot();
    const attempts = [
      ["/admin/checks", { name: "by the reader" }],
      [`/admin/checks/${check.uuid}`, { name: "renamed by the reader" }],
      [`/admin/checks/${check.uuid}/pause`, {}],
      ["/admin/channels", { kind: "webhook", "config.url": "https://example.com/hook" }],
      ["/admin/keys", { host: "reader-host", checks: "*", scopes: "ping" }],
    ] as const;
    for (const [path, fields] of attempts) {
      const page = await reader.post(path, fields);
      expect(page.status, path).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
    // …but it may log out.
    expect((await reader.post("/admin/logout")).status).toBe(303);
  });
});
