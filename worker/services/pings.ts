import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { checks, pings, PING_SOURCES, type CheckRow, type PingRow } from "../db/schema";
import { applyPing, type Flip, type Ping } from "../domain/state";
import { stateColumns } from "./checks";
import { newRevision, type Db } from "./db";
import { plainUnits, type BeginUnit, type UnitOfWork } from "./unit-of-work";

export const PING_BODY_LIMIT = 100_000;
export const PINGS_KEPT = 100;
const PRUNE_EVERY = 10;
const WRITE_ATTEMPTS = 8;

export type PingMeta = {
  body: string;
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
 * nothing and an accepted ping is never left without its nonce. Every tenth ping of a check also
 * prunes its old pings, in the same unit.
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
  // Still contended after every attempt: keep the ping itself rather than lose it.
  await begin()
    .write(insertPing(pingRow(current.id, ping, meta, null, null, now)))
    .commit();
  return { check: current, flip: null };
}

/**
 * Adds one ping to a unit of work: the guard that the check is still as read (its revision), the
 * state change (the flip_on_status trigger writes the flip within it), the ping row and, every
 * tenth ping, the pruning. Answers what the check becomes if the unit applies.
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
      insertPing(pingRow(check.id, ping, meta, effect.durationMs, effect.outcome, now)),
    );
  if ((check.nPings + 1) % PRUNE_EVERY === 0) unit.write(prunePings(check.id));
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
  return db.select().from(pings).where(eq(pings.checkId, checkId)).orderBy(desc(pings.id)).limit(limit);
}

/** Reads at most `limit` bytes of a body and reports whether more was sent. */
export async function readLimitedBody(body: ReadableStream<Uint8Array> | null, limit = PING_BODY_LIMIT) {
  if (!body) return { text: "", truncated: false };
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
  // A cut may split a multi-byte character; the decoder replaces the broken tail instead of failing.
  return { text: new TextDecoder().decode(bytes), truncated };
}

function pingRow(
  checkId: number,
  ping: Ping,
  meta: PingMeta,
  durationMs: number | null,
  outcome: string | null,
  now: number,
) {
  return {
    check_id: checkId,
    kind: ping.kind,
    exit_status: ping.exitStatus ?? null,
    rid: ping.rid ?? null,
    duration_ms: durationMs,
    outcome,
    body: meta.body,
    body_truncated: meta.bodyTruncated ? 1 : 0,
    source: meta.source,
    method: meta.method,
    ip: meta.ip,
    user_agent: meta.userAgent,
    key_id: meta.keyId,
    backup_id: meta.backupId ?? null,
    received_at: now,
  };
}

function insertPing(values: Record<string, unknown>) {
  const columns = sql.raw(Object.keys(values).join(", "));
  const params = sql.join(
    Object.values(values).map((v) => sql`${v}`),
    sql`, `,
  );
  return sql`INSERT INTO pings (${columns}) VALUES (${params})`;
}

/** Keeps the check's last PINGS_KEPT pings. */
function prunePings(checkId: number) {
  return sql`
    DELETE FROM pings WHERE check_id = ${checkId} AND id < (
      SELECT id FROM pings WHERE check_id = ${checkId} ORDER BY id DESC LIMIT 1 OFFSET ${PINGS_KEPT - 1}
    )`;
}
