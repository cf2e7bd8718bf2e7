import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/domain/signing";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck, json, tableCounts } from "../helpers/api";
import { createAgentKey, sendSigned, signedJson, type AgentKey } from "../helpers/agent";
import {
  backupCheck,
  bytesOf,
  manifestOf,
  MiB,
  putPart,
  registerBackup,
  split,
  uploadBackup,
} from "../helpers/backups";

const HOUR = 3_600_000;
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

async function r2Keys(prefix = "blobs/"): Promise<string[]> {
  return (await env.BUCKET.list({ prefix })).objects.map((o) => o.key);
}

async function download(key: AgentKey, id: string, range?: string) {
  const response = await sendSigned(key, `/v1/backups/${id}/content`, {
    method: "GET",
    headers: range ? { Range: range } : {},
  });
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

let hostA: AgentKey; // upload + read for db-a
let writeOnly: AgentKey; // upload only, for db-a
let hostB: AgentKey; // upload + read for db-b

beforeAll(async () => {
  await createCheck({ name: "db a", slug: "db-a", kind: "backup" });
  await createCheck({ name: "db b", slug: "db-b", kind: "backup" });
  hostA = await createAgentKey(["db-a"], ["upload", "read", "ping"]);
  writeOnly = await createAgentKey(["db-a"], ["upload"]);
  hostB = await createAgentKey(["db-b"], ["upload", "read"]);
});

describe("upload and restore", () => {
  it("uploads in parts and downloads the same bytes", async () => {
    const data = bytesOf(2.5 * MiB, 11);
    const { id, missing, backup } = await uploadBackup(hostA, "db-a", data);
    expect(missing).toEqual([0, 1, 2]);
    expect(backup).toMatchObject({ id, status: "complete", size: data.length, parts: 3, source: "postgres" });

    const { response, bytes } = await download(hostA, id);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(data.length));
    expect(await sha256Hex(bytes)).toBe(await sha256Hex(data));
    expect(response.headers.get("X-Lifeboat-SHA256")).toBe(await sha256Hex(data));

    // A range across the boundary of parts 0 and 1.
    const ranged = await download(hostA, id, `bytes=${MiB - 10}-${MiB + 9}`);
    expect(ranged.response.status).toBe(206);
    expect(ranged.response.headers.get("Content-Range")).toBe(`bytes ${MiB - 10}-${MiB + 9}/${data.length}`);
    expect(ranged.bytes).toEqual(data.subarray(MiB - 10, MiB + 10));
    expect((await download(hostA, id, "bytes=-5")).bytes).toEqual(data.subarray(data.length - 5));
    const outside = await download(hostA, id, `bytes=${data.length}-`);
    expect(outside.response.status).toBe(416);
    expect(outside.response.headers.get("Content-Range")).toBe(`bytes */${data.length}`);
    expect(JSON.parse(new TextDecoder().decode(outside.bytes)).error.code).toBe("range_not_satisfiable");
  });

  it("completing counts as a success ping of the check", async () => {
    const key = await backupCheck("completed");
    await uploadBackup(key, "completed", bytesOf(64 * 1024, 10), 32 * 1024);
    const check = await json(call("GET", "/api/v1/checks/completed"));
    expect(check.status).toBe("up");
    const [ping] = (await json(call("GET", "/api/v1/checks/completed/pings"))).pings;
    expect(ping).toMatchObject({ kind: "success", source: "signed", key_id: key.key_id });
    expect(ping.body).toMatch(/^backup bk_[0-9a-f]{20} complete: /);
  });

  it("resumes an interrupted upload: a stored part is never sent or written again", async () => {
    const key = await backupCheck("resumed");
    const { s, ...created } = await registerBackup(key, "resumed", bytesOf(3 * MiB, 12));
    expect((await putPart(key, created.body.id, 0, s.chunks[0]!)).status).toBe(201);
    // The agent died here. On restart it asks what is missing.
    const status = await signedJson(key, "GET", `/v1/backups/${created.body.id}`);
    expect(status.body).toMatchObject({ status: "uploading", missing: [1, 2] });
    // The check's only blob so far: part 0's.
    const { uuid } = await json(call("GET", "/api/v1/checks/resumed"));
    const before = await env.BUCKET.head((await r2Keys(`blobs/${uuid}/`)).find(Boolean)!);
    const again = await putPart(key, created.body.id, 0, s.chunks[0]!);
    expect([again.status, await again.json()]).toEqual([200, { index: 0, stored: false, already_stored: true }]);
    for (const index of [1, 2]) expect((await putPart(key, created.body.id, index, s.chunks[index]!)).status).toBe(201);
    expect((await signedJson(key, "POST", `/v1/backups/${created.body.id}/complete`)).body.status).toBe("complete");
    expect((await env.BUCKET.head(before!.key))!.uploaded).toEqual(before!.uploaded);
  });

  it("an unchanged artifact is stored once: the second backup uploads nothing", async () => {
    const data = bytesOf(2 * MiB, 13);
    const first = await uploadBackup(hostA, "db-a", data);
    const stored = (await json(call("GET", "/api/v1/storage"))).stored_bytes;
    const second = await uploadBackup(hostA, "db-a", data);
    expect(first.missing).toEqual([0, 1]);
    expect(second.missing).toEqual([]);
    expect(second.backup.new_bytes).toBe(0);
    expect((await json(call("GET", "/api/v1/storage"))).stored_bytes).toBe(stored);
    expect(await sha256Hex((await download(hostA, second.id)).bytes)).toBe(await sha256Hex(data));
  });
});

