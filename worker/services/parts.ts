import { and, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backupParts, blobs, type BackupRow } from "../db/schema";
import { AppError } from "../errors";
import type { Db } from "./db";
import { storedBytesChange } from "./storage";
import { plainUnits, type BeginUnit } from "./unit-of-work";

const p = alias(backupParts, "p");
const b = alias(blobs, "b");

/** The blob of each part of `backup`: a join on the check's blobs by sha256. */
const blobOfPart = (backup: BackupRow) => and(eq(b.checkId, backup.checkId), eq(b.sha256, p.sha256));

type PartRow = Awaited<ReturnType<typeof partQuery>>[number];

const partQuery = (db: Db, backup: BackupRow, index: number) =>
  db
    .select({ idx: p.idx, size: p.size, sha256: p.sha256, r2Key: b.r2Key, stored: b.stored })
    .from(p)
    .innerJoin(b, blobOfPart(backup))
    .where(and(eq(p.backupId, backup.id), eq(p.idx, index)));

async function partOf(db: Db, backup: BackupRow, index: number): Promise<PartRow> {
  const [part] = await partQuery(db, backup, index);
  if (!part) {
    throw new AppError("bad_request", `part ${index} is out of range: this backup has parts 0…${backup.partCount - 1}`);
  }
  return part;
}

export type PartUpload = { body: ReadableStream | null; contentLength: number; contentSha256: string };

/**
 * Streams one part into R2. The body goes straight through with R2's own sha256 check: the Worker
 * neither buffers nor hashes it (10 ms of CPU on the Free plan would not hash 64 MiB), and a body
 * whose hash differs is refused by R2 with nothing stored. A part already stored is never written
 * again — the request is answered without reading its body. The length R2 stored is recorded with
 * the part (complete and the download check it), and the stored bytes counted, in one unit of work
 * guarded by the part's not being stored yet: parts sent twice at once are counted once.
 */
export async function storePart(
  db: Db,
  bucket: R2Bucket,
  backup: BackupRow,
  index: number,
  upload: PartUpload,
  begin: BeginUnit = plainUnits(db),
) {
  if (backup.status !== "uploading")
    throw new AppError("conflict", `the backup is ${backup.status}; its parts cannot change`);
  const part = await partOf(db, backup, index);
  if (part.stored) return alreadyStored(begin);
  if (upload.contentSha256 !== part.sha256) {
    throw new AppError("bad_request", `X-Lifeboat-Content-SHA256 is not the sha256 of part ${index} in the manifest`);
  }
  if (upload.contentLength !== part.size) {
    throw new AppError("bad_request", `part ${index} is ${part.size} bytes; this request has ${upload.contentLength}`);
  }
  const object = await putChecked(bucket, part, index, upload);
  if (object.size !== part.size) {
    // Not recorded as stored, so the agent sends it again (and the next put replaces this object).
    throw new AppError("bad_request", `part ${index}: R2 stored ${object.size} bytes, not ${part.size}; send it again`);
  }
  const thisBlob = and(eq(blobs.checkId, backup.checkId), eq(blobs.sha256, part.sha256), eq(blobs.r2Key, part.r2Key));
  const unit = begin()
    .guard("part not stored yet", sql`EXISTS (SELECT 1 FROM ${blobs} WHERE ${thisBlob} AND ${blobs.stored} = 0)`)
    .write(
      db.update(blobs).set({ stored: true, storedSize: object.size }).where(thisBlob),
      storedBytesChange(sql`${object.size}`),
    );
  if ((await unit.commit()).applied) return { stored: true, alreadyStored: false };
  const [storedBlob] = await db
    .select({ r2Key: blobs.r2Key })
    .from(blobs)
    .where(and(eq(blobs.checkId, backup.checkId), eq(blobs.sha256, part.sha256), eq(blobs.stored, true)));
  if (storedBlob?.r2Key === part.r2Key) return alreadyStored(begin); // a concurrent request stored it first
  // The part's blob was purged meanwhile (its backup failed or was abandoned): nothing refers to
  // the object just written, so it goes again, and the request is refused like any on a failed backup.
  await bucket.delete(part.r2Key);
  throw new AppError("conflict", "the backup stopped taking parts while this one was sent; nothing was stored");
}

/** A part stored before: the request still commits its unit (its nonce), and writes nothing else. */
async function alreadyStored(begin: BeginUnit) {
  await begin().commit();
  return { stored: false, alreadyStored: true };
}

