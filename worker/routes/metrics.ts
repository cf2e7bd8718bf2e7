import { Hono } from "hono";
import type { AppEnv } from "../app";
import { metricFamilies } from "../domain/metrics";
import { monitoringOf } from "../domain/monitoring";
import { effectiveRpoS } from "../domain/status/rpo";
import { PROMETHEUS_CONTENT_TYPE, renderExposition } from "../domain/prometheus";
import { bearerRole } from "../middleware/admin-auth";
import { readMetrics } from "../services/metrics";
import { planProjection } from "../services/free-plan";
import { keepsRestorePoints } from "../domain/kinds";

/**
 * GET /metrics: Prometheus text format. Either admin token works; the read-only one is the one
 * to give a scraper (`authorization: { credentials: … }` in prometheus.yml).
 */
export const metricsRoutes = new Hono<AppEnv>();

metricsRoutes.get("/", async (c) => {
  await bearerRole(c.env, c.req.header("Authorization"));
  const now = Date.now();
  const [{ checkRows, channelRows, storage, heartbeat, repositories }, plan] = await Promise.all([
    readMetrics(c.get("db")),
    planProjection(c.get("db"), now),
  ]);
  // Backup checks without an RPO of their own get their schedule's (the status page's arithmetic).
  const checks = checkRows.map((row) => ({
    ...row,
    rpo_s: keepsRestorePoints(row.kind)
      ? effectiveRpoS({ periodS: row.period_s, cron: row.cron, tz: row.tz, graceS: row.grace_s, rpoS: row.rpo_s }, now)
      : null,
  }));
  const sweep = heartbeat ? monitoringOf(heartbeat, now) : null;
  const body = renderExposition(
    metricFamilies({ checks, channels: channelRows, storage, sweep, repositories, plan }, now),
  );
  return c.body(body, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" });
});