describe("write-only keys and other hosts", () => {
  let bBackup: string;
  beforeAll(async () => {
    bBackup = (await uploadBackup(hostB, "db-b", bytesOf(64 * 1024, 14), 32 * 1024)).id;
  });

  it.each([
    ["read its status", () => signedJson(hostA, "GET", `/v1/backups/${bBackup}`), 404],
    ["download it", () => sendSigned(hostA, `/v1/backups/${bBackup}/content`, { method: "GET" }), 404],
    ["complete it", () => signedJson(hostA, "POST", `/v1/backups/${bBackup}/complete`), 404],
    ["fail it", () => signedJson(hostA, "POST", `/v1/backups/${bBackup}/fail`, { log: "x" }), 404],
    ["overwrite a part", () => putPart(hostA, bBackup, 0, bytesOf(32 * 1024, 99)), 404],
    ["list its check's backups", () => sendSigned(hostA, "/v1/checks/db-b/backups", { method: "GET" }), 403],
    [
      "create one for it",
      async () => {
        const data = bytesOf(10, 1);
        return signedJson(hostA, "POST", "/v1/backups", manifestOf("db-b", data, await split(data, 10), 10));
      },
      403,
    ],
    [
      "delete it (no such agent endpoint)",
      () => sendSigned(hostA, `/v1/backups/${bBackup}`, { method: "DELETE" }),
      404,
    ],
  ])("host A cannot %s", async (_, attempt, status) => {
    const before = await tableCounts();
    const objects = await r2Keys();
    expect((await attempt()).status).toBe(status);
    expect(await tableCounts()).toEqual(before);
    expect(await r2Keys()).toEqual(objects);
    expect((await signedJson(hostB, "GET", `/v1/backups/${bBackup}`)).body.status).toBe("complete");
  });

  it("an upload-only key cannot read even its own check's backups", async () => {
    const { id } = await uploadBackup(writeOnly, "db-a", bytesOf(1000, 15));
    const response = await sendSigned(writeOnly, `/v1/backups/${id}/content`, { method: "GET" });
    expect(response.status).toBe(403);
    expect((await response.json<any>()).error.message).toContain('lacks the "read" scope');
    expect((await sendSigned(writeOnly, "/v1/checks/db-a/backups", { method: "GET" })).status).toBe(403);
  });

  it("a completed backup cannot be completed again or marked failed", async () => {
    const { id } = await uploadBackup(hostB, "db-b", bytesOf(64 * 1024, 16), 32 * 1024);
    expect((await signedJson(hostB, "POST", `/v1/backups/${id}/complete`)).status).toBe(409);
    const failed = await signedJson(hostB, "POST", `/v1/backups/${id}/fail`, { log: "oops" });
    expect([failed.status, failed.body.error.message]).toEqual([409, "cannot fail: the backup is already complete"]);
  });
});

