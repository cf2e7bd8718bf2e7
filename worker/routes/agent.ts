import { Hono } from "hono";
import type { AppEnv } from "../app";
import type { CheckRow } from "../db/schema";
import { exitStatusInvalid, isUuid, parseSuffix } from "../domain/ping-url";
import { AppError } from "../errors";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { decodeBody, PING_BODY_LIMIT, recordPing } from "../services/pings";
import { allowedLoadedCheck, authenticateAgent, checkBySlug, signedPingMeta } from "./agent-auth";

/** Endpoints for the `lifeboat` agent: every request is signed with an agent key. */
export const agentRoutes = new Hono<AppEnv>();

const SLUG = /^[a-z0-9_-]{1,64}$/;

agentRoutes.post("/ping/:slug/:suffix?", async (c) => {
  const slug = c.req.param("slug");
  const rid = c.req.query("rid") ?? null;
  if (!SLUG.test(slug)) throw new AppError("bad_request", "invalid slug: use 1–64 characters of a-z, 0-9, _ and -");
  if (rid !== null && !isUuid(rid)) throw new AppError("bad_request", "invalid rid: use a uuid");
  const ping = parseSuffix(c.req.param("suffix"), rid);
  if (ping === "unknown")
    throw new AppError("not_found", "unknown ping action: use start, fail, log or an exit status");
  if (exitStatusInvalid(ping)) throw new AppError("bad_request", "invalid exit status: use 0–255");

  const db = c.get("db");
  // Two D1 round trips in all: the key with the check, then one batch with the ping and the nonce.
  const request = await authenticateAgent(
    c,
    "ping",
    (key, _body, [check]: CheckRow[]) => allowedLoadedCheck(key, slug, check),
    { preload: checkBySlug(db, slug) },
  );
  const { key, body, target: check, begin } = request;

  const now = Date.now();
  const truncated = body!.byteLength > PING_BODY_LIMIT;
  const decoded = decodeBody(body!.subarray(0, PING_BODY_LIMIT), truncated);
  const meta = { ...signedPingMeta(c, key, decoded.text, truncated), bodyBase64: decoded.base64 };
  const result = await recordPing(db, check, ping, meta, now, begin);
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ ok: true, check: slug, status: result.check.status }, 200);
});

/**
 * The key as the server knows it. `lifeboat doctor` asks this to prove that LIFEBOAT_URL is a
 * Lifeboat server and that the key works (a 404 from some other server proves neither), and to
 * tell whether each job's check is one the key may use.
 */
agentRoutes.get("/whoami", async (c) => {
  const { key, begin } = await authenticateAgent(c, ["ping", "upload", "read"], () => null);
  await begin().commit(); // the nonce: a whoami is a signed request like any other, never replayable
  return c.json({ lifeboat: true, key_id: key.id, host: key.host, scopes: key.scopes, checks: key.checks }, 200);
});
