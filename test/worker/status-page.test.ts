import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createCheck, READER } from "../helpers/api";
import { checkIdOf, DAY, exec, getPublic, HOUR, insertBackup, insertFlip, markUp } from "../helpers/status";

const HOSTILE = "<script>alert(1)</script>";
const page = async (vars: Record<string, string> = {}) => (await getPublic("/", {}, vars)).text();

/** A check's <li>, found by its (escaped) name. */
const itemOf = (html: string, name: string) => html.split("<li>").find((item) => item.startsWith(`<h3>${name}</h3>`));

describe("the status page shows public checks, grouped, in words", () => {
  it("lists public checks under their groups and nothing of private ones", async () => {
    const db = await createCheck({
      name: "Orders DB",
      kind: "backup",
      public: true,
      group: "Databases",
      desc: "internal: pg on 10.0.0.5",
    });
    await createCheck({ name: "Payroll export", public: false, group: "Secret group" });
    const web = await createCheck({ name: "Web cron", public: true });
    await markUp(await checkIdOf(web.uuid), Date.now() - 5 * 60_000);
    await insertBackup(await checkIdOf(db.uuid), Date.now() - 3 * HOUR - 10 * 60_000);

    const response = await getPublic("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('<h2 id="g1">Databases</h2>');
    expect(itemOf(html, "Web cron")).toContain("Operational");
    expect(itemOf(html, "Web cron")).toContain("Last success 5 min ago");
    expect(itemOf(html, "Orders DB")).toContain("Last good backup 3 h ago · RPO 25 h · Never verified");
    for (const secret of [
      "Payroll",
      "Secret group",
      "10.0.0.5",
      "secret-host",
      "123",
      db.uuid,
      db.slug,
      "/ping/",
      "/badge/",
    ]) {
      expect(html, secret).not.toContain(secret);
    }
    expect(html).not.toMatch(/<script/i);
  });

  it("shows the description, sizes and incident details only when the check opts in", async () => {
    const check = await createCheck({
      name: "Open book",
      kind: "backup",
      public: true,
      public_details: true,
      desc: "Daily dump of the shop",
    });
    expect(check.public_details).toBe(true);
    await insertBackup(await checkIdOf(check.uuid), Date.now() - HOUR, { size: 2_500_000 });
    const item = itemOf(await page(), "Open book")!;
    expect(item).toContain("Daily dump of the shop");
    expect(item).toContain("Last good backup 60 min ago (2.5 MB)");
  });

  it("says when a restore was last verified, and when a drill failed", async () => {
    const check = await createCheck({ name: "Drilled", kind: "backup", public: true, drill_every_s: 30 * 86_400 });
    const id = await checkIdOf(check.uuid);
    const backup = await insertBackup(id, Date.now() - 6 * DAY);
    await exec(
      `INSERT INTO drills (backup_id, check_id, ok, duration_ms, reported_at) VALUES (?, ?, 1, 900, ?)`,
      backup,
      id,
      Date.now() - 5 * DAY,
    );
    expect(itemOf(await page(), "Drilled")).toContain("Restore verified 5 d ago");
    await exec(
      `INSERT INTO drills (backup_id, check_id, ok, duration_ms, reported_at) VALUES (?, ?, 0, 900, ?)`,
      backup,
      id,
      Date.now() - DAY,
    );
    expect(itemOf(await page(), "Drilled")).toContain("Restore verified 5 d ago; last drill failed 24 h ago");
  });

  it("a drill that could not start is not a failed drill; a manual restore verifies", async () => {
    const check = await createCheck({ name: "Unstarted", kind: "backup", public: true });
    const id = await checkIdOf(check.uuid);
    const backup = await insertBackup(id, Date.now() - 6 * DAY);
    const drill = (ok: number, outcome: string, kind: string, at: number) =>
      exec(
        `INSERT INTO drills (backup_id, check_id, ok, outcome, kind, duration_ms, reported_at) VALUES (?, ?, ?, ?, ?, 900, ?)`,
        backup,
        id,
        ok,
        outcome,
        kind,
        at,
      );
    await drill(1, "ok", "drill", Date.now() - 5 * DAY);
    await drill(0, "could_not_start", "drill", Date.now() - DAY);
    const item = itemOf(await page(), "Unstarted")!;
    expect(item).toContain("Restore verified 5 d ago");
    expect(item).not.toContain("failed");
    await drill(1, "ok", "restore", Date.now() - 2 * HOUR);
    expect(itemOf(await page(), "Unstarted")).toContain("Restore verified 2 h ago");
  });

  it("lists the last 14 days' incidents with their durations", async () => {
    const check = await createCheck({ name: "Flaky job", public: true });
    const id = await checkIdOf(check.uuid);
    const start = Date.now() - 2 * DAY;
    await insertFlip(id, "new", "up", start - DAY, "ping");
    await insertFlip(id, "up", "down", start, "timeout", "private detail");
    await insertFlip(id, "down", "up", start + 3 * HOUR + 12 * 60_000, "ping");
    await insertFlip(id, "up", "down", Date.now() - 20 * DAY, "fail"); // outside the window, then recovered
    await markUp(id);
    const html = await page();
    const incidents = html.slice(html.indexOf('id="in"'));
    expect(incidents).toContain("<b>Flaky job</b> did not report in time");
    expect(incidents).toContain("down 3 h, resolved");
    expect(incidents).not.toContain("private detail");
  });

  it("announces maintenance on public checks, not on private ones", async () => {
    await createCheck({ name: "Maintained", public: true, tags: ["db"] });
    const now = Date.now();
    const window = (name: string, tags: string[], start: number) =>
      call("POST", "/api/v1/maintenance", {
        body: {
          name,
          tags,
          starts_at: new Date(start).toISOString(),
          ends_at: new Date(start + 2 * HOUR).toISOString(),
        },
      });
    expect((await window("Postgres upgrade " + HOSTILE, ["db"], now - HOUR)).status).toBe(201);
    expect((await window("Rotate the payroll keys", ["payroll"], now + HOUR)).status).toBe(201);
    const html = await page();
    expect(html).toContain("In progress: </span><b>Postgres upgrade &lt;script&gt;alert(1)&lt;/script&gt;</b>");
    expect(itemOf(html, "Maintained")).toContain("Under maintenance");
    expect(html).not.toContain("payroll");
  });
});

describe("hostile input is text everywhere", () => {
  it("escapes names, groups, descriptions and the title", async () => {
    await createCheck({
      name: HOSTILE,
      group: `${HOSTILE} group`,
      public: true,
      public_details: true,
      desc: `${HOSTILE} desc`,
    });
    const put = await call("PUT", "/api/v1/settings/status-page", {
      body: { title: `${HOSTILE} title`, description: `"quoted" & <b>` },
    });
    expect(put.status).toBe(200);
    const html = await page();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("<title>&lt;script&gt;alert(1)&lt;/script&gt; title</title>");
    expect(html).toContain("&lt;b&gt;");
    await call("PUT", "/api/v1/settings/status-page", { body: { title: "Status", description: "" } });
  });
});

describe("the page's settings", () => {
  it("falls back to STATUS_PAGE_TITLE, then to 'Status'; PUT changes it", async () => {
    await exec("DELETE FROM settings WHERE key = 'status_page'");
    expect(await page({ STATUS_PAGE_TITLE: "Acme from env" })).toContain("<h1>Acme from env</h1>");
    const read = await call("GET", "/api/v1/settings/status-page", { token: READER });
    expect(await read.json()).toEqual({ title: "Status", description: "" });
    const put = await call("PUT", "/api/v1/settings/status-page", { body: { title: "  Acme status  " } });
    expect(await put.json()).toEqual({ title: "Acme status", description: "" });
    expect(await page({ STATUS_PAGE_TITLE: "Acme from env" })).toContain("<h1>Acme status</h1>");
  });

  it.each([
    ["an empty title", { title: "" }],
    ["a long title", { title: "x".repeat(101) }],
    ["an unknown field", { colour: "red" }],
    ["a number", { title: 5 }],
  ])("refuses %s with the one error shape", async (_, body) => {
    const response = await call("PUT", "/api/v1/settings/status-page", { body });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.code).toBe("validation_failed");
  });

  it("the read-only token cannot change it", async () => {
    const response = await call("PUT", "/api/v1/settings/status-page", { token: READER, body: { title: "nope" } });
    expect(response.status).toBe(403);
  });
});

