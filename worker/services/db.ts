import { getTableName, is, SQL } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "../db/schema";

export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

export function openDb(d1: D1Database): Db {
  return drizzle(d1, { schema }) as Db;
}

/** A fresh revision token: a write applies only if the row still has the token it was read with. */
export function newRevision(): string {
  return crypto.randomUUID();
}

export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };
const dialect = new SQLiteAsyncDialect();

/**
 * Runs drizzle queries and raw `sql` as one D1 batch (one transaction) and returns D1's own
 * results, whose meta (changes, rows_read) the callers need. drizzle's batch cannot hold raw sql.
 */
export function batch(db: Db, statements: Statement[]): Promise<D1Result[]> {
  return db.$client.batch(statements.map((statement) => prepare(db, statement)));
}

/** A drizzle query or raw `sql` as a D1 statement, for when D1's result meta is needed. */
export function prepare(db: Db, statement: Statement): D1PreparedStatement {
  const query = is(statement, SQL) ? dialect.sqlToQuery(statement) : statement.toSQL();
  return db.$client.prepare(query.sql).bind(...query.params);
}

/** True when a D1 write failed on a UNIQUE constraint (drizzle wraps D1's error in `cause`). */
export function isUniqueViolation(error: unknown, column: SQLiteColumn): boolean {
  // SQLite names the column as <table>.<column>, in schema.ts's SQL names.
  const name = `${getTableName(column.table)}.${column.name}`;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.message.includes(`UNIQUE constraint failed: ${name}`)) return true;
  }
  return false;
}
