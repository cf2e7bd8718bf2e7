import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyRetention } from "../../../worker/services/retention";
import { openDb } from "../../../worker/services/db";
import { call, createCheck } from "../../helpers/api";
import { createAgentKey, signedJson, type AgentKey } from "../../helpers/agent";
import { bytesOf, manifestOf, putPart, split, uploadBackup } from "../../helpers/backups";
import { checkRow, downloadsIdentical, refcountProblems, sweepAt } from "../../helpers/integrity";
import { Browser, formFields } from "../../worker/admin-client";

/**
 * Reliability 9 (docs/RELIABILITY.md), "immutability under attack": every path that can delete or
 * shrink is tried against backups inside their immutability window (min_age_days 7, received
 * minutes ago), each attack released at once where it can race — an upload-only key's concurrent
 * /fail, /complete and abandoned uploads on parts those backups share; the admin token lowering
 * the window then deleting; the dashboard's check form doing the same; deleting the check;
 * revoking the key; a retention change to keep_last 1; a quota of one byte — then the sweeps run
 * (now, a day later for the abandoned uploads, and again for their purge). Every backup inside its
 * window must still download byte-identical, and every part's reference count must equal the
 * live references recounted from D1.
 */

const PART = 2048;
const HOUR = 3_600_000;
const SLUG = "locked";
const GOOD = 8; // complete backups inside their window
const RACED = 6; // uploads sharing their parts, each attacked by concurrent fail/complete

type Kept = { id: string; data: Uint8Array };

const roundTrips = async (n: number) => {
  for (let i = 0; i < n; i++) await env.DB.prepare("SELECT 1").first();
};
const tally = { requests: 0, refused: 0, applied: 0 };

/** Counts a hostile request; `refused` is whether it was refused (or, for retention, did nothing). */
function count(refused: boolean) {
  tally.requests++;
  if (refused) tally.refused++;
  else tally.applied++;
}

/** A new upload made of the same bytes as `kept` (so every part is shared) under a fresh manifest. */
async function sharingUpload(key: AgentKey, kept: Kept) {
  const s = await split(kept.data, PART);
  const created = await signedJson(key, "POST", "/v1/backups", manifestOf(SLUG, kept.data, s, PART));
  expect([created.status, created.body.missing]).toEqual([201, []]);
  return created.body.id as string;
}

