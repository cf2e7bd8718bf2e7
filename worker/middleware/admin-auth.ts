import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app";
import type { Env } from "../env";
import { constantTimeEqual } from "../domain/signing";
import { AppError } from "../errors";
import { rememberPublicUrl } from "../services/settings";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Which admin token a request carried: "admin" (ADMIN_TOKEN) or "reader" (ADMIN_READ_TOKEN). */
export type TokenRole = "admin" | "reader";

/**
 * Which admin token an `Authorization: Bearer …` header holds. Both comparisons always run, in
 * constant time, so timing tells nothing about either token. Throws 401 for a missing or wrong one.
 */
export async function bearerRole(env: Env, header: string | undefined): Promise<TokenRole> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) throw new AppError("unauthorized", "missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>");
  const token = match[1]!;
  if (!env.ADMIN_TOKEN) throw new AppError("unauthorized", "ADMIN_TOKEN is not configured on the server");
  const [isAdmin, isReader] = await Promise.all([
    constantTimeEqual(token, env.ADMIN_TOKEN),
    env.ADMIN_READ_TOKEN ? constantTimeEqual(token, env.ADMIN_READ_TOKEN) : Promise.resolve(false),
  ]);
  if (isAdmin) return "admin";
  if (isReader) return "reader";
  throw new AppError("unauthorized", "invalid bearer token");
}

/** Bearer auth for /api/v1: ADMIN_TOKEN may do anything; ADMIN_READ_TOKEN (optional) may only read. */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const role = await bearerRole(c.env, c.req.header("Authorization"));
  if (role === "reader" && !SAFE_METHODS.has(c.req.method)) {
    throw new AppError("forbidden", "the read-only token cannot change anything");
  }
  c.set("role", role);
  if (!c.env.PUBLIC_URL) c.executionCtx.waitUntil(rememberPublicUrl(c.get("db"), c.get("baseUrl"), Date.now()));
  return next();
});
