import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Env } from "../../env";
import type { HcVersion } from "../../domain/hc-compat";
import { AppError } from "../../errors";
import type { AppEnv } from "../../app";
import { requestContext } from "../../middleware/context";
import { hcVersionOf, roleOfKey, type HcRole } from "./auth";

export type HcEnv = {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { v: HcVersion; body: Record<string, unknown> };
};
export type HcContext = Context<HcEnv>;

const BODY_LIMIT = 64 * 1024;

/**
 * A router of healthchecks' Management API: healthchecks' CORS answers, its body rules (JSON
 * whatever the Content-Type, parsed before the key is looked for, since the key may be in it)
 * and its error shape, {"error": "…"}. Trailing slashes are optional: clients such as
 * healthchecks-io-client drop them where healthchecks would redirect.
 */
export function hcRouter() {
  const router = new Hono<HcEnv>({ strict: false });
  router.use("*", requestContext);
  router.use("*", async (c, next) => {
    c.set("v", hcVersionOf(c.req.path) ?? 1);
    if (c.req.method === "OPTIONS") {
      c.res = c.body(null, 204);
    } else {
      c.set("body", c.req.method === "POST" ? await jsonBody(c) : {});
      await next();
    }
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Access-Control-Allow-Headers", "X-Api-Key");
    c.header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    c.header("Access-Control-Max-Age", "600");
  });
  router.onError((error, c) => {
    if (error instanceof AppError) return c.json({ error: error.message }, error.status);
    if (error instanceof HTTPException && error.status < 500) return c.json({ error: error.message }, error.status);
    console.error("unhandled error:", error instanceof Error ? (error.stack ?? error.message) : String(error));
    return c.json({ error: "internal error" }, 500);
  });
  router.notFound((c) => c.json({ error: "not found" }, 404));
  return router;
}

async function jsonBody(c: HcContext): Promise<Record<string, unknown>> {
  const declared = Number(c.req.header("Content-Length") ?? 0);
  if (declared > BODY_LIMIT) throw new AppError("payload_too_large", "request body is too large");
  const text = await c.req.text();
  if (text.length > BODY_LIMIT) throw new AppError("payload_too_large", "request body is too large");
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "could not parse request body");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AppError("bad_request", "json validation error: value is not an object");
  }
  return parsed as Record<string, unknown>;
}

/**
 * healthchecks' authorize / authorize_read: the key from X-Api-Key, or (read-write endpoints, POST)
 * from the body's api_key. A read-only key on a read-write endpoint is a "wrong api key", as there.
 */
export async function authorize(c: HcContext, accept: "read-write" | "read-only"): Promise<HcRole> {
  const header = c.req.header("X-Api-Key");
  const fromBody = accept === "read-write" ? c.get("body").api_key : undefined;
  const key = header ?? (fromBody === undefined ? "" : String(fromBody));
  if (key === "") throw new AppError("unauthorized", "missing api key");
  const role = await roleOfKey(c.env, key);
  if (role === null || (accept === "read-write" && role === "read-only")) {
    throw new AppError("unauthorized", "wrong api key");
  }
  return role;
}

export const methodNotAllowed = () => new AppError("method_not_allowed", "method not allowed");
export const hcNotFound = () => new AppError("not_found", "not found");
