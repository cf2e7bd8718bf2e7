import { Hono, type Context } from "hono";
import type { AppEnv } from "../app";
import { isUuid, parsePingPath } from "../domain/ping-url";
import { constantTimeEqual, pingKeyOf } from "../domain/signing";
import { CHECK_DEFAULTS, createCheck } from "../services/checks";
import { dispatchAlerts } from "../services/dispatch";
import { findCheckToPing, PING_BODY_LIMIT, readLimitedBody, recordPing } from "../services/pings";

/**
 * healthchecks.io-compatible ping endpoints: same paths, methods, status codes and plain-text
 * bodies, so existing cron one-liners work unchanged. The uuid or ping key is the secret.
 */
export const pingRoutes = new Hono<AppEnv>();

pingRoutes.use("*", async (c, next) => {
  await next();
  c.header("Access-Control-Allow-Origin", "*");
  c.header("Ping-Body-Limit", String(PING_BODY_LIMIT));
});

pingRoutes.on(["GET", "HEAD", "POST"], "/*", async (c) => {
  const rid = c.req.query("rid") ?? null;
  if (rid !== null && !isUuid(rid)) return text(c, "invalid url format", 400);
  const segments = new URL(c.req.url).pathname.split("/").slice(2);
  const target = parsePingPath(segments, rid);
  if ("error" in target)
    return target.error === "invalid" ? text(c, "invalid url format", 400) : text(c, "not found", 404);

  const db = c.get("db");
  const now = Date.now();
  let created = false;
  let check;
  if (target.form === "uuid") {
    check = await findCheckToPing(db, { uuid: target.uuid }); // the uuid form never matches a slug
  } else {
    if (!(await constantTimeEqual(target.pingKey, await pingKeyOf(c.env)))) return text(c, "not found", 404);
    check = await findCheckToPing(db, { slug: target.slug });
    if (!check && c.req.query("create") === "1") {
      // Two first pings may race to create the check; the loser pings the winner's check.
      check = await createCheck(db, defaultCheck(target.slug), now).catch(() =>
        findCheckToPing(db, { slug: target.slug }),
      );
      created = check !== undefined && check.createdAt === now;
    }
  }
  if (!check) return text(c, "not found", 404);

  const body = c.req.method === "POST" ? await readLimitedBody(c.req.raw.body) : { text: "", truncated: false };
  const result = await recordPing(
    db,
    check,
    target.ping,
    {
      body: body.text,
      bodyTruncated: body.truncated,
      source: "url",
      method: c.req.method,
      ip: c.req.header("CF-Connecting-IP") ?? null,
      userAgent: c.req.header("User-Agent")?.slice(0, 200) ?? null,
      keyId: null,
    },
    now,
  );
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return created ? text(c, "Created", 201) : text(c, "OK", 200);
});

pingRoutes.all("/*", (c) => text(c, "method not allowed", 405));

function text(c: Context<AppEnv>, body: string, status: 200 | 201 | 400 | 404 | 405) {
  return c.text(body, status);
}

/** A check created by `?create=1` gets healthchecks' defaults and its slug as its name. */
const defaultCheck = (slug: string) => ({ ...CHECK_DEFAULTS, name: slug, slug });