describe("API: the new check fields", () => {
  it("rpo_s, drill_every_s and public_details round-trip; effective_rpo_s follows the schedule", async () => {
    const check = await createCheck({ name: "objectives", kind: "backup", period_s: 3600, grace_s: 600 });
    expect(check).toMatchObject({ rpo_s: null, effective_rpo_s: 4200, drill_every_s: null, public_details: false });
    const patched = await (
      await call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { rpo_s: 7200, drill_every_s: 86_400 } })
    ).json<any>();
    expect(patched).toMatchObject({ rpo_s: 7200, effective_rpo_s: 7200, drill_every_s: 86_400 });
    const cleared = await (await call("PATCH", `/api/v1/checks/${check.uuid}`, { body: { rpo_s: null } })).json<any>();
    expect(cleared).toMatchObject({ rpo_s: null, effective_rpo_s: 4200, drill_every_s: 86_400 });
  });

  it.each([
    ["rpo_s", 10],
    ["rpo_s", "1h"],
    ["drill_every_s", 5],
    ["public_details", "yes"],
  ])("refuses %s = %j", async (field, value) => {
    const response = await call("POST", "/api/v1/checks", { body: { name: "bad", [field]: value } });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.details[0].field).toBe(field);
  });

  it("the OpenAPI document describes them and the settings route", async () => {
    const doc = await (await call("GET", "/api/openapi.json", { token: null })).json<any>();
    expect(doc.components.schemas.Check.properties).toHaveProperty("effective_rpo_s");
    expect(doc.components.schemas.CreateCheck.properties).toHaveProperty("drill_every_s");
    expect(doc.paths).toHaveProperty("/settings/status-page");
  });
});

