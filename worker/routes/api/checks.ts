import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, validationFailed, type AppEnv } from "../../app";
import type { CheckRow } from "../../db/schema";
import { pingKeyOf } from "../../domain/signing";
import type { Context } from "hono";
import {
  createCheck,
  deleteCheck,
  getCheck,
  listChecks,
  pauseCheck,
  resumeCheck,
  updateCheck,
  CHECK_DEFAULTS,
  resolveParent,
  uuidOfCheck,
  type CheckInput,
} from "../../services/checks";
import { listFlips } from "../../services/flips";
import { rotateBadgeKey } from "../../services/status-badges";
import { listPings } from "../../services/pings";
import {
  CheckList,
  CheckParams,
  CheckView,
  CreateCheck,
  FlipView,
  ListChecksQuery,
  PingView,
  UpdateCheck,
} from "./check-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { checkView, deliveryView, flipView, iso, pingView } from "./views";
import { retentionPreview } from "../../services/retention";
import { listDrills } from "../../services/drills";
import { listDeliveries } from "../../services/deliveries";
import { DeliveryView } from "./delivery-schemas";

export const checksApi = createRouter();

const tag = ["Checks"];
const one = (description: string) => withErrors({ 200: jsonResponse(CheckView, description) });

const routes = {
  list: createRoute({
    method: "get",
    path: "/checks",
    tags: tag,
    request: { query: ListChecksQuery },
    responses: withErrors({ 200: jsonResponse(CheckList, "Checks, oldest first") }),
  }),
  create: createRoute({
    method: "post",
    path: "/checks",
    tags: tag,
    request: { body: jsonBody(CreateCheck) },
    responses: withErrors({ 201: jsonResponse(CheckView, "The new check") }),
  }),
  get: createRoute({
    method: "get",
    path: "/checks/{id}",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The check"),
  }),
  update: createRoute({
    method: "patch",
    path: "/checks/{id}",
    tags: tag,
    request: { params: CheckParams, body: jsonBody(UpdateCheck) },
    responses: one("The updated check"),
  }),
  remove: createRoute({
    method: "delete",
    path: "/checks/{id}",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The deleted check"),
  }),
  pause: createRoute({
    method: "post",
    path: "/checks/{id}/pause",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The paused check: it cannot alert until resumed or pinged"),
  }),
  resume: createRoute({
    method: "post",
    path: "/checks/{id}/resume",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The check, back to `new` until its next ping"),
  }),
  pings: createRoute({
    method: "get",
    path: "/checks/{id}/pings",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({
      200: jsonResponse(z.object({ pings: z.array(PingView) }), "The last 100 pings, newest first, with bodies"),
    }),
  }),
  deliveries: createRoute({
    method: "get",
    path: "/checks/{id}/deliveries",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({
      200: jsonResponse(
        z.object({ deliveries: z.array(DeliveryView) }),
        "Alerts about this check on every channel, newest first",
      ),
    }),
  }),
  flips: createRoute({
    method: "get",
    path: "/checks/{id}/flips",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({ 200: jsonResponse(z.object({ flips: z.array(FlipView) }), "State changes, newest first") }),
  }),
};

async function view(c: Context<AppEnv>, row: CheckRow) {
  const links = { baseUrl: c.get("baseUrl"), pingKey: await pingKeyOf(c.env) };
  return checkView(row, links, Date.now(), await uuidOfCheck(c.get("db"), row.parentId));
}

checksApi.openapi(routes.list, async (c) => {
  const q = c.req.valid("query");
  const rows = await listChecks(c.get("db"), {
    tag: q.tag,
    kind: q.kind,
    status: q.status,
    after: q.cursor,
    limit: q.limit,
  });
  const checks = await Promise.all(rows.map((row) => view(c, row)));
  const nextCursor = rows.length === q.limit ? rows[rows.length - 1]!.id : null;
  return c.json({ checks, next_cursor: nextCursor }, 200);
});

checksApi.openapi(routes.create, async (c) => {
  const db = c.get("db");
  const body = c.req.valid("json");
  const parentId = body.parent ? await resolveParent(db, body.parent, null) : null;
  const row = await createCheck(db, toCheckInput(body, parentId), Date.now());
  return c.json(await view(c, row), 201);
});

checksApi.openapi(routes.get, async (c) => {
  return c.json(await view(c, await getCheck(c.get("db"), c.req.valid("param").id)), 200);
});

checksApi.openapi(routes.update, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  const body = c.req.valid("json");
  const parentId =
    body.parent === undefined ? row.parentId : body.parent === null ? null : await resolveParent(db, body.parent, row);
  const updated = await updateCheck(db, row, toCheckInput(body, parentId, row), Date.now());
  return c.json(await view(c, updated), 200);
});

checksApi.openapi(routes.remove, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  await deleteCheck(db, row);
  return c.json(await view(c, row), 200);
});

checksApi.openapi(routes.pause, async (c) => {
  const db = c.get("db");
  return c.json(await view(c, await pauseCheck(db, await getCheck(db, c.req.valid("param").id), Date.now())), 200);
});

