import { and, count, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { checks, resticFiles, resticRepos, type CheckRow, type ResticFileRow } from "../db/schema";
import type { RawAs, RawRow } from "./columns";
import type { Db } from "./db";
import type { FileRef } from "./restic-files";

/** A restic check as a request sees it: the check, its totals, and the file the request names. */
export type ResticRepository = {
  check: CheckRow;
  storedBytes: number;
  file: ResticFileRow | null;
};

type Preloaded = [CheckRow[], { storedBytes: number }[], ResticFileRow[]];

/**
 * The reads every restic request starts with, for the same D1 round trip as the key's (`preload`):
 * the check by slug, its totals and the named file, each one indexed select. (Separate selects, not
 * a join: D1 returns rows as objects, and the tables share column names.)
 */
export function repositoryQueries(db: Db, slug: string, ref: FileRef | null) {
  const checkId = sql`(SELECT ${checks.id} FROM ${checks} WHERE ${checks.slug} = ${slug})`;
  return [
    db.select().from(checks).where(eq(checks.slug, slug)).limit(1),
    db.select({ storedBytes: resticRepos.storedBytes }).from(resticRepos).where(eq(resticRepos.checkId, checkId)),
    db
      .select()
      .from(resticFiles)
      .where(
        ref
          ? and(eq(resticFiles.checkId, checkId), eq(resticFiles.type, ref.type), eq(resticFiles.name, ref.name))
          : sql`false`,
      )
      .limit(1),
  ] as const;
}

export function repositoryOf([[check], [repo], [file]]: Preloaded): ResticRepository | undefined {
  if (!check || check.kind !== "restic") return undefined;
  return { check, storedBytes: repo?.storedBytes ?? 0, file: file ?? null };
}

export type { Preloaded as RepositoryRows };

export type RepositoryStats = {
  checkId: number;
  storedBytes: number;
  files: number;
  receivedBytes: number;
  snapshots: number;
  lastSnapshotAt: number | null;
  lastSnapshotAddedBytes: number | null;
  createdAt: number | null;
};

/** Totals of every restic repository (or one), for /metrics, the dashboard and the admin API. */
export async function repositoryStats(db: Db, checkId?: number): Promise<RepositoryStats[]> {
  const [c, r, f] = [alias(checks, "c"), alias(resticRepos, "r"), alias(resticFiles, "f")];
  type Totals = RawRow<typeof resticRepos, "storedBytes" | "files" | "receivedBytes" | "createdAt">;
  // Raw: correlated subqueries per repository in one read (the newest snapshot as a json_array).
  const rows = await db.all<
    RawAs<typeof checks, "id", "check_id"> & { [K in keyof Totals]: Totals[K] | null } & {
      snapshots: number;
      newest: string | null;
    }
  >(sql`
    SELECT ${c.id} AS check_id, ${r.storedBytes}, ${r.files}, ${r.receivedBytes}, ${r.createdAt},
      (SELECT count(*) FROM ${resticFiles} ${f} WHERE ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots') AS snapshots,
      (SELECT json_array(${f.receivedAt}, ${f.addedBytes}) FROM ${resticFiles} ${f}
        WHERE ${f.checkId} = ${c.id} AND ${f.type} = 'snapshots' ORDER BY ${f.receivedAt} DESC LIMIT 1) AS newest
    FROM ${checks} ${c} LEFT JOIN ${resticRepos} ${r} ON ${r.checkId} = ${c.id}
    WHERE ${c.kind} = 'restic' ${checkId === undefined ? sql`` : sql`AND ${c.id} = ${checkId}`}
    ORDER BY ${c.slug}`);
  return rows.map((r) => {
    const newest = r.newest ? (JSON.parse(r.newest) as [number, number | null]) : null;
    return {
      checkId: r.check_id,
      storedBytes: r.stored_bytes ?? 0,
      files: r.files ?? 0,
      receivedBytes: r.received_bytes ?? 0,
      snapshots: r.snapshots,
      lastSnapshotAt: newest?.[0] ?? null,
      lastSnapshotAddedBytes: newest?.[1] ?? null,
      createdAt: r.created_at,
    };
  });
}

/**
 * Files and bytes per type of one repository. The small types are counted through the primary key;
 * data is the rest of the running totals, so a repository of 100,000 packs is not read to draw a table.
 */
export async function filesByType(db: Db, repo: RepositoryStats) {
  const small = await db
    .select({
      type: resticFiles.type,
      files: count(),
      bytes: sql<number>`coalesce(sum(${resticFiles.size}), 0)`,
    })
    .from(resticFiles)
    .where(
      and(
        eq(resticFiles.checkId, repo.checkId),
        sql`${resticFiles.type} IN ('config', 'index', 'keys', 'locks', 'snapshots')`,
      ),
    )
    .groupBy(resticFiles.type);
  const files = small.reduce((n, t) => n + t.files, 0);
  const bytes = small.reduce((n, t) => n + t.bytes, 0);
  const data = { type: "data", files: repo.files - files, bytes: repo.storedBytes - bytes };
  return [data, ...small].sort((a, b) => a.type.localeCompare(b.type));
}

/** The newest snapshots of a repository, newest first. */
export async function latestSnapshots(db: Db, checkId: number, limit: number) {
  return db
    .select()
    .from(resticFiles)
    .where(and(eq(resticFiles.checkId, checkId), eq(resticFiles.type, "snapshots")))
    .orderBy(sql`${resticFiles.receivedAt} DESC`)
    .limit(limit);
}
