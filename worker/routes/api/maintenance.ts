import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import type { MaintenanceRow } from "../../db/schema";
import { nextOccurrence, occurrenceAt } from "../../domain/maintenance";
import { cronProblem, isTimeZone } from "../../domain/schedule";
import {
  createWindow,
  deleteWindow,
  getWindow,
  listWindows,
  updateWindow,
  type MaintenanceInput,
} from "../../services/maintenance";
import { Slug, Tag } from "./check-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { iso } from "./views";

export const maintenanceApi = createRouter();

const tag = ["Maintenance"];
const MAX_DURATION_S = 7 * 86_400;

const Fields = z.object({
  name: z.string().trim().min(1).max(100),
  starts_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .openapi({ description: "one-off start, or when a recurring window begins to apply" }),
  ends_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .openapi({ description: "one-off end, or when a recurring window stops applying" }),
  cron: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .nullable()
    .openapi({ example: "0 2 * * 0", description: "recurring: when each window opens" }),
  tz: z.string().refine(isTimeZone, "unknown IANA time zone"),
  duration_s: z
    .number()
    .int()
    .min(60)
    .max(MAX_DURATION_S)
    .nullable()
    .openapi({ description: "recurring: how long each window lasts" }),
  tags: z.array(Tag).max(20).openapi({ description: "covers checks with any of these tags" }),
  checks: z
    .array(Slug)
    .max(100)
    .openapi({ description: "covers these checks; with no tags and no checks: every check" }),
});

type Body = Partial<z.infer<typeof Fields>>;

function windowIssues(body: Body, ctx: z.RefinementCtx) {
  const recurring = body.cron !== undefined && body.cron !== null;
  if (recurring) {
    const problem = cronProblem(body.cron!, body.tz ?? "UTC");
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
    if (!body.duration_s)
      ctx.addIssue({ code: "custom", path: ["duration_s"], message: "a recurring window needs duration_s" });
  } else if (!body.starts_at || !body.ends_at) {
    ctx.addIssue({
      code: "custom",
      path: ["ends_at"],
      message: "a one-off window needs starts_at and ends_at (or give cron + duration_s)",
    });
  }
  if (body.starts_at && body.ends_at && Date.parse(body.ends_at) <= Date.parse(body.starts_at)) {
    ctx.addIssue({ code: "custom", path: ["ends_at"], message: "ends_at must be after starts_at" });
  }
}

const CreateWindow = Fields.partial()
  .required({ name: true })
  .strict()
  .superRefine(windowIssues)
  .openapi("CreateMaintenance");

const WindowView = z
  .object({
    uuid: z.string(),
    name: z.string(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    cron: z.string().nullable(),
    tz: z.string(),
    duration_s: z.number().nullable(),
    tags: z.array(z.string()),
    checks: z.array(z.string()),
    active: z.boolean().openapi({ description: "in effect right now" }),
    current_or_next: z.object({ start: z.string(), end: z.string() }).nullable(),
  })
  .openapi("Maintenance");

const Params = z.object({
  id: z
    .string()
    .uuid("not a maintenance window id")
    .openapi({ param: { name: "id", in: "path" } }),
});

const routes = {
  create: createRoute({
    method: "post",
    path: "/maintenance",
    operationId: "createMaintenanceWindow",
    summary: "Create a maintenance window",
    tags: tag,
    request: { body: jsonBody(CreateWindow) },
    responses: withErrors({ 201: jsonResponse(WindowView, "The new window") }),
  }),
  list: createRoute({
    method: "get",
    path: "/maintenance",
    operationId: "listMaintenanceWindows",
    summary: "List maintenance windows",
    tags: tag,
    responses: withErrors({
      200: jsonResponse(z.object({ maintenance: z.array(WindowView) }), "Every window, with whether it is active now"),
    }),
  }),
  get: createRoute({
    method: "get",
    path: "/maintenance/{id}",
    operationId: "getMaintenanceWindow",
    summary: "Get a maintenance window",
    tags: tag,
    request: { params: Params },
    responses: withErrors({ 200: jsonResponse(WindowView, "The window") }),
  }),
  update: createRoute({
    method: "put",
    path: "/maintenance/{id}",
    operationId: "replaceMaintenanceWindow",
    summary: "Replace a maintenance window",
    tags: tag,
    request: { params: Params, body: jsonBody(CreateWindow) },
    responses: withErrors({ 200: jsonResponse(WindowView, "The replaced window") }),
  }),
  remove: createRoute({
    method: "delete",
    path: "/maintenance/{id}",
    operationId: "deleteMaintenanceWindow",
    summary: "Delete a maintenance window",
    tags: tag,
    request: { params: Params },
    responses: withErrors({ 200: jsonResponse(WindowView, "The deleted window") }),
  }),
};

maintenanceApi.openapi(routes.create, async (c) => {
  const row = await createWindow(c.get("db"), toInput(c.req.valid("json")), Date.now());
  return c.json(view(row, Date.now()), 201);
});

maintenanceApi.openapi(routes.list, async (c) => {
  const now = Date.now();
  return c.json({ maintenance: (await listWindows(c.get("db"))).map((w) => view(w, now)) }, 200);
});

maintenanceApi.openapi(routes.get, async (c) =>
  c.json(view(await getWindow(c.get("db"), c.req.valid("param").id), Date.now()), 200),
);

maintenanceApi.openapi(routes.update, async (c) => {
  const db = c.get("db");
  const row = await getWindow(db, c.req.valid("param").id);
  return c.json(view(await updateWindow(db, row, toInput(c.req.valid("json"))), Date.now()), 200);
});

maintenanceApi.openapi(routes.remove, async (c) => {
  const db = c.get("db");
  const row = await getWindow(db, c.req.valid("param").id);
  await deleteWindow(db, row);
  return c.json(view(row, Date.now()), 200);
});

function toInput(body: z.infer<typeof CreateWindow>): MaintenanceInput {
  const recurring = Boolean(body.cron);
  return {
    name: body.name,
    startsAt: body.starts_at ? Date.parse(body.starts_at) : null,
    endsAt: body.ends_at ? Date.parse(body.ends_at) : null,
    cron: recurring ? body.cron! : null,
    tz: body.tz ?? "UTC",
    durationS: recurring ? (body.duration_s ?? null) : null,
    tags: body.tags ?? [],
    checks: body.checks ?? [],
  };
}

function view(row: MaintenanceRow, now: number) {
  const next = nextOccurrence(row, now);
  return {
    uuid: row.uuid,
    name: row.name,
    starts_at: iso(row.startsAt),
    ends_at: iso(row.endsAt),
    cron: row.cron,
    tz: row.tz,
    duration_s: row.durationS,
    tags: row.tags,
    checks: row.checks,
    active: occurrenceAt(row, now) !== null,
    current_or_next: next ? { start: iso(next.start), end: iso(next.end) } : null,
  };
}