describe("immutability under attack", () => {
  it("keeps every backup inside its window byte-identical, whatever deletes or shrinks", async () => {
    await createCheck({ name: SLUG, slug: SLUG, kind: "backup", min_age_days: 7, tombstone_days: 3 });
    const upload = await createAgentKey([SLUG], ["upload"]);
    const kept: Kept[] = [];
    // Half the backups share a part with the one before (a volume that changes by half each time).
    for (let i = 0; i < GOOD; i++) {
      const data = new Uint8Array(3 * PART);
      data.set(bytesOf(PART, 900 + i), 0);
      data.set(bytesOf(2 * PART, 950 + Math.floor(i / 2)), PART);
      kept.push({ id: (await uploadBackup(upload, SLUG, data, PART)).id, data });
    }
    const { id: checkId, uuid } = await checkRow(SLUG);
    const completedByRace: Kept[] = [];

    // 1. The upload key: uploads sharing every part, each raced by 12 fails and a complete at once.
    for (let i = 0; i < RACED; i++) {
      const id = await sharingUpload(upload, kept[i]!);
      // The fails are staggered by D1 round trips so that the complete wins some races and loses others.
      const answers = await Promise.all([
        signedJson(upload, "POST", `/v1/backups/${id}/complete`),
        ...Array.from({ length: 12 }, (_, n) =>
          roundTrips(i % 2 === 0 ? n % 3 : 4 + n).then(() =>
            signedJson(upload, "POST", `/v1/backups/${id}/fail`, { log: "x" }),
          ),
        ),
      ]);
      // Exactly one of the thirteen ends its own upload (harmless: it was no backup yet); twelve are refused.
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      answers.filter((a) => a.status !== 200).forEach((a) => count(a.status === 409));
      if (answers[0]!.status === 200) completedByRace.push({ id, data: kept[i]!.data });
    }
    // ... and uploads it never completes, left for the sweep to abandon: three on shared parts, and
    // one with a part of its own already sent (the sweeps must purge that one, and only that one).
    for (let i = 0; i < 3; i++) await sharingUpload(upload, kept[i]!);
    const own = bytesOf(PART, 999);
    const ownUpload = await signedJson(
      upload,
      "POST",
      "/v1/backups",
      manifestOf(SLUG, own, await split(own, PART), PART),
    );
    expect((await putPart(upload, ownUpload.body.id, 0, own)).status).toBe(201);

    // 2. The admin token lowers the window and the tombstone time, then deletes every young backup.
    const patched = await call("PATCH", `/api/v1/checks/${SLUG}`, { body: { min_age_days: 0, tombstone_days: 0 } });
    expect(patched.status).toBe(200);
    const young = [...kept, ...completedByRace];
    for (const backup of young) count((await call("DELETE", `/api/v1/backups/${backup.id}`)).status === 409);

    // 3. The dashboard's check form does the same, then deletes again.
    const browser = await Browser.admin();
    const fields = formFields((await browser.get(`/admin/checks/${uuid}/edit`)).html, `/admin/checks/${uuid}`);
    const saved = await browser.post(`/admin/checks/${uuid}`, { ...fields, min_age_days: "0", tombstone_days: "0" });
    expect(saved.status).toBe(303);
    const deletes = await Promise.all(young.map((b) => call("DELETE", `/api/v1/backups/${b.id}`)));
    deletes.forEach((d) => count(d.status === 409));

    // 4. Deleting the check.
    const checkDelete = await call("DELETE", `/api/v1/checks/${SLUG}`);
    count(checkDelete.status === 409);
    const checkDeleteMessage: string = (await checkDelete.json<any>()).error.message;

    // 5. Revoking the key that uploaded them.
    expect((await call("DELETE", `/api/v1/keys/${upload.key_id}`)).status).toBe(200);

    // 6. Retention changed to keep_last 1 (with no window of its own), applied at once and by the sweeps.
    await call("PATCH", `/api/v1/checks/${SLUG}`, { body: { keep_last: 1, min_age_days: 0 } });
    const db = openDb(env.DB);
    const check = (await db.query.checks.findFirst({ where: (c, { eq }) => eq(c.id, checkId) }))!;
    const retained = await applyRetention(db, check, Date.now() + 2 * HOUR);
    count(retained.tombstoned === 0);

    // 7. A quota of one byte.
    expect((await call("PUT", "/api/v1/storage/quota", { body: { bytes: 1 } })).status).toBe(200);

    // The sweeps: now, a day later (abandons the open uploads, purges what may go), and again.
    const reports = [];
    for (const at of [Date.now(), Date.now() + 25 * HOUR, Date.now() + 26 * HOUR, Date.now() + 3 * 24 * HOUR]) {
      reports.push(await sweepAt(at));
    }
    const purged = reports.reduce((sum, r) => sum + r.purgedObjects, 0);

    const inWindow = young;
    let identical = 0;
    for (const backup of inWindow) if (await downloadsIdentical(backup.id, backup.data)) identical++;
    const problems = await refcountProblems(checkId);
    const blobs = (await env.DB.prepare("SELECT count(*) AS n FROM blobs WHERE check_id = ?")
      .bind(checkId)
      .first<{ n: number }>())!.n;
    console.log(
      `immutability under attack: ${inWindow.length} backups inside their window (${completedByRace.length} completed by a race); ` +
        `${tally.requests} hostile requests on 7 paths (${RACED} uploads on shared parts each raced by 12 fails and a complete, ` +
        `4 abandoned uploads, ${2 * young.length} admin and dashboard deletes after lowering the window, check delete, key revoke, ` +
        `keep_last 1, 1-byte quota): ${tally.refused} refused, ${tally.applied} applied; ${reports.length} sweeps purged ` +
        `${purged} objects; ${identical}/${inWindow.length} byte-identical, ${blobs} parts, ${problems.length} refcounts off`,
    );
    expect(checkDeleteMessage).toContain("immutable until");
    expect(tally.applied).toBe(0);
    expect(purged).toBe(1); // the abandoned upload's own part
    expect(problems).toEqual([]);
    expect(identical).toBe(inWindow.length);
    await call("PUT", "/api/v1/storage/quota", { body: { bytes: null } });
  });
});
