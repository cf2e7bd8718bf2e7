import { and, desc, eq, lt, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { backupParts, backups, blobs, checks, type BackupRow, type BackupSignature, type CheckRow } from "../db/schema";
import type { Manifest } from "../domain/manifest";
import { immutableUntil } from "../domain/retention";
import { toHex } from "../domain/signing";
import { AppError, notFound } from "../errors";
import { col } from "./columns";
import type { Db, Statement } from "./db";
import { plainUnits, type BeginUnit } from "./unit-of-work";

export type NewBackup = Manifest & {
  sha256: string;
  compression: string;
  encryption: string;
  source: BackupRow["source"];
  host: string;
  meta: Record<string, unknown>;
  keyId: string | null;
  signature?: BackupSignature;
};

// Raw SQL stays for json_each lists (D1 binds at most 100 parameters), upserts of refcounts in
// place and set-based releases; columns come from schema.ts through these aliases and col().
const p = alias(backupParts, "p");
const b = alias(backups, "b");
const k = alias(backups, "k");
const sb = alias(blobs, "b");
const bl = (key: keyof typeof blobs.$inferSelect) => col(blobs, key);
const bk = (key: keyof BackupRow) => col(backups, key);

/**
 * SQL: the backup `k` (an alias of backups) holds one reference on each distinct part it uses. An
 * upload takes them when registered; a failed one gave them back when it failed, and so does not
 * hold them when it is later tombstoned either (its parts must not be given back twice when the
 * tombstone is purged).
 */
export const holdsParts = (k: { status: AnyColumn; tombstonedFrom: AnyColumn }) =>
  sql`(${k.status} IN ('uploading', 'complete', 'suspicious')
       OR (${k.status} IN ('tombstoned', 'leaving') AND coalesce(${k.tombstonedFrom}, '') <> 'failed'))`;
const ids = (values: unknown[]) => JSON.stringify(values);
const CREATE_ATTEMPTS = 4;

/**
 * Registers a backup and its parts. Parts the check already has stored (same sha256, and the same
 * size: one sha256 has one size) are shared, not uploaded again; the answer lists the parts still
 * to send. The backup's immutability window is fixed now: received_at plus the check's
 * min_age_days as it is at this moment. One unit of work: the nonce, the backup, its parts and the
 * blobs' references, applied only if the check still exists and the blobs are still as read.
 */
export async function createBackup(
  db: Db,
  check: CheckRow,
  input: NewBackup,
  now: number,
  begin: BeginUnit = plainUnits(db),
) {
  const sizes = new Map(input.parts.map((p) => [p.sha256, p.size]));
  for (let attempt = 1; ; attempt++) {
    const known = await db
      .select({ sha256: blobs.sha256, size: blobs.size, stored: blobs.stored })
      .from(blobs)
      .where(
        and(
          eq(blobs.checkId, check.id),
          sql`${blobs.sha256} IN (SELECT value FROM json_each(${ids([...sizes.keys()])}))`,
        ),
      );
    for (const blob of known) {
      const index = input.parts.findIndex((p) => p.sha256 === blob.sha256);
      if (blob.size !== sizes.get(blob.sha256)) throw storedWithAnotherSize(index, blob, sizes.get(blob.sha256)!);
    }
    const stored = known.filter((b) => b.stored).map((b) => b.sha256);
    const id = `bk_${toHex(crypto.getRandomValues(new Uint8Array(10)))}`;
    const unit = begin()
      .guard(
        "check exists",
        sql`EXISTS (SELECT 1 FROM ${checks} WHERE ${checks.id} = ${check.id} AND ${checks.kind} = 'backup')`,
      )
      // The parts counted as stored (not to be sent) are still stored, and no part is known with
      // another size: a purge or another upload between the read above and this batch makes us re-read.
      .guard(
        "blobs as read",
        sql`(SELECT count(*) FROM ${blobs} WHERE ${blobs.checkId} = ${check.id} AND ${blobs.stored} = 1
               AND ${blobs.sha256} IN (SELECT value FROM json_each(${ids(stored)}))) = ${stored.length}
            AND NOT EXISTS (SELECT 1 FROM ${blobs} ${sb} JOIN json_each(${JSON.stringify(Object.fromEntries(sizes))}) j
                            ON ${sb.sha256} = j.key WHERE ${sb.checkId} = ${check.id} AND ${sb.size} <> j.value)`,
      )
      .write(...registration(db, id, check, input, new Set(stored), sizes, now));
    if ((await unit.commit()).applied) {
      return { id, missing: input.parts.filter((p) => !stored.includes(p.sha256)).map((p) => p.index) };
    }
    if ((await unit.failedGuard()) === "check exists") throw notFound("check");
    if (attempt >= CREATE_ATTEMPTS) {
      throw new AppError("conflict", "the check's stored parts changed while registering the backup; try again");
    }
  }
}

function registration(
  db: Db,
  id: string,
  check: CheckRow,
  input: NewBackup,
  stored: Set<string>,
  sizes: Map<string, number>,
  now: number,
): Statement[] {
  const newBytes = [...sizes].filter(([sha]) => !stored.has(sha)).reduce((sum, [, size]) => sum + size, 0);
  // Each blob incarnation gets its own key: a purge of an old one can never hit a new upload.
  const blobRows = [...sizes].map(([sha256, size]) => ({
    sha256,
    size,
    key: `blobs/${check.uuid}/${sha256}/${crypto.randomUUID()}`,
  }));
  return [
    db.insert(backups).values({
      id,
      checkId: check.id,
      size: input.size,
      sha256: input.sha256,
      partSize: input.partSize,
      partCount: input.parts.length,
      compression: input.compression,
      encryption: input.encryption,
      source: input.source,
      host: input.host,
      meta: input.meta,
      keyId: input.keyId,
      signature: input.signature ?? null,
      receivedAt: now,
      immutableUntil: immutableUntil(now, { minAgeDays: check.minAgeDays }),
      newBytes,
    }),
    sql`INSERT INTO ${backupParts} (${columns(backupParts, ["backupId", "idx", "size", "sha256"])})
        SELECT ${id}, json_extract(value, '$.index'), json_extract(value, '$.size'), json_extract(value, '$.sha256')
        FROM json_each(${ids(input.parts)})`,
    sql`INSERT INTO ${blobs} (${columns(blobs, ["checkId", "sha256", "size", "r2Key", "refs", "createdAt"])})
        SELECT ${check.id}, json_extract(value, '$.sha256'), json_extract(value, '$.size'), json_extract(value, '$.key'), 1, ${now}
        FROM json_each(${ids(blobRows)}) WHERE true
        ON CONFLICT (${bl("checkId")}, ${bl("sha256")}) DO UPDATE SET ${bl("refs")} = ${bl("refs")} + 1`,
  ];
}

/** A column list for a raw INSERT, in schema.ts's SQL names. */
function columns<T extends typeof backupParts | typeof blobs>(table: T, keys: (keyof T["$inferSelect"] & string)[]) {
  return sql.join(
    keys.map((key) => col(table, key as never)),
    sql`, `,
  );
}

const storedWithAnotherSize = (index: number, blob: { sha256: string; size: number }, declared: number) =>
  new AppError(
    "validation_failed",
    `invalid manifest: parts[${index}].sha256: ${blob.sha256} is stored for this check with ${blob.size} bytes, not ${declared}`,
    [{ field: `parts[${index}].sha256`, message: `stored with ${blob.size} bytes, not ${declared}` }],
  );

/** A backup by id; deleted ones are gone for everyone, tombstoned ones exist only for the admin API. */
export async function findBackup(db: Db, id: string, opts: { tombstoned?: boolean } = {}): Promise<BackupRow> {
  const row = await db.query.backups.findFirst({ where: eq(backups.id, id) });
  if (!row || row.status === "deleted" || (row.status === "tombstoned" && !opts.tombstoned)) throw notFound("backup");
  return row;
}

/** Indexes of the parts whose bytes are not stored yet, in order: what a resumed upload sends. */
export async function missingParts(db: Db, backup: BackupRow): Promise<number[]> {
  const rows = await db
    .select({ idx: p.idx })
    .from(p)
    .leftJoin(sb, and(eq(sb.checkId, backup.checkId), eq(sb.sha256, p.sha256)))
    .where(and(eq(p.backupId, backup.id), sql`coalesce(${sb.stored}, 0) = 0`))
    .orderBy(p.idx);
  return rows.map((r) => r.idx);
}

export async function listBackups(
  db: Db,
  filter: { checkId?: number; status?: BackupRow["status"]; before?: number; limit: number; tombstoned?: boolean },
) {
  // Tombstoned backups are hidden from agents; the admin API lists them (to undelete).
  const where: SQL[] = [sql`${backups.status} != 'deleted'`];
  if (!filter.tombstoned) where.push(sql`${backups.status} != 'tombstoned'`);
  if (filter.checkId !== undefined) where.push(eq(backups.checkId, filter.checkId));
  if (filter.status) where.push(eq(backups.status, filter.status));
  if (filter.before !== undefined) where.push(lt(backups.receivedAt, filter.before));
  return db
    .select()
    .from(backups)
    .where(and(...where))
    .orderBy(desc(backups.receivedAt), desc(backups.id))
    .limit(filter.limit);
}

/**
 * Set-based release for many backups at once, in three statements whatever their number (D1
 * limits the queries of an invocation, and may count each statement of a batch): mark the
 * chosen backups 'leaving', take one reference per leaving backup that still held its parts off
 * each part they use, and give them their final status. In one batch, so 'leaving' is never seen
 * outside it, and each reference moves exactly when its backup's status does.
 */
export function releaseMarked(pick: SQL, finalSet: SQL) {
  const [refs, status] = [bl("refs"), bk("status")];
  // Raw: set-based UPDATEs whose 'leaving' literal matches the backups_leaving partial index.
  return [
    sql`UPDATE ${backups} SET ${status} = 'leaving' WHERE ${bk("id")} IN (${pick})`,
    sql`UPDATE ${blobs} SET ${refs} = ${refs} - (
          SELECT count(DISTINCT ${p.backupId}) FROM ${backupParts} ${p} JOIN ${backups} ${b} ON ${b.id} = ${p.backupId}
          WHERE ${b.status} = 'leaving' AND ${holdsParts(b)} AND ${b.checkId} = ${blobs.checkId} AND ${p.sha256} = ${blobs.sha256})
        WHERE (${bl("checkId")}, ${bl("sha256")}) IN (
          SELECT ${b.checkId}, ${p.sha256} FROM ${backups} ${b} JOIN ${backupParts} ${p} ON ${p.backupId} = ${b.id}
          WHERE ${b.status} = 'leaving')`,
    sql`UPDATE ${backups} SET ${finalSet} WHERE ${status} = 'leaving'`,
  ];
}

/** Gives back this backup's reference on each distinct part; the sweep purges blobs left with none. */
export function releaseParts(backup: Pick<BackupRow, "id" | "checkId">) {
  return sql`UPDATE ${blobs} SET ${bl("refs")} = ${bl("refs")} - 1
    WHERE ${bl("checkId")} = ${backup.checkId} AND ${bl("sha256")} IN (
      SELECT DISTINCT ${backupParts.sha256} FROM ${backupParts} WHERE ${backupParts.backupId} = ${backup.id})`;
}

/**
 * True (SQL) when some backup still needs the blob `blob` (an alias of blobs): one that holds its
 * parts, or one still inside its immutability window that did not fail (a failed upload never was
 * a backup). Counted from backup_parts (backup_parts_by_sha256), not from `refs`: the purge asks
 * this before any R2 delete.
 */
export function blobStillNeeded(blob: { sha256: AnyColumn; checkId: AnyColumn }, now: number): SQL {
  return sql`EXISTS (SELECT 1 FROM ${backupParts} ${p} JOIN ${backups} ${k} ON ${k.id} = ${p.backupId}
    WHERE ${p.sha256} = ${blob.sha256} AND ${k.checkId} = ${blob.checkId}
      AND (${holdsParts(k)} OR (${k.status} <> 'failed' AND ${k.immutableUntil} > ${now})))`;
}