describe("content negotiation and caching", () => {
  it("still answers JSON at / to clients that ask for it", async () => {
    const response = await getPublic("/", { Accept: "application/json" });
    expect(await response.json()).toMatchObject({ name: "lifeboat", api: "/api/v1" });
    expect(response.headers.get("Vary")).toBe("Accept");
    const browser = await getPublic("/", { Accept: "text/html,application/xhtml+xml,application/json;q=0.9" });
    expect(browser.headers.get("Content-Type")).toMatch(/^text\/html/);
  });

  it("is cached for 30 s by default, keyed on the path (a query string cannot force a render)", async () => {
    const cachedVars = { STATUS_CACHE_S: "" };
    const first = await getPublic("/feed.atom", {}, cachedVars);
    expect(first.headers.get("Cache-Control")).toBe("public, max-age=30");
    const before = await first.text();
    await createCheck({ name: "Appears later", public: true });
    await insertFlip(
      await checkIdOf((await call("GET", "/api/v1/checks/appears-later").then((r) => r.json<any>())).uuid),
      "up",
      "down",
      Date.now(),
    );
    expect(await (await getPublic("/feed.atom?x=1", {}, cachedVars)).text()).toBe(before);
    expect(await (await getPublic("/feed.atom")).text()).toContain("Appears later");
  });
});

/** Renders until every public check's finished days are memoized (the fill is bounded per render). */
async function renderUntilFilled() {
  const yesterday = Math.floor(Date.now() / DAY) - 1;
  for (let render = 0; render < 40; render++) {
    const html = await page();
    const stale = await env.DB.prepare(
      "SELECT count(*) AS n FROM checks c LEFT JOIN status_bars b ON b.check_id = c.id WHERE c.public = 1 AND coalesce(b.last_day, 0) < ?",
    )
      .bind(yesterday)
      .first<{ n: number }>();
    if (stale!.n === 0) return html;
  }
  throw new Error("the memo never filled");
}

const bytesOf = (html: string) => new TextEncoder().encode(html).length;

describe("size: 50 checks", () => {
  it("fit in 30 KB of HTML with no script (a fifth of them had trouble in the 90 days)", async () => {
    await exec("UPDATE checks SET public = 0");
    await exec("DELETE FROM maintenance_windows");
    const now = Date.now();
    const ids: { id: number; kind: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const kind = i % 2 ? "backup" : "heartbeat";
      const check = await createCheck({
        name: `Service number ${i} ${kind}`,
        kind,
        public: true,
        group: `Group ${i % 5}`,
      });
      const id = await checkIdOf(check.uuid);
      ids.push({ id, kind });
      await exec("UPDATE checks SET created_at = ? WHERE id = ?", now - 120 * DAY, id);
      await markUp(id, now - HOUR);
      const troubled = i % 5 === 0;
      if (kind === "backup") {
        // Nightly backups for 90 days; a troubled one missed a night.
        for (let d = 90; d >= 0; d--) if (!troubled || d !== 10 + i) await insertBackup(id, now - d * DAY - HOUR);
      } else if (troubled) {
        // At noon UTC, so the two hours down fall in one day (red) whatever time the test runs.
        const noon = Math.floor(now / DAY) * DAY + 12 * HOUR - (i + 1) * DAY;
        await insertFlip(id, "up", "down", noon, "timeout");
        await insertFlip(id, "down", "up", noon + 2 * HOUR, "ping");
      }
    }
    const html = await renderUntilFilled();
    const bytes = bytesOf(html);
    console.log(
      `status page, 50 checks (10 troubled): ${bytes} bytes of HTML, ${html.split("<rect").length - 1} bars drawn`,
    );
    expect(html).not.toMatch(/<script/i);
    expect(html.split("<h3>")).toHaveLength(51);
    expect(html).toContain('class="a"');
    expect(html).toContain('class="r"');
    expect(bytes).toBeLessThanOrEqual(30 * 1024);

    // For the record (docs/STATUS_PAGE.md): every check with a problem every few weeks.
    for (const { id, kind } of ids) {
      for (const d of [15, 40, 70]) {
        if (kind === "backup")
          await exec(
            "DELETE FROM backups WHERE check_id = ? AND received_at BETWEEN ? AND ?",
            id,
            now - d * DAY - 2 * HOUR,
            now - d * DAY,
          );
        else {
          await insertFlip(id, "up", "down", now - d * DAY, "timeout");
          await insertFlip(id, "down", "up", now - d * DAY + 2 * HOUR, "ping");
        }
      }
    }
    await exec("DELETE FROM status_bars");
    const troubled = await renderUntilFilled();
    console.log(
      `status page, 50 checks (all troubled 3 times): ${bytesOf(troubled)} bytes, ${troubled.split("<rect").length - 1} bars drawn`,
    );
  });
});
