// env.DB with every D1 round trip recorded: the one counting proxy of the bench's counting Worker
// (bench/lib/counting-worker.ts, bundled by wrangler) and of the tests that hold a request to a
// rows budget (test/worker/ping-ring.test.ts). No workerd-only imports, so both can use it.

export type D1Call = {
  method: string;
  statements: number;
  sql: string;
  /** null: a first()/raw() of a statement that is not a plain SELECT, whose meta D1 does not return */
  rows_read: number | null;
  rows_written: number | null;
};

/** The rows the calls read and wrote, D1's own counts (an unknown count adds nothing). */
export function rowTotals(calls: D1Call[]) {
  return {
    rows_read: calls.reduce((sum, call) => sum + (call.rows_read ?? 0), 0),
    rows_written: calls.reduce((sum, call) => sum + (call.rows_written ?? 0), 0),
  };
}

/** The first words of a statement, enough to tell which query of the code it is. */
const summary = (query: string) => query.replace(/\s+/g, " ").trim().slice(0, 90);

const READ_ONLY = /^\s*select\b/i;
type Meta = { rows_read?: number; rows_written?: number };

/**
 * env.DB with each D1 round trip recorded, with D1's own rows_read and rows_written (meta).
 * run(), all() and batch() return meta; first() and raw() drop it, so for those the same statement
 * is run once more with all(), only to read its meta — and only if it is a plain SELECT, which
 * reads the same rows twice and writes nothing; for any other first()/raw() (e.g. UPDATE …
 * RETURNING) the rows are unknown (null). What the Worker gets back is always the real call's.
 * Statements are proxied; batch() gets the real ones back, since D1 checks what it is given.
 * meterRows() false skips that extra all() (it costs CPU, for CPU measurements): those calls are null.
 */
export function countingD1(db: D1Database, calls: D1Call[], meterRows: () => boolean = () => true): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();
  const record = (method: string, sql: string, metas: (Meta | null)[]) => {
    const known = metas.every((m) => m !== null);
    calls.push({
      method,
      statements: metas.length,
      sql,
      rows_read: known ? metas.reduce((sum, m) => sum + (m!.rows_read ?? 0), 0) : null,
      rows_written: known ? metas.reduce((sum, m) => sum + (m!.rows_written ?? 0), 0) : null,
    });
  };
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const sql = summary(query);
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), query);
        if (prop === "all" || prop === "run") {
          return async (...args: unknown[]) => {
            const result = (await (target[prop] as (...a: unknown[]) => Promise<D1Result>).apply(
              target,
              args,
            )) as D1Result;
            record(prop, sql, [result.meta as Meta]);
            return result;
          };
        }
        if (prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            const value = await (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            const meta = meterRows() && READ_ONLY.test(query) ? ((await target.all()).meta as Meta) : null;
            record(prop, sql, [meta]);
            return value;
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    sqlOf.set(proxy, sql);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => real.get(s) ?? s));
          const sql = statements.map((s) => sqlOf.get(s) ?? "?").join(" ; ");
          record(
            "batch",
            sql,
            results.map((r) => r.meta as Meta),
          );
          return results;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
