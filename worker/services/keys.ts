import { and, desc, eq, lt, sql } from "drizzle-orm";
import { agentKeys, nonces, type AgentKeyRow } from "../db/schema";
import {
  canonicalRequest,
  checkClock,
  constantTimeEqual,
  deriveKeySecret,
  REPLAY_WINDOW_S,
  sha256Hex,
  signRequest,
  toHex,
  type SignedHeaders,
} from "../domain/signing";
import { AppError, notFound } from "../errors";
import type { Db } from "./db";

export type Scope = "ping" | "upload" | "read";

export type NewKey = { host: string; checks: string[]; scopes: Scope[] };

export async function createKey(db: Db, masterKey: string, input: NewKey, now: number) {
  const id = `lbk_${toHex(crypto.getRandomValues(new Uint8Array(10)))}`;
  const [row] = await db
    .insert(agentKeys)
    .values({ id, host: input.host, scopes: input.scopes, checks: input.checks, createdAt: now })
    .returning();
  return { key: row!, secret: await deriveKeySecret(masterKey, id) };
}

export async function listKeys(db: Db): Promise<AgentKeyRow[]> {
  return db.select().from(agentKeys).orderBy(desc(agentKeys.createdAt));
}

export async function revokeKey(db: Db, keyId: string, now: number): Promise<AgentKeyRow> {
  const [row] = await db
    .update(agentKeys)
    .set({ revokedAt: sql`coalesce(${agentKeys.revokedAt}, ${now})` })
    .where(eq(agentKeys.id, keyId))
    .returning();
  if (!row) throw notFound("key");
  return row;
}

export function keyAllowsCheck(key: AgentKeyRow, slug: string): boolean {
  return key.checks.includes("*") || key.checks.includes(slug);
}

export type SignedRequest = {
  method: string;
  pathWithQuery: string;
  headers: SignedHeaders;
  /** null for a streamed body: the signed content hash is then enforced by R2's sha256 check. */
  body: Uint8Array | null;
};

/**
 * Authenticates a signed agent request. Everything that can be judged without writing is judged
 * first; the nonce is recorded last, and only for a request that is otherwise acceptable, so a
 * rejected request stores nothing. `authorize` runs the caller's scope and check rules.
 */
export async function verifySignedRequest(
  db: Db,
  masterKey: string,
  request: SignedRequest,
  now: number,
  authorize: (key: AgentKeyRow) => void | Promise<void>,
): Promise<AgentKeyRow> {
  const { headers } = request;
  const clock = checkClock(headers.timestamp, now);
  if (!clock.ok) {
    throw new AppError(
      "clock_skew",
      `clock skew: the request's timestamp is ${clock.skewS} s from the server's time ` +
        `(${Math.floor(now / 1000)}, ${new Date(now).toISOString()}); allowed ±${REPLAY_WINDOW_S} s`,
      { server_time: Math.floor(now / 1000) },
    );
  }
  const key = await db.query.agentKeys.findFirst({ where: eq(agentKeys.id, headers.keyId) });
  if (!key) throw new AppError("unknown_key", `unknown key "${headers.keyId}"`);
  if (key.revokedAt !== null) throw new AppError("revoked_key", `key "${key.id}" was revoked`);

  if (request.body !== null) {
    const bodyHash = await sha256Hex(request.body);
    if (!(await constantTimeEqual(bodyHash, headers.contentSha256.toLowerCase()))) {
      throw new AppError("bad_signature", "content hash mismatch: X-Lifeboat-Content-SHA256 is not the body's sha256");
    }
  }
  const secret = await deriveKeySecret(masterKey, key.id);
  const expected = await signRequest(secret, canonicalRequest(request.method, request.pathWithQuery, headers));
  if (!(await constantTimeEqual(expected, headers.signature.toLowerCase()))) {
    throw new AppError(
      "bad_signature",
      "signature mismatch: check the key secret and the signed method, path and headers",
    );
  }
  await authorize(key);

  const fresh = await db
    .insert(nonces)
    .values({ keyId: key.id, nonce: headers.nonce, expiresAt: now + 2 * REPLAY_WINDOW_S * 1000 })
    .onConflictDoNothing()
    .returning({ nonce: nonces.nonce });
  if (fresh.length === 0) throw new AppError("replayed_nonce", "replayed nonce: this request was already received");
  return key;
}

/** Records when a key was last used, at most once a minute so busy agents do not cost a write each. */
export async function touchKey(db: Db, key: AgentKeyRow, now: number): Promise<void> {
  if (key.lastUsedAt !== null && now - key.lastUsedAt < 60_000) return;
  await db.update(agentKeys).set({ lastUsedAt: now }).where(eq(agentKeys.id, key.id));
}

/** Forgets a nonce of a request that failed after authentication (a retry of it fails the same way). */
export async function forgetNonce(db: Db, keyId: string, nonce: string): Promise<void> {
  await db.delete(nonces).where(and(eq(nonces.keyId, keyId), eq(nonces.nonce, nonce)));
}

export async function pruneNonces(db: Db, now: number): Promise<void> {
  await db.delete(nonces).where(lt(nonces.expiresAt, now));
}
