import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app";
import type { AgentKeyRow } from "../db/schema";
import { AppError } from "../errors";
import { touchKey, verifySignedRequest, type Scope } from "../services/keys";

/** Signed agent bodies are small (pings with a log tail); uploads stream and never pass through here. */
export const SIGNED_BODY_LIMIT = 1_048_576;

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
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/i, "X-Lifeboat-Content-SHA256 must be 64 hex characters"),
  signature: z.string().regex(/^[0-9a-f]{64}$/i, "X-Lifeboat-Signature must be 64 hex characters"),
});

/**
 * Authenticates a signed agent request (docs/SECURITY.md) and returns the key and the body.
 * `authorize` checks the key against what the request touches; it runs before the nonce is
 * stored, so a refused request writes nothing.
 */
export async function authenticateAgent(
  c: Context<AppEnv>,
  scope: Scope,
  authorize: (key: AgentKeyRow) => void | Promise<void>,
): Promise<{ key: AgentKeyRow; body: Uint8Array }> {
  const headers = Object.fromEntries(Object.entries(HEADER_NAMES).map(([field, name]) => [field, c.req.header(name)]));
  const parsed = SignedHeaders.safeParse(headers);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === "invalid_type" ? `missing ${HEADER_NAMES[i.path[0] as keyof typeof HEADER_NAMES]}` : i.message,
    );
    throw new AppError("unauthorized", `unsigned or malformed request: ${problems.join("; ")}`);
  }
  if (Number(c.req.header("Content-Length") ?? "0") > SIGNED_BODY_LIMIT) throw tooLarge();
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (body.byteLength > SIGNED_BODY_LIMIT) throw tooLarge();

  const url = new URL(c.req.url);
  const now = Date.now();
  const db = c.get("db");
  const request = { method: c.req.method, pathWithQuery: url.pathname + url.search, headers: parsed.data, body };
  const key = await verifySignedRequest(db, c.env.LIFEBOAT_MASTER_KEY, request, now, async (key) => {
    if (!key.scopes.includes(scope)) throw new AppError("forbidden", `key "${key.id}" lacks the "${scope}" scope`);
    await authorize(key);
  });
  c.executionCtx.waitUntil(touchKey(db, key, now));
  return { key, body };
}

const tooLarge = () =>
  new AppError("payload_too_large", `signed request bodies are limited to ${SIGNED_BODY_LIMIT} bytes`);
