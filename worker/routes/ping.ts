import { Hono, type Context } from "hono";
import type { AppEnv } from "../app";
import type { CheckRow } from "../db/schema";
import { classifyPing } from "../domain/ping-filter";
import { exitStatusInvalid, isUuid, parsePingPath } from "../domain/ping-url";
import type { Ping } from "../domain/state";
import { constantTimeEqual, pingKeyOf } from "../domain/signing";
import { createCheck } from "../services/checks";
import { CHECK_DEFAULTS } from "../domain/check-fields";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
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
  // healthchecks' never_cache: no cache (a link previewer's, a proxy's) may answer a ping for us.
  c.header("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private");
});

pingRoutes.on(["GET", "HEAD", "POST"], "/*", async (c) => {
  const rid = c.req.query("rid") ?? null;
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
      // Judged before creating, so a refused request creates nothing (healthchecks creates first).
      const problem = requestProblem(target.ping, rid);
      if (problem) return text(c, problem, 400);
      // Two first pings may race to create the check; the loser pings the winner's check.
      check = await createCheck(db, defaultCheck(target.slug), now).catch(() =>
        findCheckToPing(db, { slug: target.slug }),
      );
      created = check !== undefined && check.createdAt === now;
    }
  }
  if (!check) return text(c, "not found", 404);
  // Like healthchecks: the check is looked up first (404), then the exit status and rid are judged (400).
  const problem = requestProblem(target.ping, rid);
  if (problem) return text(c, problem, 400);

  const body =
    c.req.method === "POST" ? await readLimitedBody(c.req.raw.body) : { text: "", truncated: false, base64: null };
  const result = await recordPing(
    db,
    check,
    pingAsCounted(check, c.req.method, body.text, target.ping),
    {
      body: body.text,
      bodyBase64: body.base64,
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

function requestProblem(ping: Ping, rid: string | null): string | null {
  if (exitStatusInvalid(ping)) return "invalid url format";
  if (rid !== null && !isUuid(rid)) return "invalid uuid format";
  return null;
}

/** What the ping counts as: a paused `manual_resume` check ignores it, then the check's methods and keywords decide. */
function pingAsCounted(check: CheckRow, method: string, body: string, ping: Ping): Ping {
  if (check.status === "paused" && check.manualResume)
    return { kind: "ign", rid: ping.rid, exitStatus: ping.exitStatus };
  return classifyPing(check, method, body, ping);
}

/** A check created by `?create=1` gets healthchecks' defaults and its slug as its name. */
const defaultCheck = (slug: string) => ({ ...CHECK_DEFAULTS, name: slug, slug });
