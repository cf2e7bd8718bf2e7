import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, seesCapabilities } from "../../app";
import { getChannel } from "../../services/channels";
import { sendTest } from "../../services/alert-pipeline/send";
import { deliveryContext } from "../../services/alert-pipeline/dispatch";
import { listDeliveries } from "../../services/alert-pipeline/delivery-log";
import { ChannelParams, TestResult } from "./channel-schemas";
import { DeliveryView } from "./delivery-schemas";
import { jsonResponse, withErrors } from "./openapi-helpers";
import { deliveryView } from "./views";

/** What a channel sends: a test alert on demand, and the log of what it delivered. */
export const channelDeliveriesApi = createRouter();

const tag = ["Channels"];

const routes = {
  test: createRoute({
    method: "post",
    path: "/channels/{id}/test",
    operationId: "testChannel",
    summary: "Send a test alert through a channel",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({ 200: jsonResponse(TestResult, "What the receiver answered (within 10 s)") }),
  }),
  deliveries: createRoute({
    method: "get",
    path: "/channels/{id}/deliveries",
    operationId: "listChannelDeliveries",
    summary: "List a channel's deliveries",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({
      200: jsonResponse(z.object({ deliveries: z.array(DeliveryView) }), "The last 100 notifications, newest first"),
    }),
  }),
};

channelDeliveriesApi.openapi(routes.test, async (c) => {
  const row = await getChannel(c.get("db"), c.req.valid("param").id);
  const result = await sendTest(deliveryContext(c.env, c.get("baseUrl"), Date.now()), row);
  return c.json({ ok: result.ok, status: result.status, error: result.ok ? null : result.message }, 200);
});

channelDeliveriesApi.openapi(routes.deliveries, async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.valid("param").id);
  const capable = seesCapabilities(c);
  const deliveries = (await listDeliveries(db, { channelId: row.id })).map((d) => deliveryView(d, capable));
  return c.json({ deliveries }, 200);
});
