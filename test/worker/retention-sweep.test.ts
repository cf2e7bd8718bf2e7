import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../worker/services/db";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { purgeUnreferenced } from "../../worker/services/storage";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck, json } from "../helpers/api";

// Retention wired into the API and the sweep, on miniflare's D1 and R2. The planner's semantics
// are tested on their own in retention.test.ts and retention-properties.test.ts.

const DAY = 86_400_000;
const receiver = inject("receiverUrl");
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

/** Seeds complete backups straight into D1 (one small part each, in R2 too), received `daysAgo` each. */
async function seed(slug: string, daysAgo: number[], now = Date.now()) {
  const check = await json(call("GET", `/api/v1/checks/${slug}`));
  const { id: checkId } = (await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?")
    .bind(check.uuid)
    .first<{ id: number }>())!;
  const ids: string[] = [];
  for (const [i, days] of daysAgo.entries()) {
    const id = `bk_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const sha = `${checkId.toString(16).padStart(8, "0")}${i.toString(16).padStart(56, "0")}`;
    const key = `blobs/${check.uuid}/${sha}/seed`;
    await env.BUCKET.put(key, `part ${i}`);
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption,
        source, host, received_at, completed_at) VALUES (?, ?, 'complete', 6, ?, 6, 1, 'gzip', 'none', 'postgres', 'seed', ?, ?)`,
      ).bind(id, checkId, sha, now - days * DAY, now - days * DAY),
      env.DB.prepare("INSERT INTO backup_parts (backup_id, idx, size, sha256) VALUES (?, 0, 6, ?)").bind(id, sha),
      env.DB.prepare(
        "INSERT INTO blobs (check_id, sha256, size, r2_key, stored, refs, created_at) VALUES (?, ?, 6, ?, 1, 1, ?)",
      ).bind(checkId, sha, key, now),
    ]);
    ids.push(id);
  }
  return { check, ids };
}

const statusOf = async (id: string) => (await json(call("GET", `/api/v1/backups/${id}`))).status;

