import type { Env } from "../../env";
import { constantTimeEqual } from "../../domain/signing";
import type { HcVersion } from "../../domain/hc-compat";

/**
 * Who may use the healthchecks-compatible Management API, and which requests are meant for it.
 * Lifeboat's own admin API shares /api/v1/; the rule that tells them apart is in
 * docs/COMPATIBILITY.md ("Sharing /api/v1/").
 */

const VERSIONED = /^\/api\/v([123])\//;

/** The healthchecks API version a path is under, if any. */
export function hcVersionOf(path: string): HcVersion | null {
  const match = VERSIONED.exec(path);
  return match ? (Number(match[1]) as HcVersion) : null;
}

/**
 * A request for the healthchecks API rather than Lifeboat's own: one with X-Api-Key; else, one
 * without an Authorization header that is under /api/v2/ or /api/v3/, or ends in a slash
 * (healthchecks' collection paths: checks/, pings/, flips/, channels/, badges/, status/), or is a
 * POST whose JSON body has an `api_key`. Lifeboat's own routes never end in a slash, and always
 * carry `Authorization: Bearer`.
 */
export async function isHealthchecksRequest(request: Request, path: string): Promise<boolean> {
  const version = hcVersionOf(path);
  if (version === null) return false;
  if (request.headers.has("X-Api-Key")) return true;
  if (request.headers.has("Authorization")) return false;
  if (version !== 1 || path.endsWith("/")) return true;
  if (request.method !== "POST") return false;
  try {
    const body: unknown = await request.clone().json();
    return typeof body === "object" && body !== null && "api_key" in body;
  } catch {
    return false;
  }
}

export type HcRole = "read-write" | "read-only";

/**
 * The role of an API key: HC_API_KEY or ADMIN_TOKEN read-write, HC_API_KEY_READONLY or
 * ADMIN_READ_TOKEN read-only. Every configured key is compared, each in constant time, so the
 * time taken tells nothing about which one (or how much of one) matched.
 */
export async function roleOfKey(env: Env, key: string): Promise<HcRole | null> {
  const candidates: [string | undefined, HcRole][] = [
    [env.ADMIN_TOKEN, "read-write"],
    [env.HC_API_KEY, "read-write"],
    [env.ADMIN_READ_TOKEN, "read-only"],
    [env.HC_API_KEY_READONLY, "read-only"],
  ];
  const matches = await Promise.all(
    candidates.map(async ([secret, role]) => (secret && (await constantTimeEqual(key, secret)) ? role : null)),
  );
  return matches.find((role) => role === "read-write") ?? matches.find((role) => role === "read-only") ?? null;
}