async function putChecked(bucket: R2Bucket, part: PartRow, index: number, upload: PartUpload): Promise<R2Object> {
  try {
    return await bucket.put(part.r2Key, upload.body ?? new Uint8Array(0), { sha256: part.sha256 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/sha-?256|checksum|digest|hash/i.test(message)) {
      throw new AppError("bad_request", `part ${index} does not match its sha256: nothing was stored`);
    }
    // A client that goes away mid-part is normal in a resumable protocol, not a server error.
    if (/connection lost|disconnected|aborted|closed/i.test(message)) {
      throw new AppError(
        "bad_request",
        `the upload of part ${index} was interrupted: nothing was stored; send it again`,
      );
    }
    throw error;
  }
}

export type ByteRange = { start: number; end: number }; // inclusive, like HTTP

/** Parses a single `bytes=` range against a size; null for none, "unsatisfiable" for a bad one. */
export function parseRange(header: string | null | undefined, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return "unsatisfiable";
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? "unsatisfiable" : { start, end };
}

/**
 * The artifact as one HTTP response, streamed part after part from R2 (a Range is mapped onto the
 * parts it covers). Memory stays at one chunk whatever the size. `beforeFirstByte` runs once the
 * download is known to be deliverable, before anything is read from R2. Only complete (and
 * suspicious) backups can be downloaded, by any route that serves content.
 */
export async function contentResponse(
  db: Db,
  bucket: R2Bucket,
  backup: BackupRow,
  rangeHeader: string | undefined,
  beforeFirstByte: () => Promise<unknown> = async () => {},
) {
  if (backup.status !== "complete" && backup.status !== "suspicious") {
    throw new AppError("conflict", `the backup is ${backup.status}; only complete backups can be downloaded`);
  }
  const range = parseRange(rangeHeader, backup.size);
  if (range === "unsatisfiable") {
    const error = new AppError("range_not_satisfiable", `the range is outside the backup's ${backup.size} bytes`);
    return Response.json(error.toBody(), { status: 416, headers: { "Content-Range": `bytes */${backup.size}` } });
  }
  const parts = await db
    .select({
      idx: p.idx,
      size: p.size,
      r2Key: b.r2Key,
      storedSize: sql<number | null>`CASE WHEN ${b.stored} = 1 THEN ${b.storedSize} END`,
    })
    .from(p)
    .leftJoin(b, blobOfPart(backup))
    .where(eq(p.backupId, backup.id))
    .orderBy(p.idx);
  // Never advertise a length the parts cannot deliver: refuse before the first byte instead.
  const short = parts.find((p) => p.storedSize !== p.size);
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (short || total !== backup.size) {
    const what = short
      ? `part ${short.idx} is not stored with its ${short.size} bytes`
      : `its parts hold ${total} bytes`;
    throw new AppError("conflict", `the backup cannot be downloaded whole: ${what} (it declares ${backup.size})`);
  }
  await beforeFirstByte(); // a signed download commits its unit (its nonce) here: a replay streams nothing
  const { start, end } = range ?? { start: 0, end: backup.size - 1 };
  const length = Math.max(0, end - start + 1);
  const { readable, writable } = new FixedLengthStream(length);
  void pump(bucket, parts, start, end, writable);
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "Content-Disposition": `attachment; filename="${backup.id}${extensionOf(backup)}"`,
    "Accept-Ranges": "bytes",
    "Content-Length": String(length),
    ETag: `"${backup.sha256}"`,
    "X-Lifeboat-SHA256": backup.sha256,
  });
  if (range) headers.set("Content-Range", `bytes ${start}-${end}/${backup.size}`);
  return new Response(readable, { status: range ? 206 : 200, headers });
}

async function pump(
  bucket: R2Bucket,
  parts: { size: number; r2Key: string | null }[],
  start: number,
  end: number,
  writable: WritableStream,
) {
  let offset = 0;
  try {
    for (const part of parts) {
      const partStart = offset;
      offset += part.size;
      if (offset <= start || partStart > end || part.size === 0) continue;
      const from = Math.max(start, partStart) - partStart;
      const to = Math.min(end, offset - 1) - partStart;
      const object = await bucket.get(part.r2Key!, { range: { offset: from, length: to - from + 1 } });
      if (!object) throw new Error(`part object ${part.r2Key} is missing from R2`);
      await object.body.pipeTo(writable, { preventClose: true });
    }
    await writable.close();
  } catch (error) {
    console.error("backup download failed:", error instanceof Error ? error.message : error);
    await writable.abort(error);
  }
}

function extensionOf(backup: BackupRow): string {
  const compression = backup.compression === "gzip" ? ".gz" : backup.compression === "zstd" ? ".zst" : "";
  return `${compression}${backup.encryption === "age" ? ".age" : ""}`;
}
