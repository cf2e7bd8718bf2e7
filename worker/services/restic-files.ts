import { sql, type SQL } from "drizzle-orm";
import type { ResticFileRow } from "../db/schema";
import { immutableUntil, quotaProblem, type ResticType } from "../domain/restic";
import { AppError } from "../errors";
import { batch, type Db } from "./db";
import type { ResticRepository } from "./restic-repos";
import { storedBytesChange } from "./storage";

// The files of a restic repository: D1 lists them, R2 holds their bytes (docs/RESTIC.md).

const DAY_MS = 86_400_000;

export type FileRef = { type: ResticType; name: string };
export type ResticUpload = { body: ReadableStream | null; length: number; keyId: string };
export type Stored = { file: ResticFileRow; storedBytes: number };

/**
 * Stores one file. The body streams into R2 under a fresh key with R2's own sha256 check (the name
 * of every file but the config is the sha256 of its content), so the Worker neither buffers nor
 * hashes it. Before the put the key enters the purge queue a day ahead; the batch that records
 * the file takes it out. A Worker that dies in between leaves no orphan: the sweep deletes it.
 * The batch applies only while the name is free and the quota holds (two racing uploads cannot
 * both pass); a loser's object is deleted again, so a refused upload stores nothing.
 */
export async function storeFile(
  db: Db,
  bucket: R2Bucket,
  repo: ResticRepository,
  ref: FileRef,
  upload: ResticUpload,
  now: number,
): Promise<Stored> {
  if (repo.file) throw exists(ref);
  const problem = quotaProblem(repo.storedBytes, upload.length, quotaOf(repo.check.quotaBytes, ref.type));
  if (problem) throw new AppError("insufficient_storage", problem);

  const r2Key = `restic/${repo.check.uuid}/${ref.type}/${ref.name}/${crypto.randomUUID()}`;
  await db.run(sql`INSERT INTO purge_queue (r2_key, size, queued_at) VALUES (${r2Key}, 0, ${now + DAY_MS})`);
  let size: number;
  try {
    const options = ref.type === "config" ? {} : { sha256: ref.name };
    size = (await bucket.put(r2Key, upload.body ?? new Uint8Array(0), options)).size;
  } catch (error) {
    const refusal = putRefusal(error, ref);
    if (refusal) await db.run(sql`DELETE FROM purge_queue WHERE r2_key = ${r2Key}`);
    throw refusal ?? error;
  }

  const row = {
    checkId: repo.check.id,
    ...ref,
    size,
    r2Key,
    receivedAt: now,
    immutableUntil: immutableUntil(ref.type, now, repo.check.minAgeDays),
    keyId: upload.keyId,
  };
  const results = await batch(db, recordFile(row));
  const [file] = results[0]!.results as ResticFileRow[] | [];
  if (!file) {
    await bucket.delete(r2Key);
    await db.run(sql`DELETE FROM purge_queue WHERE r2_key = ${r2Key}`);
    throw await whyNotRecorded(db, repo, ref, size);
  }
  const [totals] = results[1]!.results as { stored_bytes: number }[];
  return { file: toRow(file), storedBytes: totals!.stored_bytes };
}

type NewFile = Omit<ResticFileRow, "addedBytes">;

/** The recording batch; every statement after the INSERT applies only if the INSERT did. */
function recordFile(f: NewFile): SQL[] {
  const snapshot = f.type === "snapshots";
  const same = sql`check_id = ${f.checkId} AND type = ${f.type} AND name = ${f.name}`;
  const applied = sql`EXISTS (SELECT 1 FROM restic_files WHERE ${same} AND r2_key = ${f.r2Key})`;
  const quota = f.type === "locks" ? sql`NULL` : sql`(SELECT quota_bytes FROM checks WHERE id = ${f.checkId})`;
  const stored = sql`coalesce((SELECT stored_bytes FROM restic_repos WHERE check_id = ${f.checkId}), 0)`;
  const added = snapshot
    ? sql`coalesce((SELECT received_bytes - snapshot_received_bytes FROM restic_repos WHERE check_id = ${f.checkId}), 0) + ${f.size}`
    : sql`NULL`;
  return [
    sql`INSERT INTO restic_files (check_id, type, name, size, r2_key, received_at, immutable_until, key_id, added_bytes)
        SELECT ${f.checkId}, ${f.type}, ${f.name}, ${f.size}, ${f.r2Key}, ${f.receivedAt}, ${f.immutableUntil}, ${f.keyId}, ${added}
        WHERE NOT EXISTS (SELECT 1 FROM restic_files WHERE ${same})
          AND (${quota} IS NULL OR ${stored} + ${f.size} <= ${quota})
        RETURNING *`,
    sql`INSERT INTO restic_repos (check_id, stored_bytes, files, received_bytes, snapshot_received_bytes, last_snapshot_at, created_at)
        SELECT ${f.checkId}, ${f.size}, 1, ${f.size}, ${snapshot ? f.size : 0}, ${snapshot ? f.receivedAt : null}, ${f.receivedAt}
        WHERE ${applied}
        ON CONFLICT (check_id) DO UPDATE SET stored_bytes = stored_bytes + ${f.size}, files = files + 1,
          received_bytes = received_bytes + ${f.size}
          ${snapshot ? sql`, snapshot_received_bytes = received_bytes + ${f.size}, last_snapshot_at = ${f.receivedAt}` : sql``}
        RETURNING stored_bytes`,
    storedBytesChange(f.size, applied),
    sql`DELETE FROM purge_queue WHERE r2_key = ${f.r2Key} AND ${applied}`,
  ];
}

