import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, seesCapabilities, type AppEnv } from "../../app";
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
  resolveParent,
  idsOfCheck,
} from "../../services/checks";
import { listFlips } from "../../services/history";
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
import { toCheckInput } from "./check-input";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { checkView, deliveryView, flipView, pingView } from "./views";
import { listDeliveries } from "../../services/alert-pipeline/delivery-log";
import { DeliveryView } from "./delivery-schemas";

export const checksApi = createRouter();

const tag = ["Checks"];
const one = (description: string) => withErrors({ 200: jsonResponse(CheckView, description) });

const routes = {
  list: createRoute({
    method: "get",
    path: "/checks",
    operationId: "listChecks",
    summary: "List checks",
    tags: tag,
    request: { query: ListChecksQuery },
    responses: withErrors({ 200: jsonResponse(CheckList, "Checks, oldest first") }),
  }),
  create: createRoute({
    method: "post",
    path: "/checks",
    operationId: "createCheck",
    summary: "Create a check",
    tags: tag,
    request: { body: jsonBody(CreateCheck) },
    responses: withErrors({ 201: jsonResponse(CheckView, "The new check") }),
  }),
  get: createRoute({
    method: "get",
    path: "/checks/{id}",
    operationId: "getCheck",
    summary: "Get a check",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The check"),
  }),
  update: createRoute({
    method: "patch",
    path: "/checks/{id}",
    operationId: "updateCheck",
    summary: "Update a check",
    tags: tag,
    request: { params: CheckParams, body: jsonBody(UpdateCheck) },
    responses: one("The updated check"),
  }),
  remove: createRoute({
    method: "delete",
    path: "/checks/{id}",
    operationId: "deleteCheck",
    summary: "Delete a check",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The deleted check"),
  }),
  pause: createRoute({
    method: "post",
    path: "/checks/{id}/pause",
    operationId: "pauseCheck",
    summary: "Pause a check",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The paused check: it cannot alert until resumed or pinged"),
  }),
  resume: createRoute({
    method: "post",
    path: "/checks/{id}/resume",
    operationId: "resumeCheck",
    summary: "Resume a paused check",
    tags: tag,
    request: { params: CheckParams },
    responses: one("The check, back to `new` until its next ping"),
  }),
  pings: createRoute({
    method: "get",
    path: "/checks/{id}/pings",
    operationId: "listCheckPings",
    summary: "List a check's pings",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({
      200: jsonResponse(z.object({ pings: z.array(PingView) }), "The last 100 pings, newest first, with bodies"),
    }),
  }),
  deliveries: createRoute({
    method: "get",
    path: "/checks/{id}/deliveries",
    operationId: "listCheckDeliveries",
    summary: "List a check's alert deliveries",
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
    operationId: "listCheckFlips",
    summary: "List a check's status changes",
    tags: tag,
    request: { params: CheckParams },
    responses: withErrors({ 200: jsonResponse(z.object({ flips: z.array(FlipView) }), "State changes, newest first") }),
  }),
};

async function view(c: Context<AppEnv>, row: CheckRow) {
  const links = { baseUrl: c.get("baseUrl"), pingKey: seesCapabilities(c) ? await pingKeyOf(c.env) : null };
  return checkView(row, links, Date.now(), await idsOfCheck(c.get("db"), row.parentId));
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
  await deleteCheck(db, row, Date.now());
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
    operationId: "rotateBadgeKey",
    summary: "Give a check a new badge key",
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
  const capable = seesCapabilities(c);
  const deliveries = (await listDeliveries(db, { checkId: row.id })).map((d) => deliveryView(d, capable));
  return c.json({ deliveries }, 200);
});

checksApi.openapi(routes.flips, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ flips: (await listFlips(db, row.id)).map(flipView) }, 200);
});
