import { env } from "cloudflare:workers";

/**
 * Whole-database and whole-bucket snapshots for the reliability tests (workerd only): "a refused
 * request writes nothing" means no row inserted, deleted *or updated* in any table, and no R2
 * object added or removed. tableCounts() in api.ts sees inserts and deletes; these see updates too.
 */

export type DbSnapshot = Map<string, Map<string, string>>;

/** Every user table (migrations' own bookkeeping and sqlite's internals left out). */
export async function userTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table'
       AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' ORDER BY name`,
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

/** Each table's rows, keyed by rowid (or the whole row for WITHOUT ROWID tables), as JSON. */
export async function snapshotDb(): Promise<DbSnapshot> {
  const snapshot: DbSnapshot = new Map();
  for (const table of await userTables()) {
    let rows: Record<string, unknown>[];
    try {
      rows = (await env.DB.prepare(`SELECT rowid AS __rowid, * FROM "${table}"`).all()).results;
    } catch {
      rows = (await env.DB.prepare(`SELECT * FROM "${table}"`).all()).results;
    }
    const byKey = new Map<string, string>();
    for (const row of rows) {
      const json = JSON.stringify(row);
      byKey.set(row.__rowid !== undefined ? String(row.__rowid) : json, json);
    }
    snapshot.set(table, byKey);
  }
  return snapshot;
}

/** Rows inserted, deleted or changed between two snapshots, per table (tables without changes left out). */
export function rowsWritten(before: DbSnapshot, after: DbSnapshot): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(table) ?? new Map<string, string>();
    const b = after.get(table) ?? new Map<string, string>();
    let n = 0;
    for (const [key, row] of b) if (a.get(key) !== row) n++;
    for (const key of a.keys()) if (!b.has(key)) n++;
    if (n > 0) changed[table] = n;
  }
  return changed;
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((s, n) => s + n, 0);

/** Every object key in the bucket (all pages of list()). */
export async function r2Keys(bucket: R2Bucket = env.BUCKET): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ cursor, limit: 1000 });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/**
 * SQLite's own consistency checks: [] when the database is sound. D1 refuses `PRAGMA integrity_check`
 * (SQLITE_AUTH) but allows `quick_check` (integrity_check minus the index-content checks) and
 * `foreign_key_check`; the index-content part is redone here: every full index holds exactly the
 * table's rows (a count through the index equals a count without it), and no UNIQUE index has duplicates.
 */
export async function integrityProblems(): Promise<string[]> {
  const problems: string[] = [];
  const integrity = await env.DB.prepare("PRAGMA quick_check").all<Record<string, unknown>>();
  for (const row of integrity.results) {
    const value = Object.values(row)[0];
    if (value !== "ok") problems.push(`integrity_check: ${String(value)}`);
  }
  const foreign = await env.DB.prepare("PRAGMA foreign_key_check").all<Record<string, unknown>>();
  for (const row of foreign.results) problems.push(`foreign_key_check: ${JSON.stringify(row)}`);
  for (const table of await userTables()) {
    const indexes = await env.DB.prepare(`PRAGMA index_list("${table}")`).all<{
      name: string;
      unique: number;
      partial: number;
    }>();
    for (const index of indexes.results.filter((i) => !i.partial && !i.name.startsWith("sqlite_autoindex"))) {
      const columns = (
        await env.DB.prepare(`PRAGMA index_info("${index.name}")`).all<{ name: string | null }>()
      ).results
        .map((c) => c.name)
        .filter((c): c is string => c !== null);
      if (columns.length === 0) continue; // an index on expressions: nothing to compare by name
      const first = `"${columns[0]}"`;
      const through = await env.DB.prepare(
        `SELECT count(*) AS n FROM "${table}" INDEXED BY "${index.name}" WHERE ${first} IS NOT NULL OR ${first} IS NULL`,
      ).first<{ n: number }>();
      const without = await env.DB.prepare(`SELECT count(*) AS n FROM "${table}" NOT INDEXED`).first<{ n: number }>();
      if (through!.n !== without!.n) problems.push(`index ${index.name}: ${through!.n} entries for ${without!.n} rows`);
      if (index.unique) {
        const list = columns.map((c) => `"${c}"`).join(", ");
        const duplicates = await env.DB.prepare(
          `SELECT count(*) AS n FROM (SELECT 1 FROM "${table}" NOT INDEXED WHERE ${columns.map((c) => `"${c}" IS NOT NULL`).join(" AND ")} GROUP BY ${list} HAVING count(*) > 1)`,
        ).first<{ n: number }>();
        if (duplicates!.n > 0) problems.push(`unique index ${index.name}: ${duplicates!.n} duplicated key(s)`);
      }
    }
  }
  return problems;
}

/** The error body every JSON 4xx must have: `{ error: { code, message } }` with non-empty strings. */
export function isErrorShape(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" && code.length > 0 && typeof message === "string" && message.length > 0;
}