/**
 * Locks are exempt from the quota: they are a few hundred bytes, gone at the end of every command,
 * and without one restic cannot run the `forget --prune` that brings a full repository back under it.
 */
const quotaOf = (quotaBytes: number | null, type: ResticType) => (type === "locks" ? null : quotaBytes);

/** A batch that recorded nothing lost a race: to another upload of the name, or to the quota. */
async function whyNotRecorded(db: Db, repo: ResticRepository, ref: FileRef, size: number): Promise<AppError> {
  const [row] = await db.all<{ taken: number; stored: number | null; quota: number | null }>(sql`
    SELECT EXISTS (SELECT 1 FROM restic_files WHERE check_id = ${repo.check.id} AND type = ${ref.type} AND name = ${ref.name}) AS taken,
      (SELECT stored_bytes FROM restic_repos WHERE check_id = ${repo.check.id}) AS stored,
      (SELECT quota_bytes FROM checks WHERE id = ${repo.check.id}) AS quota`);
  if (row?.taken) return exists(ref);
  return new AppError("insufficient_storage", quotaProblem(row?.stored ?? 0, size, row?.quota ?? null) ?? "quota");
}

/**
 * Deletes a file for restic: it leaves the listing at once and its bytes enter the purge queue,
 * due at `purgeAt` (an index hidden within its window keeps its bytes until the window ends).
 * Guarded by the R2 key read with the request, so a concurrent delete of the same file is a no-op.
 */
export async function deleteFile(db: Db, repo: ResticRepository, file: ResticFileRow, purgeAt: number) {
  const row = sql`restic_files WHERE check_id = ${file.checkId} AND type = ${file.type} AND name = ${file.name} AND r2_key = ${file.r2Key}`;
  await batch(db, [
    sql`INSERT OR REPLACE INTO purge_queue (r2_key, size, queued_at) SELECT r2_key, size, ${purgeAt} FROM ${row}`,
    sql`UPDATE restic_repos SET stored_bytes = stored_bytes - ${file.size}, files = files - 1
        WHERE check_id = ${repo.check.id} AND EXISTS (SELECT 1 FROM ${row})`,
    sql`DELETE FROM ${row}`,
  ]);
}

/** The files of a repository still inside their window: how many, and when the last window ends. */
export async function youngestFile(db: Db, checkId: number, now: number) {
  const [row] = await db.all<{ files: number; until: number | null }>(sql`
    SELECT count(*) AS files, max(immutable_until) AS until FROM restic_files
    WHERE check_id = ${checkId} AND immutable_until > ${now}`);
  return row && row.files > 0 ? { files: row.files, until: row.until! } : null;
}

/** Statements that hand every file of a repository to the purge queue and drop its rows. */
export function dropRepository(checkId: number, now: number): SQL[] {
  return [
    sql`INSERT OR REPLACE INTO purge_queue (r2_key, size, queued_at)
        SELECT r2_key, size, ${now} FROM restic_files WHERE check_id = ${checkId}`,
    sql`DELETE FROM restic_files WHERE check_id = ${checkId}`,
    sql`DELETE FROM restic_repos WHERE check_id = ${checkId}`,
  ];
}

/** `restic init`: the repository's totals row, if it has none yet. */
export async function initRepository(db: Db, repo: ResticRepository, now: number): Promise<void> {
  await db.run(sql`INSERT OR IGNORE INTO restic_repos (check_id, created_at) VALUES (${repo.check.id}, ${now})`);
}

function putRefusal(error: unknown, ref: FileRef): AppError | null {
  const message = error instanceof Error ? error.message : String(error);
  if (/sha-?256|checksum|digest|hash/i.test(message)) {
    return new AppError(
      "bad_request",
      `the content is not what ${ref.type}/${ref.name} names (sha256): nothing was stored`,
    );
  }
  // restic killed mid-upload: normal, not a server error; restic sends the file again next time.
  if (/connection lost|disconnected|aborted|closed|length/i.test(message)) {
    return new AppError("bad_request", `the upload of ${ref.type}/${ref.name} was interrupted: nothing was stored`);
  }
  return null;
}

const exists = (ref: FileRef) =>
  new AppError("forbidden", `${ref.type}/${ref.name} already exists: files are never overwritten`);

/** A raw RETURNING row (snake_case) as the drizzle row type. */
function toRow(raw: ResticFileRow | Record<string, unknown>): ResticFileRow {
  const r = raw as Record<string, unknown>;
  return {
    checkId: r.check_id as number,
    type: r.type as ResticType,
    name: r.name as string,
    size: r.size as number,
    r2Key: r.r2_key as string,
    receivedAt: r.received_at as number,
    immutableUntil: r.immutable_until as number,
    keyId: r.key_id as string | null,
    addedBytes: r.added_bytes as number | null,
  };
}
