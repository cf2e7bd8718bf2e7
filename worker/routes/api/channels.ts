import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createRouter, seesCapabilities, validationFailed, type AppEnv } from "../../app";
import { CHANNEL_KINDS, type ChannelRow } from "../../db/schema";
import { kindOf, publicConfig, resendProblem } from "../../domain/alerts";
import { egressProblem } from "../../domain/egress";
import { allowsInsecureChannels } from "../../env";
import { AppError } from "../../errors";
import {
  channelConfig,
  channelSecret,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
  type ChannelInput,
} from "../../services/channels";
import { sendTest } from "../../services/alert-pipeline/send";
import { deliveryContext } from "../../services/alert-pipeline/dispatch";
import { listDeliveries } from "../../services/alert-pipeline/delivery-log";
import { Slug, Tag } from "./check-schemas";
import { DeliveryView } from "./delivery-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { deliveryView, iso } from "./views";

export const channelsApi = createRouter();

const tag = ["Channels"];

const Fields = z.object({
  kind: z.enum(CHANNEL_KINDS),
  name: z.string().trim().min(1).max(100),
  config: z.record(z.string(), z.unknown()).openapi({ description: "the kind's settings; see docs/CHANNELS.md" }),
  filter: z
    .object({ tags: z.array(Tag).max(20).default([]), checks: z.array(Slug).max(100).default([]) })
    .strict()
    .openapi({ description: "limit the channel to checks with one of these tags or slugs; empty: all checks" }),
  repeat_every_s: z
    .number()
    .int()
    .min(300)
    .max(7 * 86_400)
    .nullable()
    .openapi({
      description: "remind every N seconds while a check stays down (null: no reminders)",
    }),
});

/** Also the dashboard's channel forms (with UpdateChannel, channelInput and channelUpdateInput). */
export const CreateChannel = Fields.extend({
  url: z
    .string()
    .max(2000)
    .optional()
    .openapi({ description: 'shorthand for config.url ({"kind":"webhook","url":…})' }),
})
  .partial()
  .required({ kind: true })
  .strict()
  .openapi("CreateChannel");
export const UpdateChannel = Fields.omit({ kind: true }).partial().strict().openapi("UpdateChannel");

const ChannelView = z
  .object({
    uuid: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    name: z.string(),
    target: z.string().openapi({ description: "where it sends, without credentials" }),
    config: z.record(z.string(), z.unknown()).openapi({ description: "settings, credentials left out" }),
    filter: z.object({ tags: z.array(z.string()), checks: z.array(z.string()) }),
    repeat_every_s: z.number().nullable(),
    status: z.enum(["ok", "broken"]),
    broken_reason: z.string().nullable(),
    broken_at: z.string().nullable(),
    signing_secret: z.string().optional().openapi({
      description: "webhook only: verifies X-Lifeboat-Webhook-Signature; absent for the read-only token",
    }),
    created_at: z.string(),
  })
  .openapi("Channel");

const TestResult = z
  .object({ ok: z.boolean(), status: z.number().nullable(), error: z.string().nullable() })
  .openapi("ChannelTestResult");

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

channelsApi.openapi(routes.test, async (c) => {
  const row = await getChannel(c.get("db"), c.req.valid("param").id);
  const result = await sendTest(deliveryContext(c.env, c.get("baseUrl"), Date.now()), row);
  return c.json({ ok: result.ok, status: result.status, error: result.ok ? null : result.message }, 200);
});

channelsApi.openapi(routes.deliveries, async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.valid("param").id);
  const capable = seesCapabilities(c);
  const deliveries = (await listDeliveries(db, { channelId: row.id })).map((d) => deliveryView(d, capable));
  return c.json({ deliveries }, 200);
});

type Body = {
  kind: ChannelRow["kind"];
  name?: string;
  config: Record<string, unknown>;
  filter?: { tags: string[]; checks: string[] };
  repeat_every_s?: number | null;
};

/** An update laid over the stored channel, validated like a new one. */
export async function channelUpdateInput(
  c: Context<AppEnv>,
  row: ChannelRow,
  body: z.output<typeof UpdateChannel>,
): Promise<ChannelInput> {
  const current = await channelConfig(c.env.LIFEBOAT_MASTER_KEY, row);
  // Credentials are never shown back, so an update may leave them out to keep them, but only
  // while the channel keeps sending where it did: a stored credential never follows a new URL.
  const config = body.config ? { ...pick(current, secretFieldsOf(row.kind)), ...body.config } : current;
  const problem = resendProblem(row.kind, current, config, Object.keys(body.config ?? {}));
  if (problem) {
    const { fields, message } = problem;
    const details = fields.map((field) => ({ field: `config.${field}`, message }));
    throw new AppError("validation_failed", `invalid json: config.${fields[0]}: ${message}`, details);
  }
  return channelInput(c, {
    kind: row.kind,
    name: body.name ?? row.name,
    config,
    filter: body.filter ?? { tags: row.filterTags, checks: row.filterChecks },
    repeat_every_s: body.repeat_every_s !== undefined ? body.repeat_every_s : row.repeatEveryS,
  });
}

/** Validates the kind's config with the kind's own schema, and its URLs against the egress rules. */
export async function channelInput(c: Context<AppEnv>, body: Body): Promise<ChannelInput> {
  const kind = kindOf(body.kind);
  const parsed = kind.config.safeParse(body.config);
  if (!parsed.success) throw validationFailed("json", parsed.error, "config.");
  const config = parsed.data as Record<string, unknown>;
  for (const [field, value] of Object.entries(config)) {
    if (typeof value === "string" && /^https?:\/\//i.test(value)) {
      const problem = egressProblem(value, allowsInsecureChannels(c.env));
      if (problem)
        throw new AppError("validation_failed", `invalid json: config.${field}: ${problem}`, [
          { field: `config.${field}`, message: problem },
        ]);
    }
  }
  return {
    kind: body.kind,
    name: body.name ?? kind.describeTarget(config),
    config,
    target: kind.describeTarget(config),
    filterTags: body.filter?.tags ?? [],
    filterChecks: body.filter?.checks ?? [],
    repeatEveryS: body.repeat_every_s ?? null,
  };
}

const secretFieldsOf = (kind: ChannelRow["kind"]) => kindOf(kind).secretFields;

function pick(config: Record<string, unknown>, fields: readonly string[]) {
  return Object.fromEntries(Object.entries(config).filter(([field]) => fields.includes(field)));
}

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
