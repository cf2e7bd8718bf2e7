import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { agentKeys, nonces, type AgentKeyRow } from "../db/schema";
import {
  canonicalRequest,
  checkClock,
  constantTimeEqual,
  deriveKeySecret,
  firstLiveNonceBucket,
  fromHex,
  nonceBucket,
  REPLAY_WINDOW_S,
  sha256Hex,
  toHex,
  type SignedHeaders,
} from "../domain/signing";
import { AppError, notFound } from "../errors";
import { col } from "./columns";
import type { Db, Statement } from "./db";

/**
 * What an agent key may do. restic: use the restic REST server for its repositories, append-only
 * (create, read, add; delete locks only); prune: with restic, also delete files past their window.
 */
export const SCOPES = ["ping", "upload", "read", "restic", "prune"] as const;
export type Scope = (typeof SCOPES)[number];

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

/** A request's nonce, stored by the request's unit of work (services/unit-of-work.ts) with its writes. */
export type NonceRecord = { bucket: number; keyId: string; nonce: string };

export type VerifyOptions = {
  /**
   * A read to run in the same D1 round trip as the key lookup; its result goes to `authorize`.
   * A select (rows), not a relational findFirst: drizzle cannot map a findFirst that found nothing in a batch.
   */
  preload?: BatchItem<"sqlite">;
};

/**
 * Authenticates a signed agent request, and writes nothing: the nonce it returns is stored by the
 * request's unit of work, in the same batch as what the request writes, so a replay fails that
 * batch and a refused or raced request leaves no row behind. `authorize` runs the caller's scope
 * and check rules.
 */
export async function verifySignedRequest<P = undefined>(
  db: Db,
  masterKey: string,
  request: SignedRequest,
  now: number,
  authorize: (key: AgentKeyRow, preloaded: P) => void | Promise<void>,
  options: VerifyOptions = {},
): Promise<{ key: AgentKeyRow; nonce: NonceRecord }> {
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
  const keyQuery = db.select().from(agentKeys).where(eq(agentKeys.id, headers.keyId)).limit(1);
  const bucket = nonceBucket(headers.timestamp);
  const nonceQuery = db
    .select({ nonce: nonces.nonce })
    .from(nonces)
    .where(and(eq(nonces.bucket, bucket), eq(nonces.keyId, headers.keyId), eq(nonces.nonce, headers.nonce)));
  // One D1 round trip for the key, its nonce and whatever the route needs next (e.g. the check it pings).
  const [[key], seen, preloaded] = (await db.batch(
    options.preload ? [keyQuery, nonceQuery, options.preload] : [keyQuery, nonceQuery],
  )) as [AgentKeyRow[], unknown[], P];
  if (!key) throw new AppError("unknown_key", `unknown key "${headers.keyId}"`);
  if (key.revokedAt !== null) throw new AppError("revoked_key", `key "${key.id}" was revoked`);

  if (request.body !== null) {
    const bodyHash = await sha256Hex(request.body);
    if (!(await constantTimeEqual(bodyHash, headers.contentSha256.toLowerCase()))) {
      throw new AppError("bad_signature", "content hash mismatch: X-Lifeboat-Content-SHA256 is not the body's sha256");
    }
  }
  const canonical = canonicalRequest(request.method, request.pathWithQuery, headers);
  // HMAC verify compares in constant time (BoringSSL's CRYPTO_memcmp), like constantTimeEqual.
  const valid = await crypto.subtle.verify(
    "HMAC",
    await signingKeyOf(masterKey, key.id),
    fromHex(headers.signature)!,
    encoder.encode(canonical),
  );
  if (!valid) {
    throw new AppError(
      "bad_signature",
      "signature mismatch: check the key secret and the signed method, path and headers",
    );
  }
  await authorize(key, preloaded);
  // A replay seen already is refused before the route does anything (streams a part into R2, say).
  // This read is only the early answer: the unit of work's nonce INSERT is what refuses a replay
  // racing its original.
  if (seen.length > 0) throw replayedNonce();
  return { key, nonce: { bucket, keyId: key.id, nonce: headers.nonce } };
}

export const replayedNonce = () => new AppError("replayed_nonce", "replayed nonce: this request was already received");

const encoder = new TextEncoder();

