import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { checks, pings, PING_SOURCES, type CheckRow, type PingRow } from "../db/schema";
import { applyPing, type Flip, type Ping } from "../domain/state";
import { stateColumns } from "./checks";
import { col } from "./columns";
import { newRevision, type Db } from "./db";
import { plainUnits, type BeginUnit, type UnitOfWork } from "./unit-of-work";

export const PING_BODY_LIMIT = 100_000;
/** The ring's size: each check keeps its last PINGS_KEPT pings (migration 0013). */
export const PINGS_KEPT = 100;
const WRITE_ATTEMPTS = 8;

export type PingMeta = {
  body: string;
  /** The body's bytes as base64 when they are not valid UTF-8 (`body` then shows them with U+FFFD). */
  bodyBase64?: string | null;
  bodyTruncated: boolean;
  source: (typeof PING_SOURCES)[number];
  method: string;
  ip: string | null;
  userAgent: string | null;
  keyId: string | null;
  /** Set when the ping reports a backup's completion or failure (services/backups.ts). */
  backupId?: string;
};

export type PingResult = { check: CheckRow; flip: Flip | null };

/**
 * Records a ping and moves the check's state. The ping row, the state change and the flip are one
 * unit of work guarded by the check's revision: it applies only if the check is unchanged since it
 * was read; a concurrent ping makes us re-read and re-apply, so no ping is lost and no transition
 * is computed from stale state. A signed ping's unit (`begin`) carries its nonce, so a replay writes
 * nothing and an accepted ping is never left without its nonce.
 */
export async function recordPing(
  db: Db,
  check: CheckRow,
  ping: Ping,
  meta: PingMeta,
  now: number,
  begin: BeginUnit = plainUnits(db),
): Promise<PingResult> {
  let current = check;
  ping = await withRunStart(db, check, ping);
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const unit = begin();
    const result = addPing(unit, current, ping, meta, now);
    if ((await unit.commit()).applied) return result;
    const reread = await db.query.checks.findFirst({ where: eq(checks.id, current.id) });
    if (!reread) {
      await begin().commit(); // deleted meanwhile: nothing to record against but the request itself
      return { check: current, flip: null };
    }
    current = reread;
  }
  // Still contended after every attempt: keep the ping itself rather than lose it, numbered by the
  // database (n_pings moves in the same unit), without a state change.
  await begin()
    .write(
      sql`UPDATE checks SET n_pings = n_pings + 1 WHERE id = ${current.id}`,
      ringWrite(
        db,
        pingRow(current.id, ping, meta, null, null, now),
        sql`(SELECT n_pings FROM checks WHERE id = ${current.id})`,
      ),
    )
    .commit();
  return { check: current, flip: null };
}

/**
 * A finishing ping whose rid is not the check's open run's: the time of the start with its rid, so
 * overlapping runs each get their duration (healthchecks does the same). One read of the check's
 * ring, only for such pings.
 */
async function withRunStart(db: Db, check: CheckRow, ping: Ping): Promise<Ping> {
  if (
    !ping.rid ||
    ping.rid === check.lastStartRid ||
    ping.kind === "start" ||
    ping.kind === "log" ||
    ping.kind === "ign"
  )
    return ping;
  const row = await db.get<{ at: number | null }>(
    sql`SELECT max(received_at) AS at FROM pings WHERE check_id = ${check.id} AND kind = 'start' AND rid = ${ping.rid}`,
  );
  return row?.at != null ? { ...ping, runStartedAt: row.at } : ping;
}

/**
 * Adds one ping to a unit of work: the guard that the check is still as read (its revision), the
 * state change (the flip_on_status trigger writes the flip within it) and the ping, written over
 * the oldest slot of the check's ring. Answers what the check becomes if the unit applies.
 */
