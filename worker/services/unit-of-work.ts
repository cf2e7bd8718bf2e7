import { getTableName, sql, type SQL } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { nonces, unitOfWorkGuards } from "../db/schema";
import { col } from "./columns";
import { replayedNonce, type NonceRecord } from "./keys";
import { batch, type Db, type Statement } from "./db";

/**
 * One unit of work: all the writes of one request (or of one sweep step) as ONE D1 batch that
 * applies whole or not at all. D1 runs a batch as one transaction, its statements in order, inside
 * a single-threaded Durable Object: nothing else runs between them, and a failing statement rolls
 * every one of them back.
 *
 * The contract (issues 13, 17, 18 and 20 build on it):
 *
 * - **The nonce first.** A signed request's unit starts with its nonce as a plain INSERT: a replay
 *   fails the batch on the nonce's unique key and `commit` throws `replayed_nonce`. This is the only
 *   place a nonce is written; a request whose unit does not apply leaves no nonce behind.
 * - **Guards.** `guard(name, condition)` is a statement that fails the batch when `condition` (an SQL
 *   expression, true when non-zero; NULL counts as false) does not hold at that point of the batch.
 *   A guarded change is written as the guard (the row is still as it was read: its status, its
 *   revision) followed by the UPDATE and what depends on it — inserts, refcount and byte-counter
 *   moves — which need no condition of their own: if any guard fails, nothing of the unit is stored.
 * - **`commit()`** answers `{ applied: true, results }` (D1's results of the `write` statements, in
 *   order) or `{ applied: false }`. `failedGuard()` then names the first guard that does not hold
 *   when read again (one read-only query, only when asked; null if they all hold again by then: the
 *   caller re-reads and retries).
 * - **One attempt per unit.** A caller that retries after a revision moved builds a new unit.
 *
 * Set-based sweep steps whose guard is their own WHERE (one UPDATE choosing rows by status and
 * time) are a unit of one statement; they use `batch` directly where the statements pick the same
 * rows inside one transaction (releaseMarked).
 */
export class UnitOfWork {
  private readonly statements: Statement[] = [];
  private readonly guards: { name: string; condition: SQL }[] = [];
  private readonly writes: number[] = [];

  constructor(
    readonly db: Db,
    private readonly options: UnitOptions = {},
  ) {
    if (options.nonce) this.statements.push(db.insert(nonces).values(options.nonce));
    this.statements.push(...(options.always ?? []));
  }

  /** The rest of the unit applies only if `condition` holds here (see the contract above). */
  guard(name: string, condition: SQL): this {
    this.guards.push({ name, condition });
    // Raw: an INSERT … SELECT that inserts (and so fails the batch) only when the condition is false.
    this.statements.push(
      sql`INSERT INTO ${unitOfWorkGuards} (${col(unitOfWorkGuards, "guard")}) SELECT ${name} WHERE ${holds(condition)} = 0`,
    );
    return this;
  }

  /** Statements that apply with the unit; their D1 results come back from `commit`, in order. */
  write(...statements: Statement[]): this {
    for (const statement of statements) {
      this.writes.push(this.statements.length);
      this.statements.push(statement);
    }
    return this;
  }

  async commit(): Promise<UnitResult> {
    try {
      const results = await batch(this.db, this.statements);
      this.options.onApplied?.();
      return { applied: true, results: this.writes.map((i) => results[i]!) };
    } catch (error) {
      if (this.options.nonce && causedBy(error, `UNIQUE constraint failed: ${getTableName(nonces)}.`))
        throw replayedNonce();
      if (causedBy(error, GUARD_CHECK)) return { applied: false };
      throw error;
    }
  }

  /** After a unit did not apply: the first guard that does not hold now, or null if all do again. */
  async failedGuard(): Promise<string | null> {
    if (this.guards.length === 0) return null;
    const columns = this.guards.map((g, i) => sql`${holds(g.condition)} AS ${sql.raw(`g${i}`)}`);
    const row = await this.db.get<Record<string, number>>(sql`SELECT ${sql.join(columns, sql`, `)}`);
    const index = this.guards.findIndex((_, i) => row?.[`g${i}`] !== 1);
    return index < 0 ? null : this.guards[index]!.name;
  }
}

export type UnitOptions = {
  /** The signed request's nonce: stored first, so a replay fails the whole unit. */
  nonce?: NonceRecord;
  /** Statements every unit of the request carries (an agent key's last use). */
  always?: Statement[];
  /** Told when the unit applied (a signed request checks that its success committed one). */
  onApplied?: () => void;
};

export type UnitResult = { applied: true; results: D1Result[] } | { applied: false };

/** How a service starts a unit: a signed request passes one that carries its nonce. */
export type BeginUnit = () => UnitOfWork;

export function unitOfWork(db: Db, options: UnitOptions = {}): UnitOfWork {
  return new UnitOfWork(db, options);
}

/** For callers without a request of their own (the admin API, the sweep): a unit with no nonce. */
export const plainUnits =
  (db: Db): BeginUnit =>
  () =>
    unitOfWork(db);

/** 1 when the condition holds, 0 when it is false or NULL. */
const holds = (condition: SQL) => sql`coalesce((${condition}) <> 0, 0)`;

/** The name of the CHECK that fails a batch whose guard did not hold (schema.ts unitOfWorkGuards). */
const GUARD_CHECK = getTableConfig(unitOfWorkGuards).checks[0]!.name;

/** True when a D1 error (drizzle wraps D1's in `cause`) carries this message. */
function causedBy(error: unknown, text: string): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e.message.includes(text)) return true;
  return false;
}