/**
 * Each key's HMAC key, derived and imported once per isolate: deriving the secret and importing
 * it cost two importKey and an HMAC, more than the signature check itself. Revocation is still read
 * from D1 on every request; only the (deterministic) derivation is remembered.
 */
const signingKeys = new Map<string, { masterKey: string; key: Promise<CryptoKey> }>();
const SIGNING_KEYS_KEPT = 1000;

function signingKeyOf(masterKey: string, keyId: string): Promise<CryptoKey> {
  const cached = signingKeys.get(keyId);
  if (cached && cached.masterKey === masterKey) return cached.key;
  if (signingKeys.size >= SIGNING_KEYS_KEPT) signingKeys.clear();
  const key = deriveKeySecret(masterKey, keyId).then((secret) =>
    crypto.subtle.importKey("raw", fromHex(secret)!, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]),
  );
  key.catch(() => signingKeys.delete(keyId)); // a failed import is not remembered
  signingKeys.set(keyId, { masterKey, key });
  return key;
}

/**
 * How stale `last_used_at` may be: the field answers "is this key still in use?", which an hour
 * answers as well as a second, and healthchecks throttles its own bookkeeping the same way. Once an
 * hour instead of once a minute saves a row written per signed request of a minutely job.
 */
export const LAST_USED_PRECISION_MS = 3_600_000;

/** The statement that records when a key was last used, for the request's unit of work (at most hourly). */
export function keyTouch(key: AgentKeyRow, now: number): Statement[] {
  if (key.lastUsedAt !== null && now - key.lastUsedAt < LAST_USED_PRECISION_MS) return [];
  return [lastUsedUpdate(key, now)];
}

// Raw: a statement built without a Db, for the request's unit of work.
const lastUsedUpdate = (key: AgentKeyRow, now: number) =>
  sql`UPDATE ${agentKeys} SET ${col(agentKeys, "lastUsedAt")} = ${now} WHERE ${agentKeys.id} = ${key.id}`;

/**
 * Authenticates a key id and secret sent as HTTP Basic credentials (the restic REST server). An
 * unknown key and a wrong secret get the same answer; the secret is compared in constant time.
 * The `preload` reads run in the same D1 round trip as the key's, and their rows come back with it.
 */
export async function verifyKeySecret<P extends unknown[]>(
  db: Db,
  masterKey: string,
  credentials: { keyId: string; secret: string },
  preload: BatchItem<"sqlite">[],
): Promise<{ key: AgentKeyRow; preloaded: P }> {
  const keyQuery = db.select().from(agentKeys).where(eq(agentKeys.id, credentials.keyId)).limit(1);
  const [[key], ...preloaded] = (await db.batch([keyQuery, ...preload] as [typeof keyQuery])) as unknown as [
    AgentKeyRow[],
    ...P,
  ];
  const expected = key ? await secretOf(masterKey, key.id) : "";
  if (!key || !(await constantTimeEqual(credentials.secret.toLowerCase(), expected))) {
    throw new AppError("unauthorized", "wrong key id or secret");
  }
  if (key.revokedAt !== null) throw new AppError("revoked_key", `key "${key.id}" was revoked`);
  return { key, preloaded: preloaded as unknown as P };
}

/** Each key's secret, derived once per isolate (like `signingKeyOf`). */
const secrets = new Map<string, { masterKey: string; secret: Promise<string> }>();

function secretOf(masterKey: string, keyId: string): Promise<string> {
  const cached = secrets.get(keyId);
  if (cached && cached.masterKey === masterKey) return cached.secret;
  if (secrets.size >= SIGNING_KEYS_KEPT) secrets.clear();
  const secret = deriveKeySecret(masterKey, keyId);
  secret.catch(() => secrets.delete(keyId));
  secrets.set(keyId, { masterKey, secret });
  return secret;
}

/** Records a key's use outside a unit of work (the restic server's requests are not signed). */
export async function touchKey(db: Db, key: AgentKeyRow, now: number): Promise<void> {
  if (keyTouch(key, now).length > 0) await db.run(lastUsedUpdate(key, now));
}

export async function pruneNonces(db: Db, now: number): Promise<void> {
  // A range of the primary key: only the rows it deletes are read.
  await db.delete(nonces).where(lt(nonces.bucket, firstLiveNonceBucket(now)));
}
