import { getTableColumns, sql, type Table } from "drizzle-orm";

// Raw SQL (kept where D1's limits need it: a batch, an upsert in place, a set-based guarded UPDATE)
// names its columns and types its rows through schema.ts, so renaming a column there either
// renders the new name here or fails `tsc` (test/worker/columns.test-d.ts shows both).

type ColumnsOf<T extends Table> = T["_"]["columns"];

/** The SQL name of a column of `table`, as schema.ts spells it. */
export function col<T extends Table, K extends keyof ColumnsOf<T> & string>(table: T, key: K) {
  return sql.identifier(getTableColumns(table)[key]!.name);
}

/** How D1 returns a column to raw SQL: JSON as its text, booleans as 0/1, enums as their strings. */
type Stored<C extends ColumnsOf<Table>[string]> =
  | (C["_"]["data"] extends string | number ? C["_"]["data"] : C["_"]["driverParam"])
  | (C["_"]["notNull"] extends true ? never : null);

/** A raw query's row: these columns of `table` under their SQL names, typed as D1 returns them. */
export type RawRow<T extends Table, K extends keyof ColumnsOf<T>> = {
  [P in K as ColumnsOf<T>[P]["_"]["name"]]: Stored<ColumnsOf<T>[P]>;
};

/** One column of `table` under the name a query gives it (`… AS name`), typed as D1 returns it. */
export type RawAs<T extends Table, K extends keyof ColumnsOf<T>, Name extends string> = {
  [P in Name]: Stored<ColumnsOf<T>[K]>;
};

/** A raw row whose `keys` the query keeps non-null (by a JOIN on them, or a WHERE … IN). */
export type NonNullIn<R, K extends keyof R> = Omit<R, K> & { [P in K]: NonNullable<R[P]> };
