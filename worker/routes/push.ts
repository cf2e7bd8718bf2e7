import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app";
import { isUuid } from "../domain/ping-url";
import type { Ping } from "../domain/state";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { findCheckToPing, PING_BODY_LIMIT, recordPing } from "../services/pings";

/**
 * Uptime Kuma push monitors: `/api/push/<token>?status=up|down&msg=…&ping=…`, any method,
 * answered as Kuma's server/routers/api-router.js answers it, so a Kuma push URL works after only
 * its host changes. The token is the check's `push_token` (set it to the Kuma monitor's token)
 * or its uuid. `status` other than "up" is a failure, `msg` (default "OK") is kept as the ping's
 * body and a failure's detail, `ping` (ms) is the run's duration.
 */
export const pushRoutes = new Hono<AppEnv>();

const MAX_PING_MS = 100_000_000_000;
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const Query = z.object({
  status: z.string().max(20).optional(),
  msg: z.string().max(PING_BODY_LIMIT).optional(),
  ping: z.string().max(40).optional(),
});

pushRoutes.all("/:token", async (c) => {
  c.header("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private");
  const query = Query.safeParse(c.req.query());
  if (!query.success) return refuse(c, "Invalid query: status, msg and ping are short strings.");
  // Kuma reads `ping` with parseFloat and treats 0 and garbage as "no ping", then bounds it.
  const pingMs = Number.parseFloat(query.data.ping ?? "") || null;
  if (pingMs !== null && (pingMs < 0 || pingMs > MAX_PING_MS)) {
    return refuse(c, `Invalid ping value. Must be between 0 and ${MAX_PING_MS} ms.`);
  }
  const token = c.req.param("token");
  const db = c.get("db");
  const check = !TOKEN.test(token)
    ? undefined
    : isUuid(token)
      ? await findCheckToPing(db, { uuid: token.toLowerCase() })
      : await findCheckToPing(db, { pushToken: token });
  // A paused check is Kuma's inactive monitor: refused, nothing recorded.
  if (!check || check.status === "paused") return refuse(c, "Monitor not found or not active.");

  const msg = query.data.msg || "OK";
  const up = (query.data.status ?? "up") === "up";
  const ping: Ping = up
    ? { kind: "success", rid: null, durationMs: pingMs === null ? null : Math.round(pingMs) }
    : {
        kind: "fail",
        rid: null,
        durationMs: pingMs === null ? null : Math.round(pingMs),
        failure: { reason: "fail", detail: msg.slice(0, 200) },
      };
  const now = Date.now();
  const meta = {
    body: msg,
    bodyTruncated: false,
    source: "url" as const,
    method: c.req.method.slice(0, 10),
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 200) ?? null,
    keyId: null,
  };
  const result = await recordPing(db, check, ping, meta, now);
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ ok: true }, 200);
});

/** Kuma answers every refusal with 404 and its message. */
const refuse = (c: { json: (body: unknown, status: 404) => Response }, msg: string) => c.json({ ok: false, msg }, 404);
