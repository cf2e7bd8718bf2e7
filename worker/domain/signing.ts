// Request signing shared by the Worker and the `lifeboat` agent (see docs/SECURITY.md).
// Pure functions over WebCrypto: no storage, the clock passed in.

export const REPLAY_WINDOW_S = 300;

export type SignedHeaders = {
  keyId: string;
  timestamp: string;
  nonce: string;
  contentSha256: string;
  signature: string;
};

const encoder = new TextEncoder();

export function canonicalRequest(method: string, pathWithQuery: string, h: SignedHeaders): string {
  return [method.toUpperCase(), pathWithQuery, h.timestamp, h.nonce, h.contentSha256].join("\n");
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const b of view) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function sha256Hex(data: ArrayBuffer | Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

export async function hmacSha256(key: Uint8Array | string, message: string): Promise<Uint8Array> {
  const keyBytes = typeof key === "string" ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message)));
}

/**
 * An agent key's secret: HMAC-SHA256(master key, key id), as 64 hex characters. The agent uses the
 * 32 raw bytes as its HMAC key (`openssl dgst -sha256 -mac HMAC -macopt hexkey:<secret>`).
 */
export async function deriveKeySecret(masterKey: string, keyId: string): Promise<string> {
  return toHex(await hmacSha256(masterKey, `agent-key:${keyId}`));
}

export async function signRequest(secretHex: string, canonical: string): Promise<string> {
  const key = fromHex(secretHex);
  if (!key) throw new Error("a key secret is 64 hex characters");
  return toHex(await hmacSha256(key, canonical));
}

/**
 * Compares two strings without leaking where they differ. Both sides are hashed first so the
 * comparison also takes the same time whatever their lengths.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

export type ClockVerdict = { ok: true } | { ok: false; skewS: number };

export function checkClock(timestamp: string, now: number): ClockVerdict {
  const claimed = Number(timestamp);
  const skewS = Number.isFinite(claimed) ? Math.round(claimed - now / 1000) : Number.POSITIVE_INFINITY;
  return Math.abs(skewS) <= REPLAY_WINDOW_S ? { ok: true } : { ok: false, skewS };
}

/**
 * Nonces are kept in buckets of the signed timestamp (services/keys.ts): a replay must carry the
 * same timestamp, so it lands in the same bucket, and a bucket can be dropped whole once every
 * timestamp in it is outside the window.
 */
export const NONCE_BUCKET_S = 2 * REPLAY_WINDOW_S;

export function nonceBucket(timestamp: string): number {
  return Math.floor(Number(timestamp) / NONCE_BUCKET_S);
}

/**
 * Buckets below this hold only timestamps no request can carry any more: the newest timestamp of
 * bucket b is 600·b + 599, accepted until 300 s (and the clock check's rounding) later.
 */
export function firstLiveNonceBucket(now: number): number {
  return Math.floor((Math.floor(now / 1000) - REPLAY_WINDOW_S - 1) / NONCE_BUCKET_S);
}

/** The ping key in /ping/<ping_key>/<slug> URLs: PING_KEY when set, else derived from the master key. */
export async function pingKeyOf(env: { PING_KEY?: string; LIFEBOAT_MASTER_KEY: string }): Promise<string> {
  if (env.PING_KEY) return env.PING_KEY;
  return toHex((await hmacSha256(env.LIFEBOAT_MASTER_KEY, "ping-key")).subarray(0, 12));
}
