import { Hono } from "hono";
import type { AppEnv } from "../app";
import { listBackups } from "../services/backups";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { lastDrillsOf, recordDrill } from "../services/drills";
import { contentResponse } from "../services/parts";
import { DrillBody, parseJson } from "./agent-backup-schemas";
import { allowedCheck, authenticateAgent, ownBackup, ownBackupWithCheck } from "./agent-auth";
import { backupView } from "./api/views";

/**
 * The restore side of the `lifeboat` agent (docs/BACKUPS.md), with the `read` scope: list a check's
 * backups, download one, and report the drill or restore that used it. Every request is signed, and
 * a backup of a check the key may not touch is "not found".
 */
export const agentRestoreRoutes = new Hono<AppEnv>();

/**
 * A restore drill's result (`lifeboat drill`), or a manual restore that verified and loaded the
 * backup (`lifeboat restore`, kind "restore"): kept with the backup; a failed drill alerts, and so,
 * in its own words, does one that could not start.
 */
agentRestoreRoutes.post("/backups/:id/drills", async (c) => {
  const db = c.get("db");
  const request = await authenticateAgent(c, "read", async (key, body) => ({
    ...(await ownBackupWithCheck(db, key, c.req.param("id"))),
    report: parseJson(DrillBody, body!),
  }));
  const { backup, check, report } = request.target;
  const now = Date.now();
  const outcome = report.outcome ?? (report.ok ? "ok" : "failed");
  const drill = {
    outcome,
    kind: report.kind,
    durationS: report.duration_s,
    details: report.details,
    message: report.message,
  };
  await recordDrill(db, check, backup, request.key, drill, now, request.begin);
  if (outcome !== "ok") c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ backup: backup.id, ok: report.ok, outcome, kind: report.kind, duration_s: report.duration_s }, 201);
});

agentRestoreRoutes.get("/checks/:slug/backups", async (c) => {
  const db = c.get("db");
  const { target: check, begin } = await authenticateAgent(c, "read", (key) =>
    allowedCheck(db, key, c.req.param("slug")),
  );
  const rows = await listBackups(db, { checkId: check.id, limit: 100 });
  // The agent's `list` shows whether each backup was ever restored, from any host.
  const drills = await lastDrillsOf(
    db,
    rows.map((row) => row.id),
  );
  await begin().commit();
  return c.json({ backups: rows.map((row) => ({ ...backupView(row), last_drill: drills.get(row.id) ?? null })) }, 200);
});

agentRestoreRoutes.get("/backups/:id/content", async (c) => {
  const db = c.get("db");
  const { target: backup, begin } = await authenticateAgent(c, "read", (key) => ownBackup(db, key, c.req.param("id")));
  return contentResponse(db, c.env.BUCKET, backup, c.req.header("Range"), () => begin().commit());
});
