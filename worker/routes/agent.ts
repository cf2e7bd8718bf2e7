import { Hono } from "hono";
import type { AppEnv } from "../app";
import type { CheckRow } from "../db/schema";
import { isUuid, parseSuffix } from "../domain/ping-url";
import { AppError } from "../errors";
import { findCheck } from "../services/checks";
import { dispatchAlerts } from "../services/dispatch";
import { keyAllowsCheck } from "../services/keys";
import { PING_BODY_LIMIT, recordPing } from "../services/pings";
import { authenticateAgent } from "./agent-auth";

/** Endpoints for the `lifeboat` agent: every request is signed with an agent key. */
export const agentRoutes = new Hono<AppEnv>();

const SLUG = /^[a-z0-9_-]{1,64}$/;

agentRoutes.post("/ping/:slug/:suffix?", async (c) => {
  const slug = c.req.param("slug");
  const rid = c.req.query("rid") ?? null;
  if (!SLUG.test(slug)) throw new AppError("bad_request", "invalid slug: use 1–64 characters of a-z, 0-9, _ and -");
  if (rid !== null && !isUuid(rid)) throw new AppError("bad_request", "invalid rid: use a uuid");
  const ping = parseSuffix(c.req.param("suffix"), rid);
  if (ping === "invalid") throw new AppError("bad_request", "invalid exit status: use 0–255");
  if (ping === "unknown")
    throw new AppError("not_found", "unknown ping action: use start, fail, log or an exit status");

  const db = c.get("db");
  let check: CheckRow | undefined;
  const { key, body } = await authenticateAgent(c, "ping", async (key) => {
    if (!keyAllowsCheck(key, slug))
      throw new AppError("forbidden", `key "${key.id}" is not allowed to touch check "${slug}"`);
    check = await findCheck(db, slug);
    if (!check || check.slug !== slug) throw new AppError("not_found", `check "${slug}" not found`);
  });

  const now = Date.now();
  const text = new TextDecoder().decode(body.subarray(0, PING_BODY_LIMIT));
  const meta = {
    body: text,
    bodyTruncated: body.byteLength > PING_BODY_LIMIT,
    source: "signed" as const,
    method: "POST",
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 200) ?? null,
    keyId: key.id,
  };
  const result = await recordPing(db, check!, ping, meta, now);
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ ok: true, check: slug, status: result.check.status }, 200);
});
