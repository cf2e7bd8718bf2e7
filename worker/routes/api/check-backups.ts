import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import { DRILL_KINDS, DRILL_OUTCOMES } from "../../db/schema";
import { getCheck } from "../../services/checks";
import { listDrills } from "../../services/drills";
import { retentionPreview } from "../../services/retention";
import { CheckParams } from "./check-schemas";
import { jsonResponse, withErrors } from "./openapi-helpers";
import { iso } from "./views";

/** A backup check's restore drills and its retention preview. */
export const checkBackupsApi = createRouter();

const tag = ["Checks"];

const DrillView = z
  .object({
    backup: z.string(),
    kind: z
      .enum(DRILL_KINDS)
      .openapi({ description: "drill: a scratch restore; restore: a manual restore that loaded the backup" }),
    ok: z.boolean(),
    outcome: z.enum(DRILL_OUTCOMES).openapi({
      description:
        "could_not_start: the drill never reached the backup (e.g. no scratch database); says nothing about it",
    }),
    duration_s: z.number().openapi({ description: "the measured restore time (RTO)" }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    key_id: z.string().nullable(),
    reported_at: z.string(),
  })
  .openapi("Drill");

checkBackupsApi.openapi(
  createRoute({
    method: "get",
    path: "/checks/{id}/drills",
    operationId: "listCheckDrills",
    summary: "List a check's restore drills",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({
      200: jsonResponse(z.object({ drills: z.array(DrillView) }), "Restore drills, newest first, with measured RTOs"),
    }),
  }),
  async (c) => {
    const db = c.get("db");
    const check = await getCheck(db, c.req.valid("param").id);
    const rows = await listDrills(db, check.id);
    return c.json(
      {
        drills: rows.map((d) => ({
          backup: d.backupId,
          kind: d.kind,
          ok: d.ok,
          outcome: d.outcome,
          duration_s: d.durationMs / 1000,
          message: d.message,
          details: d.details,
          key_id: d.keyId,
          reported_at: iso(d.reportedAt),
        })),
      },
      200,
    );
  },
);

const RetentionView = z
  .object({
    enabled: z.boolean().openapi({ description: "false while no keep rule is set: nothing is deleted" }),
    keep: z.array(z.object({ id: z.string(), received_at: z.string(), reasons: z.array(z.string()) })),
    delete: z.array(z.object({ id: z.string(), received_at: z.string(), reason: z.string() })),
    health: z.object({
      ok: z.boolean(),
      problems: z.array(z.string()),
      held: z.array(z.object({ rule: z.string(), wanted: z.number(), expected: z.number(), have: z.number() })),
    }),
  })
  .openapi("RetentionPreview");

checkBackupsApi.openapi(
  createRoute({
    method: "get",
    path: "/checks/{id}/retention",
    operationId: "previewCheckRetention",
    summary: "Preview what retention keeps and deletes",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({
      200: jsonResponse(
        RetentionView,
        "What retention keeps (and why) and would tombstone now; restore points held against the policy",
      ),
    }),
  }),
  async (c) => {
    const db = c.get("db");
    const check = await getCheck(db, c.req.valid("param").id);
    const { enabled, plan, health, receivedAt } = await retentionPreview(db, check, Date.now());
    const at = (id: string) => iso(receivedAt.get(id)!);
    return c.json(
      {
        enabled,
        keep: plan.keep.map((k) => ({ id: k.id, received_at: at(k.id), reasons: k.reasons })),
        delete: plan.delete.map((d) => ({ id: d.id, received_at: at(d.id), reason: d.reason })),
        health,
      },
      200,
    );
  },
);
