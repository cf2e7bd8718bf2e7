import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/domain/signing";
import { applyRetention } from "../../worker/services/retention";
import { openDb } from "../../worker/services/db";
import { call, createCheck, fetchWorker, json } from "../helpers/api";
import { createAgentKey, sendSigned, signedJson, signedRequest, type AgentKey } from "../helpers/agent";
import { bytesOf, manifestOf, putPart, split, uploadBackup } from "../helpers/backups";
import { rowsWritten, snapshotDb, total } from "../helpers/db-state";
import {
  adminDownload,
  checkRow,
  downloadsIdentical,
  refcountProblems,
  refcounts,
  sweepAt,
} from "../helpers/integrity";
import { Browser, formFields } from "./admin-client";

// Issue 13, findings 1–4: each test here failed on main before the fix (see the commit message).

const PART = 1024;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A backup check with an upload-only key (a compromised VPS) and a key that may also read. */
async function backupCheck(slug: string, fields: Record<string, unknown> = {}) {
  await createCheck({ name: slug, slug, kind: "backup", ...fields });
  const upload = await createAgentKey([slug], ["upload"]);
  const reader = await createAgentKey([slug], ["upload", "read", "ping"]);
  return { upload, reader, ...(await checkRow(slug)) };
}

/** B1 complete, then B2 registered with the very same parts (nothing to send: every part shared). */
async function twoSharingBackups(key: AgentKey, slug: string, seed: number) {
  const data = bytesOf(3 * PART - 17, seed);
  const b1 = await uploadBackup(key, slug, data, PART);
  const created = await signedJson(key, "POST", "/v1/backups", manifestOf(slug, data, await split(data, PART), PART));
  expect([created.status, created.body.missing]).toEqual([201, []]);
  return { data, b1: b1.id, b2: created.body.id as string };
}

/** Sweeps now and a day later (abandon, purge tombstones, purge unreferenced parts). */
async function sweepTwice() {
  await sweepAt(Date.now());
  await sweepAt(Date.now() + 25 * HOUR);
}

describe("finding 1: counters move only with their status change", () => {
  it("12 concurrent /fail from an upload-only key on a backup sharing parts take one reference, not twelve", async () => {
    const { upload, id } = await backupCheck("f1-fail", { min_age_days: 7 });
    const { data, b1, b2 } = await twoSharingBackups(upload, "f1-fail", 101);
    expect((await refcounts(id)).map((r) => r.refs)).toEqual([2, 2, 2]);

    const answers = await Promise.all(
      Array.from({ length: 12 }, () => signedJson(upload, "POST", `/v1/backups/${b2}/fail`, { log: "x" })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(11).fill(409)]);
    expect(await refcountProblems(id)).toEqual([]);
    expect((await refcounts(id)).map((r) => r.refs)).toEqual([1, 1, 1]);

    await sweepTwice();
    expect((await signedJson(upload, "GET", `/v1/backups/${b1}`)).body).toMatchObject({
      status: "complete",
      missing: [],
    });
    expect(await downloadsIdentical(b1, data)).toBe(true);
  });

  it("a raced /fail writes nothing: no ping row, no nonce, no counter", async () => {
    const { upload, id } = await backupCheck("f1-raced");
    const { b2 } = await twoSharingBackups(upload, "f1-raced", 102);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => signedJson(upload, "POST", `/v1/backups/${b2}/fail`, { log: "boom" })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const pings = await env.DB.prepare("SELECT count(*) AS n FROM pings WHERE check_id = ? AND kind = 'fail'")
      .bind(id)
      .first<{ n: number }>();
    expect(pings!.n).toBe(1);
    expect(await refcountProblems(id)).toEqual([]);
    const nonces = await env.DB.prepare("SELECT count(*) AS n FROM nonces WHERE key_id = ?")
      .bind(upload.key_id)
      .first<{ n: number }>();
    // uploadBackup's requests (create, 3 parts, complete), B2's create, and the one /fail that applied.
    expect(nonces!.n).toBe(5 + 1 + 1);
  });

  it("concurrent complete and fails: one wins, the losers write nothing and move no counter", async () => {
    const { upload, id } = await backupCheck("f1-both");
    for (let round = 0; round < 3; round++) {
      const { data, b1, b2 } = await twoSharingBackups(upload, "f1-both", 110 + round);
      const before = await snapshotDb();
      // The fails are staggered by D1 round trips so that some read the backup while the complete is under way.
      const later = async (trips: number) => {
        for (let i = 0; i < trips; i++) await env.DB.prepare("SELECT 1").first();
      };
      const answers = await Promise.all([
        signedJson(upload, "POST", `/v1/backups/${b2}/complete`),
        ...Array.from({ length: 10 }, (_, i) =>
          later(i).then(() => signedJson(upload, "POST", `/v1/backups/${b2}/fail`, { log: "raced" })),
        ),
      ]);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 409)).toBe(true);
      const written = rowsWritten(before, await snapshotDb());
      // Only the winner wrote: its nonce, the backup row, the check, one ping (and a failure's refs).
      expect([written.nonces, written.pings]).toEqual([1, 1]);
      expect(await refcountProblems(id)).toEqual([]);
      await sweepTwice();
      expect(await downloadsIdentical(b1, data)).toBe(true);
    }
  });

  it("a failed upload that is tombstoned and purged does not give its shared parts back twice", async () => {
    const { upload, id } = await backupCheck("f1-failed-tombstone", { min_age_days: 0, tombstone_days: 0 });
    const { data, b1, b2 } = await twoSharingBackups(upload, "f1-failed-tombstone", 130);
    expect((await signedJson(upload, "POST", `/v1/backups/${b2}/fail`, { log: "x" })).status).toBe(200);
    // Retention plans failed backups away too; the admin API may tombstone one past its window.
    expect((await call("DELETE", `/api/v1/backups/${b2}`)).status).toBe(200);
    await sweepTwice();
    expect(await refcountProblems(id)).toEqual([]);
    expect(await downloadsIdentical(b1, data)).toBe(true);
  });

  it("stored bytes count each stored part once, however many times it is sent at once", async () => {
    const { upload } = await backupCheck("f1-bytes");
    const data = bytesOf(2 * PART, 120);
    const s = await split(data, PART);
    const before = (await json(call("GET", "/api/v1/storage"))).stored_bytes;
    const created = await signedJson(upload, "POST", "/v1/backups", manifestOf("f1-bytes", data, s, PART));
    const puts = await Promise.all(Array.from({ length: 6 }, () => putPart(upload, created.body.id, 0, s.chunks[0]!)));
    expect(puts.every((p) => p.status === 200 || p.status === 201)).toBe(true);
    expect((await json(call("GET", "/api/v1/storage"))).stored_bytes).toBe(before + PART);
  });
});