describe("retention from the sweep", () => {
  it("previews what it keeps and why, then tombstones the rest, hides them, and purges them later", async () => {
    await createCheck({ name: "gfs", slug: "gfs", kind: "backup", keep_daily: 3, min_age_days: 1, tombstone_days: 2 });
    const { check, ids } = await seed("gfs", [0.1, 1.1, 2.1, 3.1, 4.1, 5.1]);

    const preview = await json(call("GET", "/api/v1/checks/gfs/retention"));
    expect(preview.enabled).toBe(true);
    expect(preview.keep.map((k: any) => k.id)).toEqual(ids.slice(0, 3));
    expect(preview.keep[0].reasons).toEqual(expect.arrayContaining(["newest", "min age"]));
    expect(preview.keep[2].reasons.some((r: string) => r.startsWith("daily "))).toBe(true);
    expect(preview.delete.map((d: any) => d.id)).toEqual(ids.slice(3));

    await sweepAt(Date.now());
    expect(await Promise.all(ids.map(statusOf))).toEqual([
      "complete",
      "complete",
      "complete",
      "tombstoned",
      "tombstoned",
      "tombstoned",
    ]);
    expect((await json(call("GET", "/api/v1/backups?check=gfs&status=tombstoned"))).backups).toHaveLength(3);

    // Undelete within the tombstone period brings one back; the rest are purged after it.
    expect((await json(call("POST", `/api/v1/backups/${ids[5]}/undelete`))).status).toBe("complete");
    await call("PATCH", "/api/v1/checks/gfs", { body: { keep_daily: 10 } }); // so the next plan keeps it
    await sweepAt(Date.now() + 2 * DAY + 60_000);
    expect(await statusOf(ids[5]!)).toBe("complete");
    expect((await call("GET", `/api/v1/backups/${ids[3]}`)).status).toBe(404);
    const left = (await env.BUCKET.list({ prefix: `blobs/${check.uuid}/` })).objects.length;
    expect(left).toBe(4);
  });

  it("never tombstones inside the immutability window or the newest complete backup", async () => {
    await createCheck({ name: "young", slug: "young", kind: "backup", keep_last: 1, min_age_days: 7 });
    const { ids } = await seed("young", [0.5, 1, 2, 3, 8, 9]);
    await sweepAt(Date.now());
    expect(await Promise.all(ids.map(statusOf))).toEqual([
      "complete",
      "complete",
      "complete",
      "complete",
      "tombstoned",
      "tombstoned",
    ]);
  });

  it("a check without keep rules keeps everything", async () => {
    // keep_last 0: retention off on purpose (without any keep field a new check gets the default policy).
    await createCheck({ name: "keep all", slug: "keep-all", kind: "backup", keep_last: 0, min_age_days: 0 });
    const { ids } = await seed("keep-all", [10, 100, 1000]);
    await sweepAt(Date.now());
    expect(await Promise.all(ids.map(statusOf))).toEqual(["complete", "complete", "complete"]);
    expect((await json(call("GET", "/api/v1/checks/keep-all/retention"))).enabled).toBe(false);
  });

  it("alerts in words when the history falls short of the policy", async () => {
    const inbox = "retention-short";
    await call("POST", "/api/v1/channels", {
      body: { kind: "webhook", url: `${receiver}/hook/${inbox}`, filter: { checks: ["short"] } },
    });
    await createCheck({ name: "short", slug: "short", kind: "backup", keep_daily: 7 });
    await seed("short", [0.1, 1.1, 2.1, 6.1, 9.1]);
    await sweepAt(Date.now());
    const check = await json(call("GET", "/api/v1/checks/short"));
    expect(check.retention.problem).toMatch(/policy keeps 7 daily restore points; only \d exist in the last 7 days/);
    const received = (await (await fetch(`${receiver}/_requests/${inbox}`)).json()) as any[];
    const bodies = received.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.event)).toEqual(["check.retention"]);
    expect(bodies[0].detail).toBe(check.retention.problem);
    await sweepAt(Date.now() + 60_000); // still short: no second alert
    expect(((await (await fetch(`${receiver}/_requests/${inbox}`)).json()) as any[]).length).toBe(1);
  });
});

describe("retention policy input", () => {
  it.each([
    ["a negative count", { keep_daily: -1 }, "keep_daily"],
    ["a fractional count", { keep_weekly: 1.5 }, "keep_weekly"],
    ["a negative window", { min_age_days: -1 }, "min_age_days"],
  ])("refuses %s, naming the field", async (_, fields, field) => {
    const response = await call("POST", "/api/v1/checks", {
      body: { name: `bad ${field}`, kind: "backup", ...fields },
    });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.details.map((d: any) => d.field)).toContain(field);
  });
});