describe("bad input: a clear 4xx and nothing stored", () => {
  async function started(seed: number, size = 2 * MiB) {
    const { s, body } = await registerBackup(hostA, "db-a", bytesOf(size, seed));
    return { id: body.id as string, s };
  }

  it("a part that does not match its sha256 is refused by R2, and nothing is stored", async () => {
    const { id, s } = await started(21);
    const before = await tableCounts();
    const objects = await r2Keys();
    const tampered = bytesOf(MiB, 22);
    // Signed honestly for the tampered bytes' own hash would fail the manifest check; the attack is a
    // correct header with other bytes, which only R2's sha256 check can catch without hashing here.
    const response = await sendSigned(hostA, `/v1/backups/${id}/parts/0`, {
      method: "PUT",
      body: s.chunks[0]!,
      tamper: { body: tampered },
      headers: { "Content-Length": String(MiB) },
    });
    expect(response.status).toBe(400);
    expect((await response.json<any>()).error.message).toBe("part 0 does not match its sha256: nothing was stored");
    expect(await r2Keys()).toEqual(objects);
    expect(await tableCounts()).toEqual(before);
    expect((await signedJson(hostA, "GET", `/v1/backups/${id}`)).body.missing).toEqual([0, 1]);
  });

  it.each([
    ["sizes that do not add up", { size: 5 }, "size: the parts add up to"],
    ["a part size over the request cap", { part_size: 200 * MiB }, "part_size is at most"],
    ["a path in the source", { source: "../../etc" }, "source"],
    ["meta over 8 kB", { meta: { blob: "x".repeat(9000) } }, "meta is at most 8 kB"],
  ])("a manifest with %s", async (_, change, message) => {
    const data = bytesOf(2 * MiB, 23);
    const s = await split(data, MiB);
    const before = await tableCounts();
    const response = await signedJson(hostA, "POST", "/v1/backups", { ...manifestOf("db-a", data, s, MiB), ...change });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(message);
    expect(await tableCounts()).toEqual(before);
  });

  it("parts numbered out of order are refused, naming the part", async () => {
    const data = bytesOf(2 * MiB, 24);
    const s = await split(data, MiB);
    const parts = [s.parts[1]!, s.parts[0]!];
    const response = await signedJson(hostA, "POST", "/v1/backups", { ...manifestOf("db-a", data, s, MiB), parts });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("parts[0].index: expected 0, got 1");
  });

  it("a part index out of range, a wrong length, and no Content-Length", async () => {
    const { id, s } = await started(25);
    const outOfRange = await putPart(hostA, id, 7, s.chunks[0]!);
    expect([outOfRange.status, (await outOfRange.json<any>()).error.message]).toEqual([
      400,
      "part 7 is out of range: this backup has parts 0…1",
    ]);
    const short = await sendSigned(hostA, `/v1/backups/${id}/parts/0`, {
      method: "PUT",
      body: s.chunks[0]!,
      tamper: { body: s.chunks[0]!.subarray(1) },
      headers: { "Content-Length": String(MiB - 1) },
    });
    expect(short.status).toBe(400);
    const stream = new ReadableStream({ start: (c) => (c.enqueue(s.chunks[0]!), c.close()) });
    const unsized = await sendSigned(hostA, `/v1/backups/${id}/parts/0`, {
      method: "PUT",
      body: s.chunks[0]!,
      tamper: { body: stream as never },
    });
    expect(unsized.status).toBe(411);
  });

  it("over the per-request cap is a 413 naming the part size to use", async () => {
    const { id, s } = await started(26);
    const response = await sendSigned(hostA, `/v1/backups/${id}/parts/0`, {
      method: "PUT",
      body: s.chunks[0]!,
      headers: { "Content-Length": String(200 * MiB) },
    });
    if (response.status === 413) expect((await response.json<any>()).error.message).toContain("use part_size 67108864");
    else expect(response.status).toBe(400); // the runtime may refuse the lying Content-Length itself
  });

  it("completing with missing parts says which", async () => {
    const { id } = await started(27, 3 * MiB);
    const response = await signedJson(hostA, "POST", `/v1/backups/${id}/complete`);
    expect([response.status, response.body.error.message]).toEqual([
      409,
      "cannot complete: 3 part(s) missing: 0, 1, 2",
    ]);
  });

  it("an unknown backup id is a 404", async () => {
    expect((await signedJson(hostA, "GET", "/v1/backups/bk_00000000000000000000")).status).toBe(404);
    expect((await signedJson(hostA, "GET", "/v1/backups/../../etc")).status).toBe(404);
  });

  it("a heartbeat check takes no backups", async () => {
    await createCheck({ name: "hb", slug: "hb-only" });
    const key = await createAgentKey(["hb-only"], ["upload"]);
    const response = await registerBackup(key, "hb-only", bytesOf(10, 2), 10);
    expect([response.status, response.body.error.message]).toEqual([
      409,
      'check "hb-only" is a heartbeat check, not a backup check',
    ]);
  });
});

