import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { backupSuccessRates } from "../../worker/services/dashboard";
import { openDb } from "../../worker/services/db";
import { call, createCheck } from "../helpers/api";
import { createAgentKey, signedJson } from "../helpers/agent";
import { bytesOf, manifestOf, MiB, putPart, split, uploadBackup } from "../helpers/backups";
import { Browser } from "./admin-client";

// Issue 14, item 8: the overview's backup success rate counts runs, not only registered backups. A
// pg_dump that fails before anything is uploaded reaches the server only as a /fail ping; the rate
// must count it, and a failure that did register a backup must count once, not twice.

const db = openDb(env.DB);
const week = (rates: Awaited<ReturnType<typeof backupSuccessRates>>) => rates.find((r) => r.days === 7)!;

async function registerAndFail(key: Awaited<ReturnType<typeof createAgentKey>>, check: string, log: string) {
  const data = bytesOf(1000, 7);
  const s = await split(data, MiB);
  const created = await signedJson(key, "POST", "/v1/backups", manifestOf(check, data, s, MiB));
  expect(created.status).toBe(201);
  expect((await putPart(key, created.body.id, 0, s.chunks[0]!)).status).toBe(201);
  expect((await signedJson(key, "POST", `/v1/backups/${created.body.id}/fail`, { log })).status).toBe(200);
}

describe("backup success rate", () => {
  it("counts a failure that never registered a backup, so it cannot read 100 % above that failure", async () => {
    await createCheck({ name: "nightly-db", slug: "nightly-db", kind: "backup" });
    const key = await createAgentKey(["nightly-db"], ["upload", "read", "ping"]);
    await uploadBackup(key, "nightly-db", bytesOf(50_000, 1));
    const before = week(await backupSuccessRates(db, Date.now()));
    expect(before).toMatchObject({ good: 1, bad: 0 });

    // The agent's pg_dump failed: no backup was registered, only the check's /fail ping arrived.
    const check = await env.DB.prepare("SELECT uuid FROM checks WHERE slug = 'nightly-db'").first<{ uuid: string }>();
    expect((await call("POST", `/ping/${check!.uuid}/fail`, { token: null, body: "pg_dump: error" })).status).toBe(200);
    expect(week(await backupSuccessRates(db, Date.now()))).toMatchObject({ good: 1, bad: 1 });

    const page = await (await Browser.admin()).get("/admin");
    expect(page.html).toMatch(
      /last 7 days<\/th><td class="num">50 %<\/td><td class="num">1<\/td><td class="num">1<\/td>/,
    );
    expect(page.html).toContain('nightly-db</a> <span class="bad">failed</span>');
  });

  it("counts a registered failure or a suspicious backup once, though each also sends a fail ping", async () => {
    await createCheck({ name: "once-db", slug: "once-db", kind: "backup" });
    const key = await createAgentKey(["once-db"], ["upload", "read", "ping"]);
    for (let i = 0; i < 3; i++) await uploadBackup(key, "once-db", bytesOf(100_000 + i, 10 + i));
    await registerAndFail(key, "once-db", "tar: exit 2");
    // Far smaller than the median of the last ones: complete but suspicious, and a fail ping.
    const shrunk = await uploadBackup(key, "once-db", bytesOf(100, 3));
    expect(shrunk.backup.status).toBe("suspicious");

    const pings = await env.DB.prepare(
      "SELECT kind, count(*) AS n FROM pings WHERE check_id = (SELECT id FROM checks WHERE slug = 'once-db') GROUP BY kind ORDER BY kind",
    ).all<{ kind: string; n: number }>();
    expect(pings.results).toEqual([
      { kind: "fail", n: 2 },
      { kind: "success", n: 3 },
    ]);
    const rates = await backupSuccessRates(db, Date.now());
    // Both checks of this file: nightly-db (1 good, 1 failed run) and once-db (3 good, 2 bad).
    expect(week(rates)).toMatchObject({ good: 4, bad: 3 });
  });

  it("counts exit-status and too-short runs of backup checks, and no heartbeat check's pings", async () => {
    const backup = await createCheck({ name: "script-db", kind: "backup", min_duration_s: 60 });
    const heartbeat = await createCheck({ name: "web heartbeat" });
    const ping = (uuid: string, suffix = "") => call("POST", `/ping/${uuid}${suffix}`, { token: null });
    await ping(backup.uuid, "/0"); // good
    await ping(backup.uuid, "/2"); // bad
    await ping(backup.uuid, "/start");
    await ping(backup.uuid); // too short: bad
    await ping(backup.uuid, "/log"); // not a run
    await ping(heartbeat.uuid, "/fail");
    await ping(heartbeat.uuid);
    expect(week(await backupSuccessRates(db, Date.now()))).toMatchObject({ good: 5, bad: 5 });
  });

  it("keeps counting a backup retention deleted as what it was", async () => {
    const backup = await createCheck({ name: "old-db", kind: "backup" });
    const id = await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?").bind(backup.uuid).first<{ id: number }>();
    const at = Date.now() - 20 * 86_400_000;
    for (const [n, from] of [
      [1, "complete"],
      [2, "suspicious"],
    ] as const) {
      await env.DB.prepare(
        `INSERT INTO backups (id, check_id, status, tombstoned_from, size, sha256, part_size, part_count, compression,
           encryption, source, host, received_at, completed_at)
         VALUES (?, ?, 'deleted', ?, 10, ?, 1, 1, 'gzip', 'none', 'postgres', 'h', ?, ?)`,
      )
        .bind(`bk_old${String(n).padStart(17, "0")}`, id!.id, from, "0".repeat(64), at, at)
        .run();
    }
    const month = (await backupSuccessRates(db, Date.now())).find((r) => r.days === 30)!;
    expect(month).toMatchObject({ good: 6, bad: 6 });
  });
});
