import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../app";
import {
  csrfTokenOf,
  csrfTokenValid,
  readSession,
  sameOriginRequest,
  SESSION_COOKIE,
  type Session,
  type SessionSecrets,
} from "../../domain/session";
import { isRevoked } from "../../services/sessions";
import type { PageContext } from "../../views/admin/layout";
import { readForm } from "./forms";

export type AdminEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & { session: Session; page: PageContext; form: Record<string, string | string[]> };
};

export const secretsOf = (env: AppEnv["Bindings"]): SessionSecrets => ({
  masterKey: env.LIFEBOAT_MASTER_KEY,
  adminToken: env.ADMIN_TOKEN,
  readToken: env.ADMIN_READ_TOKEN || undefined,
});

/** Our own origin as the browser sees it, and the public URL's when the Worker sits behind one. */
export function allowedOrigins(c: Context<AppEnv>): string[] {
  return [new URL(c.req.url).origin, new URL(c.get("baseUrl")).origin];
}

/** Headers every dashboard response carries, pages and refusals alike. */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "same-origin");
  h.set("X-Frame-Options", "DENY");
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
});

/** Every POST: from our own pages (Origin / Sec-Fetch-Site), whether or not a session exists yet. */
export const sameOriginPosts = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "POST") return next();
  const origin = c.req.header("Origin");
  const secFetchSite = c.req.header("Sec-Fetch-Site");
  if (!sameOriginRequest({ origin, secFetchSite }, allowedOrigins(c))) {
    return c.text("cross-site request refused", 403);
  }
  return next();
});

/**
 * Behind the login: a valid session cookie, and on every POST the session's CSRF token from the
 * form. Pages get to GET without one only by being redirected to the login. The read-only role
 * may look but only POST to log out. A session ended by logout counts as none.
 */
export const requireSession = createMiddleware<AdminEnv>(async (c, next) => {
  const now = Date.now();
  const secrets = secretsOf(c.env);
  const signed = c.env.ADMIN_TOKEN ? await readSession(secrets, getCookie(c, SESSION_COOKIE), now) : null;
  // The signature proves the cookie is ours; a logout may still have ended it (services/sessions.ts).
  const session = signed && !(await isRevoked(c.get("db"), signed)) ? signed : null;
  if (!session) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/admin/login", 303);
    return c.text("not logged in (or the session expired): log in again at /admin/login", 401);
  }
  const csrf = await csrfTokenOf(secrets, session);
  // Read-only sessions see no forms: the pages that are only a form refuse them too.
  if (session.role !== "admin" && /\/(new|edit)$/.test(new URL(c.req.url).pathname)) {
    return c.text("the read-only login cannot change anything", 403);
  }
  c.set("session", session);
  c.set("page", { role: session.role, csrf, now });
  if (c.req.method === "POST") {
    const form = await readForm(c.req);
    if (!(await csrfTokenValid(secrets, session, form._csrf))) {
      return c.text("missing or wrong CSRF token: reload the page and try again", 403);
    }
    if (session.role !== "admin" && new URL(c.req.url).pathname !== "/admin/logout") {
      return c.text("the read-only login cannot change anything", 403);
    }
    c.set("form", form as Record<string, string | string[]>);
  }
  return next();
});