describe("anomalies", () => {
  it("a backup far smaller than the recent median is kept as suspicious and alerts", async () => {
    const key = await backupCheck("shrinking");
    for (let i = 0; i < 7; i++) await uploadBackup(key, "shrinking", bytesOf(200_000 + i, 100 + i), 64 * 1024);
    const { id, backup } = await uploadBackup(key, "shrinking", bytesOf(3_000, 200), 64 * 1024);
    expect(backup).toMatchObject({ id, status: "suspicious", anomaly: "shrank 98 %: 200 kB → 3 kB" });
    expect(await json(call("GET", "/api/v1/checks/shrinking"))).toMatchObject({
      status: "down",
      status_reason: "anomaly",
    });
    const [flip] = (await json(call("GET", "/api/v1/checks/shrinking/flips"))).flips;
    expect(flip.detail).toBe("suspicious backup: shrank 98 %: 200 kB → 3 kB");
    // Kept, and still downloadable for inspection.
    expect((await download(key, id)).bytes.length).toBe(3_000);
  });

  it("an empty backup is suspicious", async () => {
    const key = await backupCheck("empty-db", ["upload"]);
    const { backup } = await uploadBackup(key, "empty-db", new Uint8Array(0));
    expect(backup).toMatchObject({ status: "suspicious", anomaly: "empty: the backup is 0 bytes" });
  });

  it("an identical backup is suspicious when the source should change", async () => {
    const key = await backupCheck("changing", ["upload"], { expect_change: true });
    const data = bytesOf(5000, 300);
    expect((await uploadBackup(key, "changing", data)).backup.status).toBe("complete");
    const again = await uploadBackup(key, "changing", data);
    expect(again.backup.status).toBe("suspicious");
    expect(again.backup.anomaly).toMatch(
      /^identical to the previous backup \(sha256 [0-9a-f]{12}…\) though its source should change$/,
    );
  });

  it("a failed run is reported with its log and fails the check", async () => {
    const key = await backupCheck("failing", ["upload"]);
    const created = await registerBackup(key, "failing", bytesOf(100, 5), 100);
    const failed = await signedJson(key, "POST", `/v1/backups/${created.body.id}/fail`, {
      log: "pg_dump: error: connection refused\nexit 1",
    });
    expect(failed.status).toBe(200);
    // Its own reason, not a plain /fail: flapping on failed pings must not hide it (issue 13.5).
    expect(await json(call("GET", "/api/v1/checks/failing"))).toMatchObject({
      status: "down",
      status_reason: "backup_failed",
    });
    expect((await json(call("GET", "/api/v1/checks/failing/flips"))).flips[0].detail).toBe(
      "backup failed: pg_dump: error: connection refused",
    );
  });
});

