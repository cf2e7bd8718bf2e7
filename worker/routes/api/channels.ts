import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import type { ChannelRow } from "../../db/schema";
import { channelSecret, createChannel, deleteChannel, getChannel, listChannels } from "../../services/channels";
import { AppError } from "../../errors";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";

export const channelsApi = createRouter();

const tag = ["Channels"];

/** Receivers must be https; plain http and loopback only where ALLOW_INSECURE_CHANNELS is set. */
export function receiverUrlProblem(raw: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && allowInsecure) return null;
  return allowInsecure
    ? "use an http(s) URL"
    : "use an https:// URL (http is allowed only with ALLOW_INSECURE_CHANNELS in development)";
}

const CreateChannel = z
  .object({
    kind: z.literal("webhook"),
    name: z.string().trim().min(1).max(100).optional(),
    url: z.string().max(2000).openapi({ example: "https://example.com/hooks/lifeboat" }),
  })
  .strict()
  .openapi("CreateChannel");

const ChannelView = z
  .object({
    uuid: z.string(),
    kind: z.string(),
    name: z.string(),
    url: z.string(),
    signing_secret: z.string().openapi({ description: "verifies X-Lifeboat-Webhook-Signature (docs/WEBHOOKS.md)" }),
    created_at: z.string(),
  })
  .openapi("Channel");

const ChannelParams = z.object({
  id: z
    .string()
    .uuid("not a channel id")
    .openapi({ param: { name: "id", in: "path" } }),
});

const routes = {
  create: createRoute({
    method: "post",
    path: "/channels",
    tags: tag,
    request: { body: jsonBody(CreateChannel) },
    responses: withErrors({ 201: jsonResponse(ChannelView, "The new channel") }),
  }),
  list: createRoute({
    method: "get",
    path: "/channels",
    tags: tag,
    responses: withErrors({ 200: jsonResponse(z.object({ channels: z.array(ChannelView) }), "All channels") }),
  }),
  get: createRoute({
    method: "get",
    path: "/channels/{id}",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({ 200: jsonResponse(ChannelView, "The channel") }),
  }),
  remove: createRoute({
    method: "delete",
    path: "/channels/{id}",
    tags: tag,
    request: { params: ChannelParams },
    responses: withErrors({ 200: jsonResponse(ChannelView, "The deleted channel") }),
  }),
};

async function view(masterKey: string, row: ChannelRow) {
  return {
    uuid: row.uuid,
    kind: row.kind,
    name: row.name,
    url: row.config.url,
    signing_secret: await channelSecret(masterKey, row),
    created_at: new Date(row.createdAt).toISOString(),
  };
}

channelsApi.openapi(routes.create, async (c) => {
  const body = c.req.valid("json");
  const problem = receiverUrlProblem(body.url, c.env.ALLOW_INSECURE_CHANNELS === "true");
  if (problem)
    throw new AppError("validation_failed", `invalid json: url: ${problem}`, [{ field: "url", message: problem }]);
  const row = await createChannel(
    c.get("db"),
    { kind: body.kind, name: body.name ?? new URL(body.url).host, url: body.url },
    Date.now(),
  );
  return c.json(await view(c.env.LIFEBOAT_MASTER_KEY, row), 201);
});

channelsApi.openapi(routes.list, async (c) => {
  const rows = await listChannels(c.get("db"));
  return c.json({ channels: await Promise.all(rows.map((row) => view(c.env.LIFEBOAT_MASTER_KEY, row))) }, 200);
});

channelsApi.openapi(routes.get, async (c) => {
  return c.json(await view(c.env.LIFEBOAT_MASTER_KEY, await getChannel(c.get("db"), c.req.valid("param").id)), 200);
});

channelsApi.openapi(routes.remove, async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.valid("param").id);
  await deleteChannel(db, row);
  return c.json(await view(c.env.LIFEBOAT_MASTER_KEY, row), 200);
});
