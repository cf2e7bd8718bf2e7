import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createCheck, json } from "../helpers/api";
import { Browser } from "./admin-client";

// What the pages show, from rows seeded straight into D1 (backups, drills, storage) and real pings,
// and that user data never becomes markup on any of them.

const DAY = 86_400_000;
const HOSTILE = "<script>alert(1)</script>";

async function seedBackup(
  checkUuid: string,
  id: string,
  fields: { status: string; size: number; ageMs: number; log?: string },
) {
  const check = await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?").bind(checkUuid).first<{ id: number }>();
  await env.DB.prepare(
    `INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption, source, host,
       received_at, completed_at, failure_log)
     VALUES (?, ?, ?, ?, ?, 1, 1, 'gzip', 'none', 'postgres', 'db-host', ?, ?, ?)`,
  )
    .bind(
      id,
      check!.id,
      fields.status,
      fields.size,
      "0".repeat(64),
      Date.now() - fields.ageMs,
      Date.now() - fields.ageMs,
      fields.log ?? null,
    )
    .run();
  return check!.id;
}

const bk = (n: number) => `bk_${String(n).padStart(20, "0")}`;

describe("overview and check pages", () => {
  it("shows counts, success rates, storage against the quota, restore points and recent failures", async () => {
    const backup = await createCheck({ name: "pages db", kind: "backup" });
    await createCheck({ name: "pages heartbeat" });
    await seedBackup(backup.uuid, bk(1), { status: "complete", size: 1_000_000, ageMs: 2 * DAY });
    await seedBackup(backup.uuid, bk(2), { status: "complete", size: 1_200_000, ageMs: 20 * DAY });
    await seedBackup(backup.uuid, bk(3), {
      status: "failed",
      size: 500,
      ageMs: 3 * DAY,
      log: "pg_dump: error: connection refused",
    });
    await seedBackup(backup.uuid, bk(4), { status: "complete", size: 900_000, ageMs: 60 * DAY });
    const checkId = await seedBackup(backup.uuid, bk(5), { status: "suspicious", size: 1_000, ageMs: 10 * DAY });
    await env.DB.prepare(
      "INSERT INTO drills (backup_id, check_id, ok, duration_ms, message, reported_at) VALUES (?, ?, 1, 83400, 'ok', ?)",
    )
      .bind(bk(1), checkId, Date.now() - DAY)
      .run();
    await env.DB.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('stored_bytes', '3100500', 0)").run();
    expect((await call("PUT", "/api/v1/storage/quota", { body: { bytes: 10_000_000 } })).status).toBe(200);
    const failed = await call("POST", `/ping/${backup.uuid}/fail`, {
      token: null,
      body: "line 1\nFATAL: disk full <at> /var",
    });
    expect(failed.status).toBe(200);

    const browser = await Browser.admin();
    const page = await browser.get("/admin");
    expect(page.status).toBe(200);
    const html = page.html;
    expect(html).toContain('<strong>1</strong><span class="state state-down">down</span>');
    expect(html).toContain('<strong>1</strong><span class="state state-new">new</span>');
    // 7 days: 1 good, 2 bad (the failed backup, and the /fail ping's run, which registered none).
    // 30 days: 2 good, 3 bad (+ suspicious). 90 days: 3 good, 3 bad.
    expect(html).toMatch(/last 7 days<\/th><td class="num">33.3 %<\/td><td class="num">1<\/td><td class="num">2<\/td>/);
    expect(html).toMatch(/last 30 days<\/th><td class="num">40 %<\/td><td class="num">2<\/td><td class="num">3<\/td>/);
    expect(html).toMatch(/last 90 days<\/th><td class="num">50 %<\/td><td class="num">3<\/td><td class="num">3<\/td>/);
    expect(html).toContain("3.1 MB of 10 MB used (31 %)");
    expect(html).toMatch(/<meter[^>]*max="10000000"[^>]*value="3100500"/);
    // Restore points: 3 complete + 1 suspicious; newest 2 d, oldest 60 d; the drill a day ago.
    expect(html).toMatch(/pages db<\/a><\/td><td class="num">4<span class="bad"> \(1 suspicious\)<\/span><\/td>/);
    expect(html).toContain(">2 d ago</time>");
    expect(html).toContain(">60 d ago</time>");
    expect(html).toContain(">1 d ago</time>");
    expect(html).toContain("FATAL: disk full &lt;at&gt; /var</pre>");
  });

  it("draws the size trend as inline SVG and lists drills with their measured RTO", async () => {
    const backup = await createCheck({ name: "chart db", kind: "backup", keep_last: 2 });
    for (let i = 0; i < 4; i++) {
      await seedBackup(backup.uuid, bk(100 + i), { status: "complete", size: 1000 * (i + 1), ageMs: (30 - i) * DAY });
    }
    await seedBackup(backup.uuid, bk(110), { status: "failed", size: 10, ageMs: DAY, log: "tar: exit 2" });
    const check = await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?")
      .bind(backup.uuid)
      .first<{ id: number }>();
    await env.DB.prepare(
      "INSERT INTO drills (backup_id, check_id, ok, duration_ms, message, reported_at) VALUES (?, ?, 0, 125500, 'restore failed: 3 tables missing', ?)",
    )
      .bind(bk(103), check!.id, Date.now() - DAY)
      .run();

    const page = await (await Browser.admin()).get(`/admin/checks/${backup.uuid}`);
    expect(page.status).toBe(200);
    const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(page.html)![0];
    expect(svg.match(/<circle /g)).toHaveLength(5);
    expect(svg.match(/class="pt-failed"/g)).toHaveLength(1);
    expect(svg).toMatch(/<polyline class="line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(svg).toContain("5 backup(s) from");
    expect(page.html).toContain("2 min 5.5 s");
    expect(page.html).toContain("restore failed: 3 tables missing");
    // Retention keeps the last 2 and would delete the two older good ones (and the failed one is kept by age).
    expect(page.html.match(/class="bad">delete \(/g)?.length).toBeGreaterThanOrEqual(2);
    expect(page.html).toContain("keep (");
  });

  it("shows the ping log with the log's tail", async () => {
    const check = await createCheck({ name: "log tail" });
    const long = "x".repeat(5000) + "THE END";
    await call("POST", `/ping/${check.uuid}`, { token: null, body: long });
    const page = await (await Browser.admin()).get(`/admin/checks/${check.uuid}`);
    expect(page.html).toContain("last 2000 characters");
    expect(page.html).toContain("THE END</pre>");
    expect(page.html).not.toContain("x".repeat(2100));
  });
});

describe("user data is escaped everywhere", () => {
  it(`renders a check, channel and key named ${HOSTILE} as text on every page`, async () => {
    const check = await createCheck({
      name: HOSTILE,
      slug: "hostile",
      kind: "backup",
      desc: `<img src=x onerror=alert(1)>`,
      group: `"><script>alert(2)</script>`,
      tags: ["x"],
      public: true,
    });
    await call("POST", "/api/v1/channels", {
      // Filtered to no check, so the failing ping below alerts nobody.
      body: { kind: "webhook", name: HOSTILE, url: "https://example.com/<script>", filter: { checks: ["nobody"] } },
    });
    await call("POST", "/api/v1/keys", { body: { host: HOSTILE, checks: "*" } });
    await call("POST", `/ping/${check.uuid}/fail`, { token: null, body: `${HOSTILE}\n<svg onload=alert(3)>` });
    await seedBackup(check.uuid, bk(200), { status: "failed", size: 1, ageMs: DAY, log: HOSTILE });

    const browser = await Browser.admin();
    const channel = (await json(call("GET", "/api/v1/channels"))).channels.find((c: any) => c.name === HOSTILE);
    const paths = [
      "/admin",
      `/admin/checks/${check.uuid}`,
      `/admin/checks/${check.uuid}/edit`,
      "/admin/channels",
      `/admin/channels/${channel.uuid}/edit`,
      "/admin/keys",
    ];
    for (const path of paths) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.html, path).not.toMatch(/<script|<img|<svg onload|<[^>]*\sonerror=/i);
      expect(page.html, path).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
    // A form that refuses the input shows it back escaped too.
    const refused = await browser.post("/admin/checks", { name: HOSTILE, slug: "hostile" });
    expect(refused.status).toBe(400);
    expect(refused.html).not.toMatch(/<script/i);
    expect(refused.html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});
