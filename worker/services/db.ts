import { is, SQL } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "../db/schema";

export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

export function openDb(d1: D1Database): Db {
  return drizzle(d1, { schema }) as Db;
}

/** A fresh revision token: a write applies only if the row still has the token it was read with. */
export function newRevision(): string {
  return crypto.randomUUID();
}

type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };
const dialect = new SQLiteAsyncDialect();

/**
 * Runs drizzle queries and raw `sql` as one D1 batch (one transaction) and returns D1's own
 * results, whose meta (changes, rows_read) the callers need. drizzle's batch cannot hold raw sql.
 */
export function batch(db: Db, statements: Statement[]): Promise<D1Result[]> {
  const prepared = statements.map((statement) => {
    const query = is(statement, SQL) ? dialect.sqlToQuery(statement) : statement.toSQL();
    return db.$client.prepare(query.sql).bind(...query.params);
  });
  return db.$client.batch(prepared);
}

/** Sum of D1's rows_read over statement results (how the sweep proves it reads O(due)). */
export function rowsRead(results: { meta?: { rows_read?: number } }[]): number {
  return results.reduce((sum, r) => sum + (r.meta?.rows_read ?? 0), 0);
}
