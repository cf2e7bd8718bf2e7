import { Hono, type Context } from "hono";
import { version } from "../../package.json";
import type { AppEnv } from "../app";
import { healthStatus, monitoringOf, publicError } from "../domain/monitoring";
import { readHeartbeat } from "../services/sweep-runs";

/**
 * GET /health (and /health/ready, the name load balancers and the backup runbook use): is this
 * Lifeboat able to watch anything? Public and never cached; it says nothing a visitor could use
 * (no check, no URL, no secret). 200 when ok, 503 when degraded or down, so any uptime monitor that
 * only reads status codes alerts on it.
 */
export const healthRoutes = new Hono<AppEnv>();

// R2 answers a HEAD of a key that does not exist with null: a cheap proof that the bucket is reachable.
const R2_PROBE_KEY = "health/probe";

async function health(c: Context<AppEnv>) {
  const now = Date.now();
  const [beat, r2] = await Promise.all([
    readHeartbeat(c.get("db")).then(
      (row) => ({ ok: true, row }),
      () => ({ ok: false, row: null }),
    ),
    c.env.BUCKET.head(R2_PROBE_KEY).then(
      () => true,
      () => false,
    ),
  ]);
  const monitoring = beat.row ? monitoringOf(beat.row, now) : null;
  const status = healthStatus({ d1: beat.ok, r2, monitoring });
  const body = {
    status,
    sweep: {
      last_at: monitoring?.lastOkAt ? new Date(monitoring.lastOkAt).toISOString() : null,
      age_s: monitoring?.ageS ?? null,
      delayed: monitoring?.delayed ?? null,
      last_error: publicError(monitoring?.lastError ?? null),
    },
    d1: beat.ok ? "ok" : "error",
    r2: r2 ? "ok" : "error",
    version,
  };
  return c.json(body, status === "ok" ? 200 : 503, { "Cache-Control": "no-store" });
}

healthRoutes.get("/", health);
healthRoutes.get("/ready", health);
