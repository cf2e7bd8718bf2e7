import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createRouter, seesCapabilities, type AppEnv } from "../../app";
import type { ChannelRow } from "../../db/schema";
import { publicConfig } from "../../domain/alerts";
import {
  channelConfig,
  channelSecret,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from "../../services/channels";
import { channelInput, channelUpdateInput } from "./channel-input";
import { ChannelParams, ChannelView, CreateChannel, UpdateChannel } from "./channel-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { iso } from "./views";

/** Alert channels: create, read, update, delete. Test sends and the delivery log: channel-deliveries.ts. */
export const channelsApi = createRouter();

const tag = ["Channels"];

const routes = {
  create: createRoute({
    method: "post",
    path: "/channels",
    operationId: "createChannel",
    summary: "Create an alert channel",
    tags: tag,
    request: { body: jsonBody(CreateChannel) },
    responses: withErrors({ 201: jsonResponse(ChannelView, "The new channel") }),
  }),
  list: createRoute({
    method: "get",
    path: "/channels",
    operationId: "listChannels",
    summary: "List alert channels",
    tags: tag,
    responses: withErrors({ 200: jsonResponse(z.object({ channels: z.array(ChannelView) }), "All channels") }),
  }),
  get: createRoute({
    method: "get",
    path: "/channels/{id}",
    operationId: "getChannel",
    summary: "Get an alert channel",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({ 200: jsonResponse(ChannelView, "The channel") }),
  }),
  update: createRoute({
    method: "patch",
    path: "/channels/{id}",
    operationId: "updateChannel",
    summary: "Update an alert channel",
    tags: tag,
    request: { params: ChannelParams, body: jsonBody(UpdateChannel) },
    responses: withErrors({ 200: jsonResponse(ChannelView, "The updated channel; a new config clears a broken mark") }),
  }),
  remove: createRoute({
    method: "delete",
    path: "/channels/{id}",
    operationId: "deleteChannel",
    summary: "Delete an alert channel",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({ 200: jsonResponse(ChannelView, "The deleted channel") }),
  }),
};

channelsApi.openapi(routes.create, async (c) => {
  const { url, config, ...body } = c.req.valid("json");
  const input = await channelInput(c, { ...body, config: { ...(url !== undefined ? { url } : {}), ...config } });
  const row = await createChannel(c.get("db"), c.env.LIFEBOAT_MASTER_KEY, input, Date.now());
  return c.json(await view(c, row), 201);
});

channelsApi.openapi(routes.list, async (c) => {
  const rows = await listChannels(c.get("db"));
  return c.json({ channels: await Promise.all(rows.map((row) => view(c, row))) }, 200);
});

channelsApi.openapi(routes.get, async (c) =>
  c.json(await view(c, await getChannel(c.get("db"), c.req.valid("param").id)), 200),
);

channelsApi.openapi(routes.update, async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.valid("param").id);
  const body = c.req.valid("json");
  const input = await channelUpdateInput(c, row, body);
  const updated = await updateChannel(db, c.env.LIFEBOAT_MASTER_KEY, row, input, body.config !== undefined, Date.now());
  return c.json(await view(c, updated), 200);
});

channelsApi.openapi(routes.remove, async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.valid("param").id);
  await deleteChannel(db, row);
  return c.json(await view(c, row), 200);
});

async function view(c: Context<AppEnv>, row: ChannelRow) {
  const masterKey = c.env.LIFEBOAT_MASTER_KEY;
  const config = await channelConfig(masterKey, row);
  return {
    uuid: row.uuid,
    kind: row.kind,
    name: row.name,
    target: row.target,
    config: publicConfig(row.kind, config),
    filter: { tags: row.filterTags, checks: row.filterChecks },
    repeat_every_s: row.repeatEveryS,
    status: row.status,
    broken_reason: row.brokenReason,
    broken_at: iso(row.brokenAt),
    // The signing secret lets its holder forge alerts receivers trust: the admin token only.
    ...(row.kind === "webhook" && seesCapabilities(c) ? { signing_secret: await channelSecret(masterKey, row) } : {}),
    created_at: iso(row.createdAt),
  };
}
