// The admin dashboard's session and CSRF logic (docs/DASHBOARD.md). Pure: WebCrypto only, the
// clock and the secrets passed in. A session is a signed cookie; the only state in D1 is the list
// of sessions ended by logout (services/sessions.ts).
import { constantTimeEqual, hmacSha256, sha256Hex, toHex } from "./signing";

/** `__Secure-`: browsers refuse the cookie unless it is Secure and set over https (or localhost). */
export const SESSION_COOKIE = "__Secure-lifeboat-admin";
/** Absolute lifetime: a session is never extended, a new login is needed after it. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** A session issued by a server whose clock runs a little ahead still counts. */
const CLOCK_LEEWAY_MS = 60_000;

export type Role = "admin" | "read";
export type Session = { role: Role; id: string; issuedAt: number; expiresAt: number };
export type SessionSecrets = { masterKey: string; adminToken: string; readToken?: string };

const COOKIE_SHAPE = /^(admin|read)\.([0-9a-f]{32})\.(\d{1,15})\.(\d{1,15})\.([0-9a-f]{64})$/;

/**
 * The signing key of a role's sessions: derived from the master key and the admin token (and, for
 * read-only sessions, the read token too), so rotating any of them logs those sessions out. The
 * tokens enter hashed, which keeps the derivation input unambiguous whatever they contain.
 */
async function sessionKey(secrets: SessionSecrets, role: Role): Promise<Uint8Array> {
  const read = role === "read" ? await sha256Hex(secrets.readToken ?? "") : "-";
  return hmacSha256(secrets.masterKey, `admin-session:v1:${role}:${await sha256Hex(secrets.adminToken)}:${read}`);
}

const payloadOf = (s: Session) => `${s.role}.${s.id}.${s.issuedAt}.${s.expiresAt}`;

async function signatureOf(secrets: SessionSecrets, session: Session): Promise<string> {
  return toHex(await hmacSha256(await sessionKey(secrets, session.role), `cookie:${payloadOf(session)}`));
}

/** A new session and its cookie value; `id` is random unless a test passes one. */
export async function issueSession(secrets: SessionSecrets, role: Role, now: number, id = randomId()) {
  const session: Session = { role, id, issuedAt: now, expiresAt: now + SESSION_TTL_MS };
  return { session, cookie: `${payloadOf(session)}.${await signatureOf(secrets, session)}` };
}

/** The session a cookie carries, or null if it is malformed, forged, tampered with or expired. */
export async function readSession(
  secrets: SessionSecrets,
  cookie: string | undefined,
  now: number,
): Promise<Session | null> {
  const match = COOKIE_SHAPE.exec(cookie ?? "");
  if (!match) return null;
  const session: Session = {
    role: match[1] as Role,
    id: match[2]!,
    issuedAt: Number(match[3]),
    expiresAt: Number(match[4]),
  };
  if (session.role === "read" && !secrets.readToken) return null;
  // The signature is checked before the times, and always in constant time.
  if (!(await constantTimeEqual(await signatureOf(secrets, session), match[5]!))) return null;
  if (session.expiresAt - session.issuedAt > SESSION_TTL_MS) return null;
  if (now >= session.expiresAt || session.issuedAt > now + CLOCK_LEEWAY_MS) return null;
  return session;
}

/** The CSRF token of a session: bound to its id, useless with any other session. */
export async function csrfTokenOf(secrets: SessionSecrets, session: Session): Promise<string> {
  return toHex(await hmacSha256(await sessionKey(secrets, session.role), `csrf:${session.id}`));
}

export async function csrfTokenValid(secrets: SessionSecrets, session: Session, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || token === "") return false;
  return constantTimeEqual(await csrfTokenOf(secrets, session), token);
}

/**
 * Whether a state-changing request came from our own pages. Browsers send Origin on every POST
 * (and Sec-Fetch-Site); either, when present, must say same-origin. A client that sends neither is
 * not a browser that could be tricked into the request, and still needs the CSRF token.
 */
export function sameOriginRequest(headers: { origin?: string; secFetchSite?: string }, allowed: string[]): boolean {
  if (headers.secFetchSite !== undefined && headers.secFetchSite !== "same-origin") return false;
  if (headers.origin !== undefined) return allowed.includes(headers.origin);
  return true;
}

export function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

// ---- login throttle ------------------------------------------------------------------------------

export const LOGIN_FAILURES_ALLOWED = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;
const TRACKED_ADDRESSES = 1000;

export type LoginThrottle = Map<string, { failures: number; since: number }>;

/** Whether this address may try another login now (fewer than the allowed failures in the window). */
export function loginAllowed(throttle: LoginThrottle, address: string, now: number): boolean {
  const entry = throttle.get(address);
  if (!entry || now - entry.since >= LOGIN_WINDOW_MS) return true;
  return entry.failures < LOGIN_FAILURES_ALLOWED;
}

export function recordLoginFailure(throttle: LoginThrottle, address: string, now: number): void {
  const entry = throttle.get(address);
  if (!entry || now - entry.since >= LOGIN_WINDOW_MS) throttle.set(address, { failures: 1, since: now });
  else entry.failures++;
  // Bounded memory: forget the oldest addresses first (a Map iterates in insertion order).
  for (const key of throttle.keys()) {
    if (throttle.size <= TRACKED_ADDRESSES) break;
    throttle.delete(key);
  }
}
