import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app";
import { openDb } from "../services/db";

/** The drizzle client and the public base URL, set once per request for every handler. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", openDb(c.env.DB));
  c.set("baseUrl", (c.env.PUBLIC_URL || new URL(c.req.url).origin).replace(/\/+$/, ""));
  await next();
  // Bookkeeping that must follow only a request that succeeded (e.g. an agent key's last use):
  // a refused request writes nothing.
  if (c.res.status < 400) c.get("onSuccess")?.();
  // The agent's `doctor` measures clock skew from it (Cloudflare sets one; wrangler dev does not).
  if (!c.res.headers.has("Date")) c.res.headers.set("Date", new Date().toUTCString());
});