checksApi.openapi(routes.resume, async (c) => {
  const db = c.get("db");
  return c.json(await view(c, await resumeCheck(db, await getCheck(db, c.req.valid("param").id), Date.now())), 200);
});

checksApi.openapi(
  createRoute({
    method: "post",
    path: "/checks/{id}/badge-key",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The check with a new badge key: its old badge URLs answer 404 from now on"),
  }),
  async (c) => {
    const db = c.get("db");
    return c.json(await view(c, await rotateBadgeKey(db, await getCheck(db, c.req.valid("param").id))), 200);
  },
);

checksApi.openapi(routes.pings, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ pings: (await listPings(db, row.id)).map(pingView) }, 200);
});

checksApi.openapi(routes.deliveries, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ deliveries: (await listDeliveries(db, { checkId: row.id })).map(deliveryView) }, 200);
});

checksApi.openapi(routes.flips, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ flips: (await listFlips(db, row.id)).map(flipView) }, 200);
});

type Body = z.infer<typeof UpdateCheck>;

/**
 * API fields → a complete check. On update the body is laid over the stored check; setting `cron`
 * switches the schedule to cron and setting `period_s` switches it back. The dashboard's forms use it too.
 */
export function toCheckInput(body: Body, parentId: number | null, existing?: CheckRow): CheckInput {
  const cron = body.period_s !== undefined ? null : (body.cron ?? existing?.cron ?? null);
  const d = CHECK_DEFAULTS;
  const input: CheckInput = {
    name: body.name ?? existing?.name ?? "",
    slug: body.slug ?? existing?.slug ?? slugify(body.name ?? ""),
    kind: body.kind ?? existing?.kind ?? d.kind,
    periodS: cron ? null : (body.period_s ?? existing?.periodS ?? d.periodS),
    cron,
    tz: body.tz ?? existing?.tz ?? d.tz,
    graceS: body.grace_s ?? existing?.graceS ?? d.graceS,
    tags: body.tags ?? existing?.tags ?? d.tags,
    desc: body.desc ?? existing?.desc ?? d.desc,
    group: body.group ?? existing?.group ?? d.group,
    public: body.public ?? existing?.public ?? d.public,
    minDurationS: body.min_duration_s !== undefined ? body.min_duration_s : (existing?.minDurationS ?? d.minDurationS),
    earlyS: body.early_s !== undefined ? body.early_s : (existing?.earlyS ?? d.earlyS),
    failureThreshold: body.failure_threshold ?? existing?.failureThreshold ?? d.failureThreshold,
    flapThreshold: body.flap_threshold ?? existing?.flapThreshold ?? d.flapThreshold,
    minSizeFraction: body.min_size_fraction ?? existing?.minSizeFraction ?? d.minSizeFraction,
    expectChange: body.expect_change ?? existing?.expectChange ?? d.expectChange,
    keepLast: pick(body.keep_last, existing?.keepLast, d.keepLast),
    keepHourly: pick(body.keep_hourly, existing?.keepHourly, d.keepHourly),
    keepDaily: pick(body.keep_daily, existing?.keepDaily, d.keepDaily),
    keepWeekly: pick(body.keep_weekly, existing?.keepWeekly, d.keepWeekly),
    keepMonthly: pick(body.keep_monthly, existing?.keepMonthly, d.keepMonthly),
    keepYearly: pick(body.keep_yearly, existing?.keepYearly, d.keepYearly),
    keepWithinS: pick(body.keep_within_s, existing?.keepWithinS, d.keepWithinS),
    minAgeDays: body.min_age_days ?? existing?.minAgeDays ?? d.minAgeDays,
    tombstoneDays: body.tombstone_days ?? existing?.tombstoneDays ?? d.tombstoneDays,
    parentId,
    rpoS: pick(body.rpo_s, existing?.rpoS, d.rpoS),
    drillEveryS: pick(body.drill_every_s, existing?.drillEveryS, d.drillEveryS),
    publicDetails: body.public_details ?? existing?.publicDetails ?? d.publicDetails,
  };
  // The merged schedule is validated again: a new tz can break a stored cron expression.
  const merged = CreateCheck.safeParse({ name: input.name, cron: input.cron ?? undefined, tz: input.tz });
  if (!merged.success) throw validationFailed("json", merged.error);
  return input;
}

/** A nullable field: the body's value when sent (null included), else the stored one, else the default. */
function pick<T>(sent: T | undefined, stored: T | undefined, fallback: T): T {
  return sent !== undefined ? sent : stored !== undefined ? stored : fallback;
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return slug || `check-${crypto.randomUUID().slice(0, 8)}`;
}

const DrillView = z
  .object({
    backup: z.string(),
    ok: z.boolean(),
    duration_s: z.number().openapi({ description: "the measured restore time (RTO)" }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    key_id: z.string().nullable(),
    reported_at: z.string(),
  })
  .openapi("Drill");

checksApi.openapi(
  createRoute({
    method: "get",
    path: "/checks/{id}/drills",
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
          ok: d.ok,
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

checksApi.openapi(
  createRoute({
    method: "get",
    path: "/checks/{id}/retention",
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