describe("one unit of work per request: the nonce is written with the request's writes or not at all", () => {
  it("the same signed /fail sent twice at once applies once; the copy writes nothing", async () => {
    const { upload, id } = await backupCheck("uow-replay");
    const { b2 } = await twoSharingBackups(upload, "uow-replay", 140);
    const options = {
      body: JSON.stringify({ log: "x" }),
      nonce: "ab".repeat(16),
      timestamp: Math.floor(Date.now() / 1000),
    };
    const before = await snapshotDb();
    const answers = await Promise.all([
      fetchWorker(await signedRequest(upload, `/v1/backups/${b2}/fail`, options)),
      fetchWorker(await signedRequest(upload, `/v1/backups/${b2}/fail`, options)),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const written = rowsWritten(before, await snapshotDb());
    expect([written.nonces, written.pings]).toEqual([1, 1]);
    expect(await refcountProblems(id)).toEqual([]);
    // Sent again later, it is refused before the route does anything.
    const replay = await fetchWorker(await signedRequest(upload, `/v1/backups/${b2}/fail`, options));
    expect([replay.status, (await replay.json<any>()).error.code]).toEqual([401, "replayed_nonce"]);
  });

  it("a replayed download is refused and streams nothing; the original stored its nonce", async () => {
    const { reader } = await backupCheck("uow-download");
    const data = bytesOf(2 * PART, 141);
    const { id } = await uploadBackup(reader, "uow-download", data, PART);
    const options = { method: "GET", nonce: "cd".repeat(16), timestamp: Math.floor(Date.now() / 1000) };
    const first = await fetchWorker(await signedRequest(reader, `/v1/backups/${id}/content`, options));
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(data);
    const again = await fetchWorker(await signedRequest(reader, `/v1/backups/${id}/content`, options));
    expect([again.status, (await again.json<any>()).error.code]).toEqual([401, "replayed_nonce"]);
  });
});

const NO_KEEP_RULES = { keep_hourly: null, keep_daily: null, keep_weekly: null, keep_monthly: null, keep_yearly: null };

describe("finding 2: immutable until the window it was received with", () => {
  it("admin PATCH min_age_days 0 / tombstone_days 0 then DELETE a minutes-old backup: refused, bytes kept", async () => {
    const { upload } = await backupCheck("f2-admin", { min_age_days: 7 });
    const data = bytesOf(2 * PART, 201);
    const { id } = await uploadBackup(upload, "f2-admin", data, PART);
    const patched = await call("PATCH", "/api/v1/checks/f2-admin", { body: { min_age_days: 0, tombstone_days: 0 } });
    expect(patched.status).toBe(200);
    const refused = await call("DELETE", `/api/v1/backups/${id}`);
    expect(refused.status).toBe(409);
    expect((await refused.json<any>()).error.message).toMatch(/^the backup is immutable until \d{4}-\d\d-\d\dT/);
    await sweepTwice();
    expect(await downloadsIdentical(id, data)).toBe(true);
    // Lowering the window applies to what is received afterwards: a new backup may go at once.
    const later = await uploadBackup(upload, "f2-admin", bytesOf(2 * PART, 202), PART);
    expect((await call("DELETE", `/api/v1/backups/${later.id}`)).status).toBe(200);
  });

  it("the dashboard's check form lowering the window does not open it either", async () => {
    const { upload } = await backupCheck("f2-form", { min_age_days: 7 });
    const data = bytesOf(2 * PART, 211);
    const { id } = await uploadBackup(upload, "f2-form", data, PART);
    const { uuid } = await checkRow("f2-form");
    const browser = await Browser.admin();
    const fields = formFields((await browser.get(`/admin/checks/${uuid}/edit`)).html, `/admin/checks/${uuid}`);
    const saved = await browser.post(`/admin/checks/${uuid}`, { ...fields, min_age_days: "0", tombstone_days: "0" });
    expect(saved.status, saved.html.slice(0, 500)).toBe(303);
    expect((await json(call("GET", "/api/v1/checks/f2-form"))).retention.min_age_days).toBe(0);
    expect((await call("DELETE", `/api/v1/backups/${id}`)).status).toBe(409);
    await sweepTwice();
    expect(await downloadsIdentical(id, data)).toBe(true);
  });

  it("a retention change to keep_last 1 with min_age_days 0 tombstones nothing inside its window", async () => {
    const { upload, id: checkId } = await backupCheck("f2-retention", { min_age_days: 7 });
    const kept = [];
    for (let i = 0; i < 3; i++) {
      const data = bytesOf(2 * PART, 220 + i);
      kept.push({ data, id: (await uploadBackup(upload, "f2-retention", data, PART)).id });
    }
    await call("PATCH", "/api/v1/checks/f2-retention", {
      // Every other rule off too (a new backup check has default keep rules), so only the window protects.
      body: { ...NO_KEEP_RULES, keep_last: 1, min_age_days: 0, tombstone_days: 0 },
    });
    const db = openDb(env.DB);
    const check = (await db.query.checks.findFirst({ where: (c, { eq }) => eq(c.id, checkId) }))!;
    expect((await applyRetention(db, check, Date.now() + HOUR)).tombstoned).toBe(0);
    await sweepTwice();
    for (const backup of kept) expect(await downloadsIdentical(backup.id, backup.data)).toBe(true);
    // Once the window it was received with has passed, retention may act.
    expect((await applyRetention(db, check, Date.now() + 8 * DAY)).tombstoned).toBe(2);
  });

  it("deleting a check that holds immutable backups is a 409 that says until when", async () => {
    const { upload } = await backupCheck("f2-check", { min_age_days: 7 });
    const data = bytesOf(PART, 230);
    const { id } = await uploadBackup(upload, "f2-check", data, PART);
    await call("PATCH", "/api/v1/checks/f2-check", { body: { min_age_days: 0 } });
    const response = await call("DELETE", "/api/v1/checks/f2-check");
    expect(response.status).toBe(409);
    const until = (await json(call("GET", `/api/v1/backups/${id}`))).immutable_until;
    expect((await response.json<any>()).error.message).toContain(`immutable until ${until}`);
    expect(await downloadsIdentical(id, data)).toBe(true);
  });

  it("revoking the key that uploaded them, and a quota far below the stored bytes, delete nothing", async () => {
    const { upload } = await backupCheck("f2-key");
    const data = bytesOf(2 * PART, 240);
    const { id } = await uploadBackup(upload, "f2-key", data, PART);
    expect((await call("DELETE", `/api/v1/keys/${upload.key_id}`)).status).toBe(200);
    expect((await call("PUT", "/api/v1/storage/quota", { body: { bytes: 1 } })).status).toBe(200);
    await sweepTwice();
    expect(await downloadsIdentical(id, data)).toBe(true);
    await call("PUT", "/api/v1/storage/quota", { body: { bytes: null } });
  });
});

describe("finding 3: a manifest cannot lie about size", () => {
  it("one sha256 with two sizes is a 400 naming the part", async () => {
    const { upload } = await backupCheck("f3-lie");
    const a = new TextEncoder().encode("A");
    const shaA = await sha256Hex(a);
    const big = 95 * 1024 * 1024;
    const parts = [
      { index: 0, size: big, sha256: shaA },
      { index: 1, size: big, sha256: shaA },
      { index: 2, size: 1, sha256: shaA },
    ];
    const manifest = {
      ...manifestOf("f3-lie", a, await split(a, 1), big),
      size: 2 * big + 1,
      sha256: "0".repeat(64),
      parts,
    };
    const response = await signedJson(upload, "POST", "/v1/backups", manifest);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("parts[2]");
    expect(response.body.error.message).toContain(shaA);
  });

  it("a part's sha256 stored for the check with another size is a 400 naming the part", async () => {
    const { upload } = await backupCheck("f3-known");
    const data = bytesOf(PART, 250);
    await uploadBackup(upload, "f3-known", data, PART);
    const sha = await sha256Hex(data);
    const manifest = {
      ...manifestOf("f3-known", data, await split(data, PART), 2 * PART),
      size: 2 * PART,
      parts: [{ index: 0, size: 2 * PART, sha256: sha }],
    };
    const response = await signedJson(upload, "POST", "/v1/backups", manifest);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("parts[0]");
  });

  it("complete checks each stored part's recorded length, and the download never promises more", async () => {
    const { upload, reader, id: checkId } = await backupCheck("f3-length");
    const data = bytesOf(2 * PART, 260);
    const s = await split(data, PART);
    const created = await signedJson(upload, "POST", "/v1/backups", manifestOf("f3-length", data, s, PART));
    for (const index of [0, 1]) await putPart(upload, created.body.id, index, s.chunks[index]!);
    // A blob recorded (by an older version, or a bug) with another length than its part declares.
    await env.DB.prepare("UPDATE blobs SET stored_size = 5 WHERE check_id = ? AND sha256 = ?")
      .bind(checkId, s.parts[1]!.sha256)
      .run();
    const before = await snapshotDb();
    const refused = await signedJson(upload, "POST", `/v1/backups/${created.body.id}/complete`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("part 1");
    expect(total(rowsWritten(before, await snapshotDb()))).toBe(0);

    const good = await uploadBackup(reader, "f3-length", bytesOf(PART, 261), PART);
    await env.DB.prepare(
      "UPDATE blobs SET stored_size = 5 WHERE check_id = ? AND sha256 IN (SELECT sha256 FROM backup_parts WHERE backup_id = ?)",
    )
      .bind(checkId, good.id)
      .run();
    const download = await sendSigned(reader, `/v1/backups/${good.id}/content`, { method: "GET" });
    expect(download.status).toBe(409);
    expect((await adminDownload(good.id)).status).toBe(409);
  });
});

describe("finding 4: a backup check is green only through a good backup", () => {
  async function downWithAnomaly(slug: string) {
    const keys = await backupCheck(slug);
    await uploadBackup(keys.reader, slug, bytesOf(4 * PART, 300), PART);
    const { backup } = await uploadBackup(keys.reader, slug, new Uint8Array(0), PART);
    expect(backup.status).toBe("suspicious");
    expect(await json(call("GET", `/api/v1/checks/${slug}`))).toMatchObject({
      status: "down",
      status_reason: "anomaly",
    });
    return keys;
  }

  it("an unauthenticated success ping is recorded but does not bring it up", async () => {
    await downWithAnomaly("f4-url");
    const { uuid } = await checkRow("f4-url");
    for (const path of [`/ping/${uuid}`, `/ping/${uuid}/0`]) {
      const response = await call("GET", path, { token: null });
      expect(response.status).toBe(200);
    }
    const check = await json(call("GET", "/api/v1/checks/f4-url"));
    expect(check).toMatchObject({ status: "down", status_reason: "anomaly" });
    const [ping] = (await json(call("GET", "/api/v1/checks/f4-url/pings"))).pings;
    expect(ping).toMatchObject({ kind: "exit", source: "url" });
  });

  it("a signed success ping does not bring it up either; /fail still takes it down; a good backup does", async () => {
    const { reader } = await downWithAnomaly("f4-signed");
    const signed = await sendSigned(reader, "/v1/ping/f4-signed", { body: "ok" });
    expect(signed.status).toBe(200);
    expect((await json(call("GET", "/api/v1/checks/f4-signed"))).status).toBe("down");

    await uploadBackup(reader, "f4-signed", bytesOf(4 * PART, 301), PART);
    expect((await json(call("GET", "/api/v1/checks/f4-signed"))).status).toBe("up");
    const { uuid } = await checkRow("f4-signed");
    await call("GET", `/ping/${uuid}/fail`, { token: null });
    expect(await json(call("GET", "/api/v1/checks/f4-signed"))).toMatchObject({
      status: "down",
      status_reason: "fail",
    });
  });

  it("a new backup check stays new after a plain ping: it has not had a backup", async () => {
    await backupCheck("f4-new");
    const { uuid } = await checkRow("f4-new");
    await call("GET", `/ping/${uuid}`, { token: null });
    expect((await json(call("GET", "/api/v1/checks/f4-new"))).status).toBe("new");
  });
});
