import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app";
import { checks, type AgentKeyRow, type BackupRow, type CheckRow } from "../db/schema";
import { AppError, notFound } from "../errors";
import { findBackup } from "../services/backups";
import { findCheck, findCheckById } from "../services/checks";
import type { Db } from "../services/db";
import type { PingMeta } from "../services/pings";
import { keyAllowsCheck, keyTouch, verifySignedRequest, type Scope, type VerifyOptions } from "../services/keys";
import { unitOfWork, type BeginUnit } from "../services/unit-of-work";

/** Signed JSON bodies are small (a ping's log, a manifest of ≤ 10,000 parts); parts stream instead. */
export const SIGNED_BODY_LIMIT = 2_097_152;

const HEADER_NAMES = {
  keyId: "X-Lifeboat-Key",
  timestamp: "X-Lifeboat-Timestamp",
  nonce: "X-Lifeboat-Nonce",
  contentSha256: "X-Lifeboat-Content-SHA256",
  signature: "X-Lifeboat-Signature",
} as const;

const SignedHeaders = z.object({
  keyId: z.string().regex(/^lbk_[0-9a-f]{20}$/, "X-Lifeboat-Key is not a key id"),
  timestamp: z.string().regex(/^\d{1,12}$/, "X-Lifeboat-Timestamp must be unix seconds"),
  nonce: z.string().regex(/^[0-9a-f]{16,64}$/i, "X-Lifeboat-Nonce must be 16–64 hex characters"),
  contentSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, "X-Lifeboat-Content-SHA256 must be 64 hex characters")
    .transform((s) => s.toLowerCase()),
  signature: z.string().regex(/^[0-9a-f]{64}$/i, "X-Lifeboat-Signature must be 64 hex characters"),
});

export type AgentRequest<T> = {
  key: AgentKeyRow;
  /** The body, read and hashed; null for a streamed request (its hash is enforced by R2 instead). */
  body: Uint8Array | null;
  contentSha256: string;
  /** What `authorize` returned (the check or backup it loaded). */
  target: T;
  /**
   * Starts the request's unit of work (services/unit-of-work.ts): its nonce and the key's last use
   * come first, then whatever the route writes, as one batch. A route that succeeds must have
   * committed one (a read-only route commits one with nothing else in it); a refused request never does.
   */
  begin: BeginUnit;
};

export type AuthOptions = VerifyOptions & { stream?: boolean };

/**
 * Authenticates a signed agent request (docs/SECURITY.md) without writing anything. `authorize`
 * sees the key and the verified body, checks what the request may touch, and returns it. With
 * `stream`, the body is left unread for the route to stream into R2, whose own sha256 check enforces
 * the signed content hash. With `preload`, a read the route needs is made in the same D1 round trip
 * as the key's, and handed to `authorize`. The nonce and the key's last use (at most once a minute)
 * are written by the route's unit of work (`begin`), with the request's own writes or not at all.
 */
export async function authenticateAgent<T, P = undefined>(
  c: Context<AppEnv>,
  scopes: Scope | Scope[],
  authorize: (key: AgentKeyRow, body: Uint8Array | null, preloaded: P) => T | Promise<T>,
  options: AuthOptions = {},
): Promise<AgentRequest<T>> {
  const headers = Object.fromEntries(Object.entries(HEADER_NAMES).map(([field, name]) => [field, c.req.header(name)]));
  const parsed = SignedHeaders.safeParse(headers);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === "invalid_type" ? `missing ${HEADER_NAMES[i.path[0] as keyof typeof HEADER_NAMES]}` : i.message,
    );
    throw new AppError("unauthorized", `unsigned or malformed request: ${problems.join("; ")}`);
  }
  let body: Uint8Array | null = null;
  if (!options.stream) {
    if (Number(c.req.header("Content-Length") ?? "0") > SIGNED_BODY_LIMIT) throw tooLarge();
    body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > SIGNED_BODY_LIMIT) throw tooLarge();
  }

  const url = new URL(c.req.url);
  const now = Date.now();
  const db = c.get("db");
  const allowed = Array.isArray(scopes) ? scopes : [scopes];
  const request = { method: c.req.method, pathWithQuery: url.pathname + url.search, headers: parsed.data, body };
  let target!: T;
  const verified = await verifySignedRequest<P>(
    db,
    c.env.LIFEBOAT_MASTER_KEY,
    request,
    now,
    async (key, preloaded) => {
      if (!allowed.some((scope) => key.scopes.includes(scope))) {
        throw new AppError("forbidden", `key "${key.id}" lacks the "${allowed.join('" or "')}" scope`);
      }
      target = await authorize(key, body, preloaded);
    },
    options,
  );
  const { key, nonce } = verified;
  let committed = false;
  const always = keyTouch(key, now);
  const begin = () => unitOfWork(db, { nonce, always, onApplied: () => (committed = true) });
  // A success without its nonce stored would let the same request be replayed: a bug, not a client's mistake.
  c.set("onSuccess", () => {
    if (!committed) throw new Error(`${c.req.method} ${url.pathname} succeeded without committing its unit of work`);
  });
  return { key, body, contentSha256: parsed.data.contentSha256, target, begin };
}

/**
 * The check a key may touch, by slug. A key that is not allowed the check is told so (403) before
 * anything reveals whether the check exists; an allowed but missing check is a 404.
 */
export async function allowedCheck(db: Db, key: AgentKeyRow, slug: string): Promise<CheckRow> {
  mayTouch(key, slug);
  return foundCheck(await findCheck(db, slug), slug);
}

/** The same rules for a check already read (e.g. preloaded with the key: `checkBySlug`). */
export function allowedLoadedCheck(key: AgentKeyRow, slug: string, check: CheckRow | undefined): CheckRow {
  mayTouch(key, slug);
  return foundCheck(check, slug);
}

/** The read of a check by slug, for `preload`: its result is [] or [check]. */
export const checkBySlug = (db: Db, slug: string) => db.select().from(checks).where(eq(checks.slug, slug)).limit(1);

function mayTouch(key: AgentKeyRow, slug: string) {
  if (!keyAllowsCheck(key, slug))
    throw new AppError("forbidden", `key "${key.id}" is not allowed to touch check "${slug}"`);
}

function foundCheck(check: CheckRow | undefined, slug: string): CheckRow {
  if (!check || check.slug !== slug) throw new AppError("not_found", `check "${slug}" not found`);
  return check;
}

const BACKUP_ID = /^bk_[0-9a-f]{20}$/;

/** A backup of a check this key may touch; anything else is "not found", never "forbidden". */
export async function ownBackup(db: Db, key: AgentKeyRow, id: string): Promise<BackupRow> {
  return (await ownBackupWithCheck(db, key, id)).backup;
}

export async function ownBackupWithCheck(
  db: Db,
  key: AgentKeyRow,
  id: string,
): Promise<{ backup: BackupRow; check: CheckRow }> {
  if (!BACKUP_ID.test(id)) throw notFound("backup");
  const backup = await findBackup(db, id);
  const check = await findCheckById(db, backup.checkId);
  if (!check || !keyAllowsCheck(key, check.slug)) throw notFound("backup");
  return { backup, check };
}

/** How a signed request is logged as a ping of its check. */
export function signedPingMeta(c: Context<AppEnv>, key: AgentKeyRow, body: string, truncated = false): PingMeta {
  return {
    body,
    bodyTruncated: truncated,
    source: "signed",
    method: c.req.method,
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 200) ?? null,
    keyId: key.id,
  };
}

const tooLarge = () =>
  new AppError("payload_too_large", `signed request bodies are limited to ${SIGNED_BODY_LIMIT} bytes`);