describe("storage and cleanup", () => {
  it("an upload left incomplete for 24 h fails and its parts are deleted", async () => {
    const key = await backupCheck("abandoned", ["upload"]);
    const { s, ...created } = await registerBackup(key, "abandoned", bytesOf(2 * MiB, 400));
    await putPart(key, created.body.id, 0, s.chunks[0]!);
    const check = await json(call("GET", "/api/v1/checks/abandoned"));
    expect(await r2Keys(`blobs/${check.uuid}/`)).toHaveLength(1);
    const storedBefore = (await json(call("GET", "/api/v1/storage"))).stored_bytes;

    await sweepAt(Date.now() + 23 * HOUR);
    expect((await json(call("GET", `/api/v1/backups/${created.body.id}`))).status).toBe("uploading");
    await sweepAt(Date.now() + 25 * HOUR);
    expect(await json(call("GET", `/api/v1/backups/${created.body.id}`))).toMatchObject({
      status: "failed",
      failure_log: expect.stringContaining("abandoned"),
    });
    expect(await r2Keys(`blobs/${check.uuid}/`)).toEqual([]);
    expect((await json(call("GET", "/api/v1/storage"))).stored_bytes).toBe(storedBefore - MiB);
  });

  it("deleting a backup keeps parts another backup still uses", async () => {
    const key = await backupCheck("shared", ["upload", "read"], { min_age_days: 0, tombstone_days: 0 });
    const data = bytesOf(2 * MiB, 500);
    const first = await uploadBackup(key, "shared", data);
    const second = await uploadBackup(key, "shared", data);
    expect((await call("DELETE", `/api/v1/backups/${first.id}`)).status).toBe(200);
    await sweepAt(Date.now());
    expect(await sha256Hex((await download(key, second.id)).bytes)).toBe(await sha256Hex(data));
    expect((await call("DELETE", `/api/v1/backups/${second.id}`)).status).toBe(200);
    await sweepAt(Date.now());
    const check = await json(call("GET", "/api/v1/checks/shared"));
    expect(await r2Keys(`blobs/${check.uuid}/`)).toEqual([]);
    expect((await call("GET", `/api/v1/backups/${second.id}`)).status).toBe(404);
  });

  it("admin deletion respects the immutability window, and a tombstone can be undone", async () => {
    const young = await uploadBackup(hostB, "db-b", bytesOf(64 * 1024, 600), 32 * 1024);
    const refused = await call("DELETE", `/api/v1/backups/${young.id}`);
    expect(refused.status).toBe(409);
    expect((await refused.json<any>()).error.message).toMatch(/^the backup is immutable until \d{4}-/);
    // Lowering the window applies to backups received afterwards, never to this one.
    await call("PATCH", "/api/v1/checks/db-b", { body: { min_age_days: 0 } });
    expect((await call("DELETE", `/api/v1/backups/${young.id}`)).status).toBe(409);
    const { id } = await uploadBackup(hostB, "db-b", bytesOf(64 * 1024, 601), 32 * 1024);
    const tombstoned = await json(call("DELETE", `/api/v1/backups/${id}`));
    expect(tombstoned).toMatchObject({ status: "tombstoned", purge_after: expect.any(String) });
    expect((await signedJson(hostB, "GET", `/v1/backups/${id}`)).status).toBe(404); // hidden from agents
    expect((await json(call("POST", `/api/v1/backups/${id}/undelete`))).status).toBe("complete");
    expect((await download(hostB, id)).response.status).toBe(200);
  });

  it("a check with backups cannot be deleted", async () => {
    const key = await backupCheck("kept");
    await uploadBackup(key, "kept", bytesOf(1000, 800));
    const response = await call("DELETE", "/api/v1/checks/kept");
    expect(response.status).toBe(409);
    expect((await response.json<any>()).error.message).toMatch(/still has \d+ backup\(s\)/);
  });

  it("the admin API lists, filters and downloads backups and shows storage per check", async () => {
    const key = await backupCheck("listed-admin");
    for (const seed of [810, 811, 812]) await uploadBackup(key, "listed-admin", bytesOf(2000, seed));
    await registerBackup(key, "listed-admin", bytesOf(2000, 813)); // uploading: not in the list
    const list = await json(call("GET", "/api/v1/backups?check=listed-admin&status=complete&limit=2"));
    expect(list.backups).toHaveLength(2);
    expect(list.next_before).not.toBeNull();
    const download = await call("GET", `/api/v1/backups/${list.backups[0].id}/content`);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(list.backups[0].size);
    const storage = await json(call("GET", "/api/v1/storage"));
    expect(storage.checks.find((c: any) => c.slug === "listed-admin")).toMatchObject({
      backups: expect.any(Number),
      stored_bytes: expect.any(Number),
    });
  });

  it("alerts at 80 % and again at 95 % of the quota through the built-in storage check", async () => {
    await uploadBackup(await backupCheck("quota-filler"), "quota-filler", bytesOf(64 * 1024, 820));
    const { stored_bytes: used } = await json(call("GET", "/api/v1/storage"));
    await call("PUT", "/api/v1/storage/quota", { body: { bytes: Math.ceil(used / 0.85) } });
    await sweepAt(Date.now());
    const quotaCheck = await json(call("GET", "/api/v1/checks/lifeboat-storage"));
    expect(quotaCheck).toMatchObject({ status: "down", status_reason: "quota" });
    await call("PUT", "/api/v1/storage/quota", { body: { bytes: Math.ceil(used / 0.97) } });
    await sweepAt(Date.now());
    const flips = (await json(call("GET", "/api/v1/checks/lifeboat-storage/flips"))).flips;
    expect(flips.map((f: any) => `${f.to}:${f.detail.replace(/\d+(\.\d+)? [kMG]?B/g, "N")}`).slice(0, 2)).toEqual([
      "down:storage at 97 % of the quota: N of N",
      "down:storage at 85 % of the quota: N of N",
    ]);
    await call("PUT", "/api/v1/storage/quota", { body: { bytes: null } });
    await sweepAt(Date.now());
    expect((await json(call("GET", "/api/v1/checks/lifeboat-storage"))).status).toBe("up");
  });
});