describe("purging at scale", () => {
  it("5,000 tombstoned backups are purged within the per-run bounds", async () => {
    await createCheck({ name: "bulk", slug: "bulk", kind: "backup", min_age_days: 0, tombstone_days: 0 });
    const check = await json(call("GET", "/api/v1/checks/bulk"));
    const { id: checkId } = (await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?")
      .bind(check.uuid)
      .first<{ id: number }>())!;
    const now = Date.now();
    await env.DB.prepare(
      `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
      INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption, source, host,
        received_at, tombstoned_at, tombstoned_from, purge_after)
      SELECT printf('bk_f%019d', i), ?1, 'tombstoned', 1, printf('f%063d', i), 1, 1, 'none', 'none', 'command', 'seed',
        ?2 - i * 1000, ?2, 'complete', ?2 FROM n`,
    )
      .bind(checkId, now)
      .run();
    await env.DB.prepare(
      `
      INSERT INTO backup_parts (backup_id, idx, size, sha256) SELECT id, 0, 1, sha256 FROM backups WHERE check_id = ?1`,
    )
      .bind(checkId)
      .run();
    await env.DB.prepare(
      `
      INSERT INTO blobs (check_id, sha256, size, r2_key, stored, refs, created_at)
      SELECT ?1, sha256, 1, 'blobs/' || ?2 || '/' || sha256 || '/seed', 1, 1, ?3 FROM backups WHERE check_id = ?1`,
    )
      .bind(checkId, check.uuid, now)
      .run();
    const keys = (
      await env.DB.prepare("SELECT r2_key FROM blobs WHERE check_id = ?").bind(checkId).all<{ r2_key: string }>()
    ).results;
    for (let i = 0; i < keys.length; i += 100)
      await Promise.all(keys.slice(i, i + 100).map((k) => env.BUCKET.put(k.r2_key, "x")));

    let runs = 0;
    let objects = keys.length;
    while (objects > 0 && runs < 50) {
      const report = await sweepAt(now + 60_000 * (runs + 1));
      runs++;
      expect(report.purgedBackups).toBeLessThanOrEqual(1000);
      expect(report.purgedObjects).toBeLessThanOrEqual(1000);
      objects = (await env.BUCKET.list({ prefix: `blobs/${check.uuid}/`, limit: 1000 })).objects.length;
    }
    console.log(`purged 5,000 tombstoned backups (5,000 R2 objects) in ${runs} sweep invocations`);
    expect(objects).toBe(0);
    expect(runs).toBeLessThanOrEqual(6);
  });
});

describe("planning at scale", () => {
  it("plans a check with 10,000 backups (history load from D1 included)", async () => {
    await createCheck({
      name: "ten thousand",
      slug: "ten-k",
      kind: "backup",
      keep_daily: 30,
      keep_monthly: 12,
      min_age_days: 7,
    });
    const check = await json(call("GET", "/api/v1/checks/ten-k"));
    const { id: checkId } = (await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?")
      .bind(check.uuid)
      .first<{ id: number }>())!;
    const now = Date.now();
    // One backup every hour for 10,000 hours (~14 months).
    await env.DB.prepare(
      `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
      INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption, source, host, received_at)
      SELECT printf('bk_e%019d', i), ?1, 'complete', 1, printf('e%063d', i), 1, 1, 'none', 'none', 'command', 'seed', ?2 - i * 3600000
      FROM n`,
    )
      .bind(checkId, now)
      .run();
    const started = performance.now();
    const preview = await json(call("GET", "/api/v1/checks/ten-k/retention"));
    const elapsed = performance.now() - started;
    console.log(
      `retention preview of 10,000 backups: ${elapsed.toFixed(0)} ms (keep ${preview.keep.length}, delete ${preview.delete.length})`,
    );
    expect(preview.keep.length + preview.delete.length).toBe(10_000);
    expect(preview.delete.length).toBeGreaterThan(9_000);
  });
});

describe("a bucket lock refusing a delete", () => {
  it("keeps the keys in the purge queue for a day instead of blocking it", async () => {
    const now = Date.now();
    await env.BUCKET.put("blobs/locked/example", "young bytes");
    await env.DB.prepare("INSERT INTO purge_queue (r2_key, size, queued_at) VALUES ('blobs/locked/example', 11, ?)")
      .bind(now)
      .run();
    // R2 answers a delete under a lock rule with an error; this wrapper answers the same way.
    const locked = new Proxy(env.BUCKET, {
      get: (bucket, name) =>
        name === "delete"
          ? () => Promise.reject(new Error("object is locked by a bucket lock rule"))
          : Reflect.get(bucket, name).bind(bucket),
    });
    expect(await purgeUnreferenced(openDb(env.DB), locked, now)).toBe(0);
    expect(await env.BUCKET.head("blobs/locked/example")).not.toBeNull();
    expect(await purgeUnreferenced(openDb(env.DB), env.BUCKET, now + 60_000)).toBe(0); // not before a day
    expect(await purgeUnreferenced(openDb(env.DB), env.BUCKET, now + DAY + 60_000)).toBe(1);
    expect(await env.BUCKET.head("blobs/locked/example")).toBeNull();
  });
});
