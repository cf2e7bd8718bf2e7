import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app";
import { constantTimeEqual } from "../domain/signing";
import { AppError } from "../errors";
import { rememberPublicUrl } from "../services/settings";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Bearer auth for /api/v1: ADMIN_TOKEN may do anything; ADMIN_READ_TOKEN (optional) may only read.
 * Both comparisons always run, in constant time, so timing tells nothing about either token.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError("unauthorized", "missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>");
  const token = match[1]!;
  if (!c.env.ADMIN_TOKEN) throw new AppError("unauthorized", "ADMIN_TOKEN is not configured on the server");
  const [isAdmin, isReader] = await Promise.all([
    constantTimeEqual(token, c.env.ADMIN_TOKEN),
    c.env.ADMIN_READ_TOKEN ? constantTimeEqual(token, c.env.ADMIN_READ_TOKEN) : Promise.resolve(false),
  ]);
  if (isReader && !isAdmin && !SAFE_METHODS.has(c.req.method)) {
    throw new AppError("forbidden", "the read-only token cannot change anything");
  }
  if (isAdmin || isReader) {
    if (!c.env.PUBLIC_URL) c.executionCtx.waitUntil(rememberPublicUrl(c.get("db"), c.get("baseUrl"), Date.now()));
    return next();
  }
  throw new AppError("unauthorized", "invalid bearer token");
});
