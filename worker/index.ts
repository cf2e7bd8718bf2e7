import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app";
import type { Env } from "./env";
import { AppError } from "./errors";
import { adminAuth } from "./middleware/admin-auth";
import { requestContext } from "./middleware/context";
import { adminRoutes } from "./routes/admin";
import { agentRoutes } from "./routes/agent";
import { agentBackupRoutes } from "./routes/agent-backups";
import { agentFileRoutes } from "./routes/agent-files";
import { agentRestoreRoutes } from "./routes/agent-restores";
import { badgeRoutes } from "./routes/badges";
import { healthRoutes } from "./routes/health";
import { adminApi, openApiDocument } from "./routes/api";
import { metricsRoutes } from "./routes/metrics";
import { hcApi } from "./routes/hc-api";
import { isHealthchecksRequest } from "./routes/hc-api/auth";
import { pingRoutes } from "./routes/ping";
import { pushRoutes } from "./routes/push";
import { resticRoutes } from "./routes/restic";
import { statusRoutes } from "./routes/status";
import { openDb } from "./services/db";
import { sweepContext } from "./services/alert-pipeline/dispatch";
import { publicUrlOf } from "./services/settings";
import { runWatchedSweep } from "./services/sweep-runs";

const app = new Hono<AppEnv>();

app.use("*", requestContext);
app.route("/ping", pingRoutes);
app.route("/api/push", pushRoutes); // Uptime Kuma push monitors
// healthchecks' Management API shares /api/v1/ with Lifeboat's own: auth.ts says which request is whose.
app.use("/api/*", async (c, next) => {
  if (!(await isHealthchecksRequest(c.req.raw, c.req.path))) return next();
  c.res = await hcApi.fetch(c.req.raw, c.env, c.executionCtx);
});
app.route("/v1", agentRoutes);
app.route("/v1", agentBackupRoutes);
app.route("/v1", agentRestoreRoutes);
app.route("/restic", resticRoutes); // restic's REST backend: restic -r rest:https://<key>:<secret>@host/restic/<slug>/
app.use("/api/v1/*", adminAuth);
app.route("/api/v1", adminApi);
app.route("/", agentFileRoutes);
app.route("/metrics", metricsRoutes);
app.route("/health", healthRoutes);
app.route("/admin", adminRoutes);
app.get("/api/openapi.json", (c) => c.json(openApiDocument(c.get("baseUrl"))));
app.route("/badge", badgeRoutes);
app.route("/", statusRoutes); // the public status page at /, /status.json, /feed.atom

app.notFound(() => {
  throw new AppError("not_found", "no such endpoint");
});

app.onError((error, c) => {
  if (error instanceof AppError) return c.json(error.toBody(), error.status, error.headers);
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own 4xx (e.g. a body that is not JSON) in the same shape as ours.
    return c.json(new AppError("bad_request", error.message || "bad request").toBody(), 400);
  }
  // Only 5xx are logged, and without request data (which may hold secrets).
  console.error("unhandled error:", error instanceof Error ? (error.stack ?? error.message) : String(error));
  return c.json(new AppError("internal", "internal error").toBody(), 500);
});

export default {
  fetch: app.fetch,
  async scheduled(controller: ScheduledController, env: Env) {
    // Even with D1 unreachable the watched sweep must run far enough to send its /fail self-ping.
    const publicUrl = await publicUrlOf(openDb(env.DB), env.PUBLIC_URL).catch(() => env.PUBLIC_URL ?? "");
    const report = await runWatchedSweep(sweepContext(env, publicUrl, controller.scheduledTime), {
      selfPingUrl: env.SELF_PING_URL,
    });
    const busy = report.timedOut || report.sent || report.failed || report.abandonedUploads || report.purgedObjects;
    if (busy) console.log("sweep", JSON.stringify(report));
  },
} satisfies ExportedHandler<Env>;
