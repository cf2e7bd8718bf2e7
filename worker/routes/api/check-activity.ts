import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, seesCapabilities } from "../../app";
import { PING_KINDS, PING_SOURCES } from "../../db/schema";
import { listDeliveries } from "../../services/alert-pipeline/delivery-log";
import { getCheck } from "../../services/checks";
import { listFlips } from "../../services/history";
import { listPings } from "../../services/pings";
import { CheckParams } from "./check-schemas";
import { DeliveryView } from "./delivery-schemas";
import { jsonResponse, withErrors } from "./openapi-helpers";
import { deliveryView, flipView, pingView } from "./views";

/** What happened to a check: its pings, its status changes and the alerts sent about it. */
export const checkActivityApi = createRouter();

const tag = ["Checks"];

const PingView = z
  .object({
    n: z.number(),
    kind: z
      .enum(PING_KINDS)
      .openapi({ description: "ign: received, but ignored by the check's methods or keyword filters" }),
    exit_status: z.number().nullable(),
    rid: z.string().nullable(),
    duration_s: z.number().nullable(),
    outcome: z
      .string()
      .nullable()
      .openapi({ description: "too_short or too_early when a success counted as a failure" }),
    body: z.string(),
    body_truncated: z.boolean(),
    source: z.enum(PING_SOURCES),
    method: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    key_id: z.string().nullable(),
    received_at: z.string(),
  })
  .openapi("Ping");

const FlipView = z
  .object({ from: z.string(), to: z.string(), reason: z.string(), detail: z.string(), at: z.string() })
  .openapi("Flip");

const routes = {
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

checkActivityApi.openapi(routes.pings, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ pings: (await listPings(db, row.id)).map(pingView) }, 200);
});

checkActivityApi.openapi(routes.deliveries, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  const capable = seesCapabilities(c);
  const deliveries = (await listDeliveries(db, { checkId: row.id })).map((d) => deliveryView(d, capable));
  return c.json({ deliveries }, 200);
});

checkActivityApi.openapi(routes.flips, async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.valid("param").id);
  return c.json({ flips: (await listFlips(db, row.id)).map(flipView) }, 200);
});
