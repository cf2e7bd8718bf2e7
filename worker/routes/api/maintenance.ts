import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import type { MaintenanceRow } from "../../db/schema";
import { nextOccurrence, occurrenceAt } from "../../domain/maintenance";
import {
  createWindow,
  deleteWindow,
  getWindow,
  listWindows,
  updateWindow,
  type MaintenanceInput,
} from "../../services/maintenance";
import { CreateWindow, MaintenanceParams, WindowView } from "./maintenance-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { iso } from "./views";

export const maintenanceApi = createRouter();

const tag = ["Maintenance"];

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
    request: { params: MaintenanceParams },
    responses: withErrors({ 200: jsonResponse(WindowView, "The window") }),
  }),
  update: createRoute({
    method: "put",
    path: "/maintenance/{id}",
    operationId: "replaceMaintenanceWindow",
    summary: "Replace a maintenance window",
    tags: tag,
    request: { params: MaintenanceParams, body: jsonBody(CreateWindow) },
    responses: withErrors({ 200: jsonResponse(WindowView, "The replaced window") }),
  }),
  remove: createRoute({
    method: "delete",
    path: "/maintenance/{id}",
    operationId: "deleteMaintenanceWindow",
    summary: "Delete a maintenance window",
    tags: tag,
    request: { params: MaintenanceParams },
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
