import { and, count, eq, gt, max, sql, type SQL, type SQLChunk } from "drizzle-orm";
import { checks, purgeQueue, resticFiles, resticRepos, type ResticFileRow } from "../db/schema";
import { immutableUntil, quotaProblem, type ResticType } from "../domain/restic";
import { AppError } from "../errors";
import { col, type RawRow } from "./columns";
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
  await db.insert(purgeQueue).values({ r2Key, size: 0, queuedAt: now + DAY_MS });
  let size: number;
  try {
    const options = ref.type === "config" ? {} : { sha256: ref.name };
    size = (await bucket.put(r2Key, upload.body ?? new Uint8Array(0), options)).size;
  } catch (error) {
    const refusal = putRefusal(error, ref);
    if (refusal) await db.delete(purgeQueue).where(eq(purgeQueue.r2Key, r2Key));
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
  const [file] = results[0]!.results as FileRaw[] | [];
  if (!file) {
    await bucket.delete(r2Key);
    await db.delete(purgeQueue).where(eq(purgeQueue.r2Key, r2Key));
    throw await whyNotRecorded(db, repo, ref, size);
  }
  const [totals] = results[1]!.results as RawRow<typeof resticRepos, "storedBytes">[];
  return { file: toRow(file), storedBytes: totals!.stored_bytes };
}

type NewFile = Omit<ResticFileRow, "addedBytes">;
type FileRaw = RawRow<typeof resticFiles, keyof ResticFileRow>;

const f$ = (key: keyof ResticFileRow) => col(resticFiles, key);
const r$ = (key: keyof typeof resticRepos.$inferSelect) => col(resticRepos, key);
const q$ = (key: keyof typeof purgeQueue.$inferSelect) => col(purgeQueue, key);
const list = (names: SQLChunk[]) => sql.join(names, sql`, `);

/**
 * The recording batch; every statement after the INSERT applies only if the INSERT did. Raw: each
 * statement is conditional on the INSERT…SELECT…WHERE NOT EXISTS that races other uploads in the batch.
 */
function recordFile(f: NewFile): SQL[] {
  const snapshot = f.type === "snapshots";
  const [stored, files, received, snapshotReceived] = [
    r$("storedBytes"),
    r$("files"),
    r$("receivedBytes"),
    r$("snapshotReceivedBytes"),
  ];
  const same = sql`${f$("checkId")} = ${f.checkId} AND ${f$("type")} = ${f.type} AND ${f$("name")} = ${f.name}`;
  const applied = sql`EXISTS (SELECT 1 FROM ${resticFiles} WHERE ${same} AND ${f$("r2Key")} = ${f.r2Key})`;
  const quota =
    f.type === "locks"
      ? sql`NULL`
      : sql`(SELECT ${col(checks, "quotaBytes")} FROM ${checks} WHERE ${col(checks, "id")} = ${f.checkId})`;
  const storedNow = sql`coalesce((SELECT ${stored} FROM ${resticRepos} WHERE ${r$("checkId")} = ${f.checkId}), 0)`;
  const added = snapshot
    ? sql`coalesce((SELECT ${received} - ${snapshotReceived} FROM ${resticRepos} WHERE ${r$("checkId")} = ${f.checkId}), 0) + ${f.size}`
    : sql`NULL`;
  const fileColumns = (
    ["checkId", "type", "name", "size", "r2Key", "receivedAt", "immutableUntil", "keyId", "addedBytes"] as const
  ).map(f$);
  const repoColumns = (
    [
      "checkId",
      "storedBytes",
      "files",
      "receivedBytes",
      "snapshotReceivedBytes",
      "lastSnapshotAt",
      "createdAt",
    ] as const
  ).map(r$);
  return [
    sql`INSERT INTO ${resticFiles} (${list(fileColumns)})
        SELECT ${f.checkId}, ${f.type}, ${f.name}, ${f.size}, ${f.r2Key}, ${f.receivedAt}, ${f.immutableUntil}, ${f.keyId}, ${added}
        WHERE NOT EXISTS (SELECT 1 FROM ${resticFiles} WHERE ${same})
          AND (${quota} IS NULL OR ${storedNow} + ${f.size} <= ${quota})
        RETURNING *`,
    sql`INSERT INTO ${resticRepos} (${list(repoColumns)})
        SELECT ${f.checkId}, ${f.size}, 1, ${f.size}, ${snapshot ? f.size : 0}, ${snapshot ? f.receivedAt : null}, ${f.receivedAt}
        WHERE ${applied}
        ON CONFLICT (${r$("checkId")}) DO UPDATE SET ${stored} = ${stored} + ${f.size}, ${files} = ${files} + 1,
          ${received} = ${received} + ${f.size}
          ${snapshot ? sql`, ${snapshotReceived} = ${received} + ${f.size}, ${r$("lastSnapshotAt")} = ${f.receivedAt}` : sql``}
        RETURNING ${stored}`,
    storedBytesChange(f.size, applied),
    sql`DELETE FROM ${purgeQueue} WHERE ${q$("r2Key")} = ${f.r2Key} AND ${applied}`,
  ];
}