export function addPing(unit: UnitOfWork, check: CheckRow, ping: Ping, meta: PingMeta, now: number): PingResult {
  const effect = applyPing(check, ping, now);
  const values = {
    ...stateColumns(effect.state),
    statusReason: effect.flip ? effect.flip.reason : check.statusReason,
    statusDetail: effect.flip ? effect.flip.detail : check.statusDetail,
    revision: newRevision(),
    updatedAt: now,
  };
  unit
    .guard(
      "check unchanged",
      sql`EXISTS (SELECT 1 FROM checks WHERE id = ${check.id} AND revision = ${check.revision})`,
    )
    .write(
      unit.db
        .update(checks)
        .set({ ...values, nPings: sql`${checks.nPings} + 1` })
        .where(and(eq(checks.id, check.id), eq(checks.revision, check.revision))),
      // The guard holds n_pings as read, so this ping is number nPings + 1.
      ringWrite(
        unit.db,
        pingRow(check.id, ping, meta, effect.durationMs, effect.outcome, now),
        sql`${check.nPings + 1}`,
      ),
    );
  return { check: { ...check, ...values, nPings: check.nPings + 1 }, flip: effect.flip };
}

/**
 * The check a ping URL names, by its uuid or its slug: one indexed select (a relational findFirst
 * costs noticeably more CPU to build, and this runs for every ping).
 */
export async function findCheckToPing(
  db: Db,
  by: { uuid: string } | { slug: string } | { pushToken: string },
): Promise<CheckRow | undefined> {
  const where =
    "uuid" in by
      ? eq(checks.uuid, by.uuid)
      : "slug" in by
        ? eq(checks.slug, by.slug)
        : eq(checks.pushToken, by.pushToken);
  const [row] = await db.select().from(checks).where(where).limit(1);
  return row;
}

export async function listPings(db: Db, checkId: number, limit = PINGS_KEPT): Promise<PingRow[]> {
  return db.select().from(pings).where(eq(pings.checkId, checkId)).orderBy(desc(pings.n)).limit(limit);
}

/** Reads at most `limit` bytes of a body and reports whether more was sent. */
export async function readLimitedBody(body: ReadableStream<Uint8Array> | null, limit = PING_BODY_LIMIT) {
  if (!body) return { text: "", truncated: false, base64: null };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      size = limit;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ...decodeBody(bytes, truncated), truncated };
}

/**
 * A body as text, and its bytes (base64) when they are not valid UTF-8: healthchecks keeps a body
 * byte for byte, and so does Lifeboat, while pages show the text with U+FFFD. A cut (`truncated`)
 * may split the last character, which does not make the body binary.
 */
export function decodeBody(bytes: Uint8Array, truncated: boolean): { text: string; base64: string | null } {
  try {
    return {
      text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes, { stream: truncated }),
      base64: null,
    };
  } catch {
    return { text: new TextDecoder().decode(bytes), base64: toBase64(bytes) };
  }
}

export function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A ping's columns but its place in the ring (n, slot), which ringWrite computes in SQL. */
type PingValues = Omit<typeof pings.$inferInsert, "n" | "slot">;

function pingRow(
  checkId: number,
  ping: Ping,
  meta: PingMeta,
  durationMs: number | null,
  outcome: string | null,
  now: number,
): PingValues {
  return {
    checkId,
    kind: ping.kind,
    exitStatus: ping.exitStatus ?? null,
    rid: ping.rid ?? null,
    durationMs,
    outcome,
    body: meta.body,
    bodyBase64: meta.bodyBase64 ?? null,
    bodyTruncated: meta.bodyTruncated,
    source: meta.source,
    method: meta.method,
    ip: meta.ip,
    userAgent: meta.userAgent,
    keyId: meta.keyId,
    backupId: meta.backupId ?? null,
    receivedAt: now,
  };
}

/**
 * The ping as number `n` (an SQL expression) in slot n % PINGS_KEPT of its check's ring: an insert
 * while the ring fills, then an update in place of the ping PINGS_KEPT before it (an upsert on the
 * ring's key replacing every column). Either way one row written, no index to maintain, nothing to
 * prune.
 */
function ringWrite(db: Db, values: PingValues, n: SQL) {
  const replaced = ["n", ...Object.keys(values)] as (keyof typeof pings.$inferInsert)[];
  return db
    .insert(pings)
    .values({ ...values, n, slot: sql`(${n}) % ${PINGS_KEPT}` })
    .onConflictDoUpdate({
      target: [pings.checkId, pings.slot],
      set: Object.fromEntries(replaced.map((key) => [key, sql`excluded.${col(pings, key)}`])),
    });
}
