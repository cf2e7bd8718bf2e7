import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../app";
import { AppError } from "../../errors";
import { MessagePage } from "../../views/admin/layout";
import { ADMIN_CSS } from "../../views/admin/styles";
import { checkFormRoutes } from "./checks";
import { checkPageRoutes } from "./check-page";
import { channelRoutes } from "./channels";
import { requireSession, sameOriginPosts, securityHeaders, type AdminEnv } from "./guard";
import { keyRoutes } from "./keys";
import { loginRoutes, logoutRoutes } from "./login";
import { overviewRoutes } from "./overview";

/** The admin dashboard under /admin (docs/DASHBOARD.md): server-rendered, no script, session cookie. */
export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", securityHeaders);
// A typed or bookmarked "/admin/" is the overview, not a page of its own.
adminRoutes.get("*", async (c, next) => (c.req.path === "/admin/" ? c.redirect("/admin", 301) : next()));
adminRoutes.use("*", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("form too large", 413) }));
adminRoutes.use("*", sameOriginPosts);
adminRoutes.get("/app.css", (c) => {
  c.header("Cache-Control", "public, max-age=3600");
  return c.body(ADMIN_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
});
adminRoutes.route("/", loginRoutes);

const behindLogin = new Hono<AdminEnv>();
behindLogin.use("*", requireSession);
behindLogin.route("/", logoutRoutes);
behindLogin.route("/", overviewRoutes);
behindLogin.route("/", checkFormRoutes);
behindLogin.route("/", checkPageRoutes);
behindLogin.route("/", channelRoutes);
behindLogin.route("/", keyRoutes);
behindLogin.all("*", (c) =>
  c.html(<MessagePage title="Not found" message="No such page." page={c.get("page")} />, 404),
);
behindLogin.onError((error, c) => {
  const page = c.get("page");
  if (error instanceof AppError && error.status < 500) {
    return c.html(
      <MessagePage title={error.code === "not_found" ? "Not found" : "Refused"} message={error.message} page={page} />,
      error.status,
    );
  }
  if (error instanceof HTTPException && error.status < 500) {
    return c.html(<MessagePage title="Bad request" message="The request could not be read." page={page} />, 400);
  }
  console.error("dashboard error:", error instanceof Error ? (error.stack ?? error.message) : String(error));
  return c.html(
    <MessagePage title="Something went wrong" message="Internal error; nothing more is shown here." page={page} />,
    500,
  );
});
adminRoutes.route("/", behindLogin);