/**
 * Locks are exempt from the quota: they are a few hundred bytes, gone at the end of every command,
 * and without one restic cannot run the `forget --prune` that brings a full repository back under it.
 */
const quotaOf = (quotaBytes: number | null, type: ResticType) => (type === "locks" ? null : quotaBytes);

/** A batch that recorded nothing lost a race: to another upload of the name, or to the quota. */
async function whyNotRecorded(db: Db, repo: ResticRepository, ref: FileRef, size: number): Promise<AppError> {
  // Raw: three scalar subqueries in one D1 read.
  const [row] = await db.all<{ taken: number; stored: number | null; quota: number | null }>(sql`
    SELECT EXISTS (SELECT 1 FROM ${resticFiles} WHERE ${f$("checkId")} = ${repo.check.id} AND ${f$("type")} = ${ref.type}
        AND ${f$("name")} = ${ref.name}) AS taken,
      (SELECT ${r$("storedBytes")} FROM ${resticRepos} WHERE ${r$("checkId")} = ${repo.check.id}) AS stored,
      (SELECT ${col(checks, "quotaBytes")} FROM ${checks} WHERE ${col(checks, "id")} = ${repo.check.id}) AS quota`);
  if (row?.taken) return exists(ref);
  return new AppError("insufficient_storage", quotaProblem(row?.stored ?? 0, size, row?.quota ?? null) ?? "quota");
}

/**
 * Deletes a file for restic: it leaves the listing at once and its bytes enter the purge queue,
 * due at `purgeAt` (an index hidden within its window keeps its bytes until the window ends).
 * Guarded by the R2 key read with the request, so a concurrent delete of the same file is a no-op.
 */
export async function deleteFile(db: Db, repo: ResticRepository, file: ResticFileRow, purgeAt: number) {
  const row = sql`${resticFiles} WHERE ${f$("checkId")} = ${file.checkId} AND ${f$("type")} = ${file.type}
    AND ${f$("name")} = ${file.name} AND ${f$("r2Key")} = ${file.r2Key}`;
  const [stored, files] = [r$("storedBytes"), r$("files")];
  // Raw: INSERT OR REPLACE … SELECT and an UPDATE guarded by the row's existence, in one batch.
  await batch(db, [
    sql`INSERT OR REPLACE INTO ${purgeQueue} (${list([q$("r2Key"), q$("size"), q$("queuedAt")])})
        SELECT ${f$("r2Key")}, ${f$("size")}, ${purgeAt} FROM ${row}`,
    sql`UPDATE ${resticRepos} SET ${stored} = ${stored} - ${file.size}, ${files} = ${files} - 1
        WHERE ${r$("checkId")} = ${repo.check.id} AND EXISTS (SELECT 1 FROM ${row})`,
    sql`DELETE FROM ${row}`,
  ]);
}

/** The files of a repository still inside their window: how many, and when the last window ends. */
export async function youngestFile(db: Db, checkId: number, now: number) {
  const [row] = await db
    .select({ files: count(), until: max(resticFiles.immutableUntil) })
    .from(resticFiles)
    .where(and(eq(resticFiles.checkId, checkId), gt(resticFiles.immutableUntil, now)));
  return row && row.files > 0 ? { files: row.files, until: row.until! } : null;
}

/** Statements that hand every file of a repository to the purge queue and drop its rows. */
export function dropRepository(checkId: number, now: number): SQL[] {
  return [
    // Raw: INSERT OR REPLACE … SELECT, which drizzle's builder cannot say.
    sql`INSERT OR REPLACE INTO ${purgeQueue} (${list([q$("r2Key"), q$("size"), q$("queuedAt")])})
        SELECT ${f$("r2Key")}, ${f$("size")}, ${now} FROM ${resticFiles} WHERE ${f$("checkId")} = ${checkId}`,
    sql`DELETE FROM ${resticFiles} WHERE ${f$("checkId")} = ${checkId}`,
    sql`DELETE FROM ${resticRepos} WHERE ${r$("checkId")} = ${checkId}`,
  ];
}

/** `restic init`: the repository's totals row, if it has none yet. */
export async function initRepository(db: Db, repo: ResticRepository, now: number): Promise<void> {
  await db.insert(resticRepos).values({ checkId: repo.check.id, createdAt: now }).onConflictDoNothing();
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

/** A raw RETURNING row (SQL names) as the drizzle row type. */
function toRow(r: FileRaw): ResticFileRow {
  return {
    checkId: r.check_id,
    type: r.type,
    name: r.name,
    size: r.size,
    r2Key: r.r2_key,
    receivedAt: r.received_at,
    immutableUntil: r.immutable_until,
    keyId: r.key_id,
    addedBytes: r.added_bytes,
  };
}