describe("restore drills", () => {
  it("keeps a drill's result and measured RTO with the backup; a failed drill alerts without changing the state", async () => {
    const key = await backupCheck("drilled");
    const { id } = await uploadBackup(key, "drilled", bytesOf(5000, 700));
    const ok = await signedJson(key, "POST", `/v1/backups/${id}/drills`, {
      ok: true,
      duration_s: 12.5,
      details: { tables: 12, rows: 4021, rows_at_backup: 4021 },
    });
    expect(ok.status).toBe(201);
    const failed = await signedJson(key, "POST", `/v1/backups/${id}/drills`, {
      ok: false,
      duration_s: 3,
      message: "psql: relation users missing after restore",
    });
    expect(failed.status).toBe(201);
    const drills = (await json(call("GET", "/api/v1/checks/drilled/drills"))).drills;
    expect(drills.map((d: any) => [d.ok, d.duration_s])).toEqual([
      [false, 3],
      [true, 12.5],
    ]);
    const check = await json(call("GET", "/api/v1/checks/drilled"));
    expect(check.status).toBe("up");
    const [flip] = (await json(call("GET", "/api/v1/checks/drilled/flips"))).flips;
    expect(flip).toMatchObject({ reason: "drill_failed", from: "up", to: "up" });
    expect(flip.detail).toContain("psql: relation users missing after restore");
  });

  it("the agent's backup list carries each backup's newest drill, from any host", async () => {
    const key = await backupCheck("listed");
    const drilled = (await uploadBackup(key, "listed", bytesOf(3000, 710))).id;
    const untouched = (await uploadBackup(key, "listed", bytesOf(3000, 711))).id;
    await signedJson(key, "POST", `/v1/backups/${drilled}/drills`, { ok: false, duration_s: 2 });
    await signedJson(key, "POST", `/v1/backups/${drilled}/drills`, { ok: true, duration_s: 4.25 });
    const listed = await signedJson(key, "GET", "/v1/checks/listed/backups");
    const byId = new Map(listed.body.backups.map((b: any) => [b.id, b.last_drill]));
    expect(byId.get(untouched)).toBeNull();
    expect(byId.get(drilled)).toMatchObject({ ok: true, duration_s: 4.25 });
  });

  it("a drill that could not start is its own outcome: alerted in its own words, never 'the last drill'", async () => {
    const key = await backupCheck("unstarted");
    const { id } = await uploadBackup(key, "unstarted", bytesOf(4000, 720));
    await signedJson(key, "POST", `/v1/backups/${id}/drills`, { ok: true, duration_s: 2.5 });
    const report = await signedJson(key, "POST", `/v1/backups/${id}/drills`, {
      ok: false,
      outcome: "could_not_start",
      duration_s: 0.1,
      message: "cannot create a scratch database: connection refused",
    });
    expect(report).toMatchObject({ status: 201, body: { outcome: "could_not_start", kind: "drill" } });
    const drills = (await json(call("GET", "/api/v1/checks/unstarted/drills"))).drills;
    expect(drills.map((d: any) => [d.outcome, d.ok])).toEqual([
      ["could_not_start", false],
      ["ok", true],
    ]);
    const [flip] = (await json(call("GET", "/api/v1/checks/unstarted/flips"))).flips;
    expect(flip).toMatchObject({ reason: "drill_not_started", from: "up", to: "up" });
    expect(flip.detail).toBe(
      `restore drill of backup ${id} could not start: cannot create a scratch database: connection refused (the backup was not tested)`,
    );
    // The backup's own record is untouched: its last drill is still the one that passed.
    const listed = await signedJson(key, "GET", "/v1/checks/unstarted/backups");
    expect(listed.body.backups[0].last_drill).toMatchObject({ ok: true, duration_s: 2.5 });
    expect((await json(call("GET", "/api/v1/checks/unstarted"))).status).toBe("up");
  });

  it("a manual restore is kept as a proven restore (kind restore); only a successful one is taken", async () => {
    const key = await backupCheck("restored");
    const { id } = await uploadBackup(key, "restored", bytesOf(4000, 730));
    const before = await tableCounts();
    for (const bad of [
      { ok: false, kind: "restore", duration_s: 1 },
      { ok: true, outcome: "failed", duration_s: 1 },
      { ok: false, outcome: "ok", duration_s: 1 },
      { ok: true, kind: "backup", duration_s: 1 },
    ]) {
      expect((await signedJson(key, "POST", `/v1/backups/${id}/drills`, bad)).status).toBe(400);
    }
    expect(await tableCounts()).toEqual(before);
    const restore = await signedJson(key, "POST", `/v1/backups/${id}/drills`, {
      ok: true,
      kind: "restore",
      duration_s: 7.25,
      details: { target: "database shop" },
    });
    expect(restore).toMatchObject({ status: 201, body: { kind: "restore", outcome: "ok" } });
    const [drill] = (await json(call("GET", "/api/v1/checks/restored/drills"))).drills;
    expect(drill).toMatchObject({ kind: "restore", outcome: "ok", ok: true, duration_s: 7.25 });
    // Nothing to alert: no flip.
    expect((await json(call("GET", "/api/v1/checks/restored/flips"))).flips.map((f: any) => f.reason)).not.toContain(
      "drill_failed",
    );
  });

  it("needs the read scope and a complete backup, and validates the report", async () => {
    const { id } = await uploadBackup(writeOnly, "db-a", bytesOf(1000, 701));
    expect((await signedJson(writeOnly, "POST", `/v1/backups/${id}/drills`, { ok: true, duration_s: 1 })).status).toBe(
      403,
    );
    const before = await tableCounts();
    const bad = await signedJson(hostA, "POST", `/v1/backups/${id}/drills`, { ok: "yes", duration_s: -1 });
    expect(bad.status).toBe(400);
    expect(await tableCounts()).toEqual(before);
  });
});
