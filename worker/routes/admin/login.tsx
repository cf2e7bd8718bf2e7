import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../app";
import {
  issueSession,
  loginAllowed,
  recordLoginFailure,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type LoginThrottle,
  type Role,
} from "../../domain/session";
import { constantTimeEqual } from "../../domain/signing";
import { revokeSession } from "../../services/sessions";
import { LoginPage } from "../../views/admin/login";
import { secretsOf, type AdminEnv } from "./guard";
import { readForm } from "./forms";

/** Failed logins per client address, per isolate: a cheap brake, not a guarantee (docs/DASHBOARD.md). */
const throttle: LoginThrottle = new Map();

export const loginRoutes = new Hono<AppEnv>();

loginRoutes.get("/login", (c) => c.html(<LoginPage />));

loginRoutes.post("/login", async (c) => {
  const now = Date.now();
  const address = c.req.header("CF-Connecting-IP") ?? "unknown";
  if (!loginAllowed(throttle, address, now)) {
    c.header("Retry-After", "900");
    return c.html(<LoginPage error="Too many failed logins from your address; try again in 15 minutes." />, 429);
  }
  const form = await readForm(c.req);
  const token = typeof form.token === "string" ? form.token : "";
  const role = await roleOf(c.env, token);
  if (!role) {
    recordLoginFailure(throttle, address, now);
    return c.html(<LoginPage error="That token is not valid." />, 401);
  }
  throttle.delete(address);
  const { cookie } = await issueSession(secretsOf(c.env), role, now);
  setCookie(c, SESSION_COOKIE, cookie, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/admin",
    maxAge: SESSION_TTL_MS / 1000,
  });
  return c.redirect("/admin", 303);
});

/** Both comparisons always run, in constant time, as in the API's bearer auth. */
async function roleOf(env: AppEnv["Bindings"], token: string): Promise<Role | null> {
  if (!env.ADMIN_TOKEN || token === "") return null;
  const [isAdmin, isReader] = await Promise.all([
    constantTimeEqual(token, env.ADMIN_TOKEN),
    env.ADMIN_READ_TOKEN ? constantTimeEqual(token, env.ADMIN_READ_TOKEN) : Promise.resolve(false),
  ]);
  return isAdmin ? "admin" : isReader ? "read" : null;
}

/**
 * Logging out ends the session on the server (a copy of the cookie is worthless from now on) and
 * clears the cookie. Rotating ADMIN_TOKEN ends every session at once (domain/session.ts).
 */
export const logoutRoutes = new Hono<AdminEnv>();

logoutRoutes.post("/logout", async (c) => {
  await revokeSession(c.get("db"), c.get("session"), Date.now());
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: true, httpOnly: true, sameSite: "Strict" });
  return c.redirect("/admin/login", 303);
});
