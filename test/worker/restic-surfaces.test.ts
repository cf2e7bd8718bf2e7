import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, READER } from "../helpers/api";
import { createAgentKey, type AgentKey } from "../helpers/agent";
import { getPublic } from "../helpers/status";
import { restic, upload } from "../helpers/restic";
import { Browser } from "./admin-client";

// A restic repository where people look: /metrics, the status page and status.json (RPO from the
// newest snapshot), the admin API and the dashboard.

const HOUR = 3_600_000;
let key: AgentKey;
let snapshot: string;

beforeAll(async () => {
  const created = await call("POST", "/api/v1/checks", {
    body: {
      name: "Photos repository",
      slug: "photos",
      kind: "restic",
      period_s: 86_400,
      grace_s: 3600,
      public: true,
      public_details: true,
      quota_bytes: 10_000_000,
    },
  });
  expect(created.status).toBe(201);
  key = await createAgentKey(["photos"], ["restic"]);
  expect((await restic(key, "POST", "photos/?create=true")).status).toBe(200);
  await upload(key, "photos", "data", "d".repeat(40_000));
  await upload(key, "photos", "index", "i".repeat(500));
  snapshot = await upload(key, "photos", "snapshots", "s".repeat(300));
});

describe("restic surfaces", () => {
  it("/metrics: the newest snapshot as the newest good backup, and the repository's totals", async () => {
    const text = await (await call("GET", "/metrics", { token: READER })).text();
    const at = await env.DB.prepare("SELECT received_at AS t FROM restic_files WHERE name = ?")
      .bind(snapshot)
      .first<{ t: number }>();
    expect(text).toContain(`lifeboat_backup_last_good_timestamp_seconds{check="photos"} ${at!.t / 1000}`);
    expect(text).toContain('lifeboat_backup_last_good_size_bytes{check="photos"} 40800');
    expect(text).toContain('lifeboat_backup_rpo_seconds{check="photos"} 90000');
    expect(text).toMatch(/^lifeboat_backup_age_seconds\{check="photos"\} \d/m);
    expect(text).toContain('lifeboat_restic_stored_bytes{check="photos"} 40800');
    expect(text).toContain('lifeboat_restic_files{check="photos"} 3');
    expect(text).toContain('lifeboat_restic_snapshots{check="photos"} 1');
    expect(text).toContain('lifeboat_restic_quota_bytes{check="photos"} 10000000');
  });

  it("the admin API: sizes per type and the newest snapshots", async () => {
    const response = await call("GET", "/api/v1/checks/photos/restic", { token: READER });
    expect(response.status).toBe(200);
    const repo = await response.json<any>();
    expect(repo).toMatchObject({
      stored_bytes: 40_800,
      received_bytes: 40_800,
      quota_bytes: 10_000_000,
      files: 3,
      snapshots: 1,
    });
    expect(repo.types).toEqual([
      { type: "data", files: 1, bytes: 40_000 },
      { type: "index", files: 1, bytes: 500 },
      { type: "snapshots", files: 1, bytes: 300 },
    ]);
    expect(repo.latest_snapshots).toEqual([
      expect.objectContaining({ name: snapshot, added_bytes: 40_800, key_id: key.key_id }),
    ]);
    expect((await call("GET", "/api/v1/checks/nope/restic")).status).toBe(404);
    const storage = await (await call("GET", "/api/v1/storage", { token: READER })).json<any>();
    expect(storage.checks.find((c: any) => c.slug === "photos")).toMatchObject({ stored_bytes: 40_800, backups: 1 });
  });

  it("the status page and status.json: last snapshot, RPO, and over RPO when it is stale", async () => {
    const page = await getPublic("/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Photos repository");
    expect(html).toMatch(/Last snapshot [^<]*ago \(40\.8 kB added\)/);
    const json = await (await getPublic("/status.json")).json<any>();
    const photos = json.groups.flatMap((g: any) => g.checks).find((c: any) => c.name === "Photos repository");
    expect(photos).toMatchObject({ kind: "restic", state: "up", rpo_s: 90_000, last_good_backup_size: 40_800 });
    expect(Date.parse(photos.last_good_backup_at)).toBeGreaterThan(Date.now() - HOUR);

    // The snapshot ages past the RPO (25 h): the page says so even though the check was up.
    await env.DB.prepare("UPDATE restic_files SET received_at = received_at - ? WHERE name = ?")
      .bind(26 * HOUR, snapshot)
      .run();
    const stale = await (await getPublic("/status.json", {}, { STATUS_CACHE_S: "0" })).json<any>();
    const later = stale.groups.flatMap((g: any) => g.checks).find((c: any) => c.name === "Photos repository");
    expect(later.state).not.toBe("up");
    await env.DB.prepare("UPDATE restic_files SET received_at = received_at + ? WHERE name = ?")
      .bind(26 * HOUR, snapshot)
      .run();
  });

  it("a restic check that holds files cannot become another kind", async () => {
    const changed = await call("PATCH", "/api/v1/checks/photos", { body: { kind: "heartbeat" } });
    expect(changed.status).toBe(409);
    expect(((await changed.json()) as any).error.message).toContain("restic repository of 3 file(s)");
    expect((await (await call("GET", "/api/v1/checks/photos")).json<any>()).kind).toBe("restic");
  });

  it("the dashboard: the repository section on the check's page, and its restore points", async () => {
    const browser = await Browser.reader();
    const check = await (await call("GET", "/api/v1/checks/photos")).json<any>();
    const page = await browser.get(`/admin/checks/${check.uuid}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("restic repository");
    expect(page.html).toContain("/restic/photos/");
    expect(page.html).toContain("40.8 kB in 3 files");
    expect(page.html).toContain(snapshot.slice(0, 8));
    const overview = await browser.get("/admin");
    expect(overview.html).toMatch(/Photos repository<\/a><\/td><td class="num">1<\/td>/);
  });

  it("the dashboard's check form creates a restic repository with its quota, and a restic key", async () => {
    const browser = await Browser.admin();
    const form = await browser.get("/admin/checks/new");
    expect(form.html).toContain('value="restic"');
    expect(form.html).toContain('name="quota_bytes"');
    const created = await browser.post("/admin/checks", {
      name: "Mail repository",
      kind: "restic",
      period_s: "1d",
      grace_s: "2h",
      quota_bytes: "5000000000",
      min_age_days: "14",
    });
    expect(created.status, created.html.slice(0, 500)).toBe(303);
    const check = await (await call("GET", "/api/v1/checks/mail-repository")).json<any>();
    expect(check).toMatchObject({ kind: "restic", quota_bytes: 5_000_000_000, retention: { min_age_days: 14 } });

    const key = await browser.post("/admin/keys", { host: "mail-vps", checks: "mail-repository", scopes: ["restic"] });
    expect(key.status).toBe(201);
    expect(key.html).toContain("/restic/mail-repository/");
    const pruneAlone = await browser.post("/admin/keys", { host: "x", checks: "mail-repository", scopes: ["prune"] });
    expect(pruneAlone.status).toBe(400);
    expect(pruneAlone.html).toContain("only works together with");
  });
});
