import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDb, prepare } from "../../worker/services/db";
import { loadStatus } from "../../worker/services/status";
import { StatusPage } from "../../worker/views/status/page";
import { MAX_FILL_CHECK_DAYS } from "../../worker/services/status-bars";
import * as q from "../../worker/services/status-queries";
import { createCheck } from "../helpers/api";
import { checkIdOf, DAY, exec, getPublic, HOUR, insertBackup, markUp } from "../helpers/status";

const yesterday = () => Math.floor(Date.now() / DAY) - 1;
const memoOf = (id: number) =>
  env.DB.prepare("SELECT last_day, days FROM status_bars WHERE check_id = ?")
    .bind(id)
    .first<{ last_day: number; days: string }>();

async function backupCheck(name: string, ageDays: number, isPublic = true) {
  const check = await createCheck({ name, kind: "backup", public: isPublic });
  const id = await checkIdOf(check.uuid);
  const now = Date.now();
  await exec("UPDATE checks SET created_at = ? WHERE id = ?", now - ageDays * DAY, id);
  for (let d = Math.min(ageDays, 95); d >= 0; d--) await insertBackup(id, now - d * DAY - HOUR);
  await markUp(id, now - HOUR);
  return id;
}

describe("finished days are computed once and kept", () => {
  it("a render stores each public check's finished days; private checks are not touched", async () => {
    const shown = await backupCheck("memo shown", 30);
    const hidden = await backupCheck("memo hidden", 30, false);
    await getPublic("/");
    const memo = await memoOf(shown);
    expect(memo!.last_day).toBe(yesterday());
    // Days before the check existed are not stored: they are grey without any read.
    expect(JSON.parse(memo!.days)).toHaveLength(30);
    expect(JSON.parse(memo!.days).every(([colour]: [string]) => colour === "g")).toBe(true);
    expect(await memoOf(hidden)).toBeNull();
  });

  it("a finished day is never judged again: deleting its backups changes only today", async () => {
    const id = await backupCheck("memo kept", 10);
    await exec("UPDATE checks SET public = 0 WHERE id != ?", id);
    await getPublic("/");
    await exec("DELETE FROM backups WHERE check_id = ?", id);
    const html = await (await getPublic("/")).text();
    expect(html).toMatch(/<rect x="79" width="10" height="1" class="g" role="img"><title>[^<]*: within RPO/);
    expect(html).toMatch(/<rect x="89" width="1" height="1" class="r" role="img"><title>[^<]*: over 2× RPO/);
  });

  it("fills a long history over several renders, within its budget per render", async () => {
    await exec("UPDATE checks SET public = 0");
    const ids = [await backupCheck("long a", 200), await backupCheck("long b", 200), await backupCheck("long c", 200)];
    await getPublic("/");
    const filled = await Promise.all(ids.map(memoOf));
    const stored = filled.map((m) => (m ? JSON.parse(m.days).length : 0));
    expect(stored.reduce((a, b) => a + b, 0)).toBe(MAX_FILL_CHECK_DAYS);
    const first = await (await getPublic("/")).text();
    expect(first).not.toContain("not computed yet");
    for (const id of ids) expect((await memoOf(id))!.last_day).toBe(yesterday());
  });

  it("shows days not filled yet as such, not as a colour they may not have", async () => {
    await exec("UPDATE checks SET public = 0");
    await exec("DELETE FROM status_bars");
    for (let i = 0; i < 3; i++) await exec("UPDATE checks SET public = 1 WHERE name = ?", `long ${"abc"[i]}`);
    const html = await (await getPublic("/")).text();
    expect(html).toContain("not computed yet");
  });
});

describe("rows read per render", () => {
  it("stay a few per check once the finished days are memoized", async () => {
    await exec("UPDATE checks SET public = 0");
    const now = Date.now();
    for (let i = 0; i < 50; i++) {
      const check = await createCheck({ name: `rows ${i}`, kind: i % 2 ? "backup" : "heartbeat", public: true });
      const id = await checkIdOf(check.uuid);
      await exec("UPDATE checks SET created_at = ? WHERE id = ?", now - 100 * DAY, id);
      await markUp(id, now - HOUR);
      if (i % 2) for (let d = 3; d >= 0; d--) await insertBackup(id, now - d * DAY - HOUR);
    }
    await getPublic("/");
    await getPublic("/"); // memo complete
    const db = openDb(env.DB);
    const statements = [
      q.statusSetting,
      q.publicChecks,
      q.storedBars,
      q.changesSince(q.PUBLIC_IDS, now - 14 * DAY),
      q.pointsSince({ backup: q.PUBLIC_BACKUP_IDS, restic: q.PUBLIC_RESTIC_IDS }, Math.floor(now / DAY) * DAY),
      q.latestDrills,
      q.allWindows,
    ];
    const results = await env.DB.batch(statements.map((s) => prepare(db, s)));
    const rowsRead = results.map((r) => r.meta.rows_read);
    const total = rowsRead.reduce((a, b) => a + b, 0);
    console.log(`rows read per render, 50 public checks (25 backup, daily): ${total} (${rowsRead.join(" + ")})`);
    // The Worker's own time per render (JavaScript, D1 excluded), for docs/BENCHMARKS.md; not asserted.
    const batch = db.$client.batch.bind(db.$client);
    let inD1 = 0;
    const timed = Object.assign(Object.create(db), {
      $client: Object.assign(Object.create(db.$client), {
        batch: async (s: D1PreparedStatement[]) => {
          const start = performance.now();
          const out = await batch(s);
          inD1 += performance.now() - start;
          return out;
        },
      }),
    });
    const renders = 20;
    const start = performance.now();
    for (let i = 0; i < renders; i++)
      await StatusPage({ snapshot: await loadStatus(timed, undefined, Date.now()) }).toString();
    const jsMs = (performance.now() - start - inD1) / renders;
    console.log(`JavaScript per render, 50 checks: ${jsMs.toFixed(2)} ms (D1 waits excluded)`);
    // ~18 per check: the check, its memo row, its flips and newest restore points (index entries count too).
    expect(total).toBeLessThan(50 * 20);
  });
});
