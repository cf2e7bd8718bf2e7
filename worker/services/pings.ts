import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { checks, pings, PING_SOURCES, type CheckRow, type PingRow } from "../db/schema";
import { applyPing, type Flip, type Ping } from "../domain/state";
import { stateColumns } from "./checks";
import { batch, newRevision, type Db } from "./db";
import { isReplayedNonce, nonceInsert, replayedNonce, type NonceRecord } from "./keys";

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
};

export type PingResult = { check: CheckRow; flip: Flip | null };

/**
 * Records a ping and moves the check's state. The ping row, the state change and the flip are one
 * D1 batch that applies only if the check is unchanged since it was read; a concurrent ping makes
 * us re-read and re-apply, so no ping is lost and no transition is computed from stale state.
 * A signed ping passes its `nonce`: it is stored in that same batch, so a replay (the nonce is
 * already there) fails the whole batch and writes nothing, and an accepted ping is never left
 * without its nonce. Every tenth ping of a check also prunes its old pings, in the same batch.
 */
export async function recordPing(
  db: Db,
  check: CheckRow,
  ping: Ping,
  meta: PingMeta,
  now: number,
  options: { nonce?: NonceRecord } = {},
): Promise<PingResult> {
  try {
    return await writePing(db, check, ping, meta, now, options.nonce);
  } catch (error) {
    if (options.nonce && isReplayedNonce(error)) throw replayedNonce();
    throw error;
  }
}

async function writePing(
  db: Db,
  check: CheckRow,
  ping: Ping,
  meta: PingMeta,
  now: number,
  nonce: NonceRecord | undefined,
): Promise<PingResult> {
  let current = check;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const effect = applyPing(current, ping, now);
    const revision = newRevision();
    const pingValues = pingRow(current.id, ping, meta, effect.durationMs, effect.outcome, now);
    const values = {
      ...stateColumns(effect.state),
      statusReason: effect.flip ? effect.flip.reason : current.statusReason,
      statusDetail: effect.flip ? effect.flip.detail : current.statusDetail,
      revision,
      updatedAt: now,
    };
    // Everything after the UPDATE applies only if the UPDATE did (the check now has `revision`).
    const ifApplied = sql`FROM checks WHERE id = ${current.id} AND revision = ${revision}`;
    const prune = (current.nPings + 1) % PRUNE_EVERY === 0;
    // The flip, if any, is written by the flip_on_status trigger within the UPDATE.
    const [update] = await batch(db, [
      db
        .update(checks)
        .set({ ...values, nPings: sql`${checks.nPings} + 1` })
        .where(and(eq(checks.id, current.id), eq(checks.revision, current.revision))),
      insertPing(pingValues, ifApplied),
      ...(nonce ? [nonceInsert(nonce, ifApplied)] : []),
      ...(prune ? [prunePings(current.id, ifApplied)] : []),
    ]);
    // D1 counts the trigger's flip insert in `changes` too, so any change means the UPDATE applied.
    if ((update!.meta.changes ?? 0) > 0) {
      // The revision matched, so `current` was the latest row and this is exactly what was stored.
      return { check: { ...current, ...values, nPings: current.nPings + 1 }, flip: effect.flip };
    }
    const reread = await db.query.checks.findFirst({ where: eq(checks.id, current.id) });
    if (!reread) return { check: current, flip: null }; // deleted meanwhile: nothing to record against
    current = reread;
  }
  // Still contended after every attempt: keep the ping itself rather than lose it.
  await batch(db, [
    insertPing(pingRow(current.id, ping, meta, null, null, now)),
    ...(nonce ? [nonceInsert(nonce)] : []),
  ]);
  return { check: current, flip: null };
}

/**
 * The check a ping URL names, by its uuid or its slug: one indexed select (a relational findFirst
 * costs noticeably more CPU to build, and this runs for every ping).
 */
export async function findCheckToPing(db: Db, by: { uuid: string } | { slug: string }): Promise<CheckRow | undefined> {
  const where = "uuid" in by ? eq(checks.uuid, by.uuid) : eq(checks.slug, by.slug);
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
    received_at: now,
  };
}

function insertPing(values: Record<string, unknown>, from = sql``) {
  const columns = sql.raw(Object.keys(values).join(", "));
  const params = sql.join(
    Object.values(values).map((v) => sql`${v}`),
    sql`, `,
  );
  return sql`INSERT INTO pings (${columns}) SELECT ${params} ${from}`;
}

/** Keeps the check's last PINGS_KEPT pings, if `ifApplied` (a `FROM …` clause) finds a row. */
function prunePings(checkId: number, ifApplied: SQL) {
  return sql`
    DELETE FROM pings WHERE check_id = ${checkId} AND id < (
      SELECT id FROM pings WHERE check_id = ${checkId} ORDER BY id DESC LIMIT 1 OFFSET ${PINGS_KEPT - 1}
    ) AND EXISTS (SELECT 1 ${ifApplied})`;
}
