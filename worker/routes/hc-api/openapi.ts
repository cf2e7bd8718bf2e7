import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ErrorSchema, jsonResponse } from "../api/openapi-helpers";
import { HcSpec } from "./spec";

/**
 * The healthchecks-compatible Management API (v3 shown; v1 and v2 answer the same paths under
 * /api/v1/ and /api/v2/) and the Uptime Kuma push URL, for the OpenAPI document. Documentation
 * only: the handlers (index.ts, checks.ts, history.ts, ../push.ts) validate with the same schemas.
 */
export const compatDocs = new OpenAPIHono();
const registry = compatDocs.openAPIRegistry;

registry.registerComponent("securitySchemes", "HealthchecksApiKey", {
  type: "apiKey",
  in: "header",
  name: "X-Api-Key",
  description: "HC_API_KEY or ADMIN_TOKEN (read-write); HC_API_KEY_READONLY or ADMIN_READ_TOKEN (read-only)",
});

const HcError = z.object({ error: z.string().openapi({ example: "wrong api key" }) }).openapi("HealthchecksError");
const HcCheck = z
  .object({
    name: z.string(),
    slug: z.string(),
    tags: z.string(),
    desc: z.string(),
    grace: z.number(),
    n_pings: z.number(),
    status: z.enum(["new", "up", "grace", "down", "paused", "started"]),
    started: z.boolean(),
    last_ping: z.string().nullable(),
    next_ping: z.string().nullable(),
    manual_resume: z.boolean(),
    methods: z.enum(["", "POST"]),
    subject: z.string(),
    subject_fail: z.string(),
    start_kw: z.string(),
    success_kw: z.string(),
    failure_kw: z.string(),
    filter_subject: z.boolean(),
    filter_body: z.boolean(),
    filter_http_body: z.boolean(),
    filter_default_fail: z.boolean(),
    badge_url: z.string(),
    last_duration: z.number().optional(),
    uuid: z.string().optional().openapi({ description: "read-write keys only" }),
    ping_url: z.string().optional(),
    update_url: z.string().optional().openapi({ description: "ends in the check's uuid" }),
    pause_url: z.string().optional(),
    resume_url: z.string().optional(),
    channels: z.string().optional(),
    unique_key: z.string().optional().openapi({ description: "read-only keys only: names the check without its uuid" }),
    timeout: z.number().optional(),
    schedule: z.string().optional(),
    tz: z.string().optional(),
  })
  .openapi("HealthchecksCheck");

const security = [{ HealthchecksApiKey: [] }];
const err = (description: string) => jsonResponse(HcError, description);
const common = {
  400: err("Invalid input, in healthchecks' words (json validation error: …)"),
  401: err("missing api key / wrong api key (a read-only key on a read-write endpoint too)"),
  404: err("No such check"),
  405: err("Method not allowed on this path"),
  413: err("Request body over 64 KiB"),
  500: err("An internal error"),
};
const Id = z.object({
  uuid: z
    .string()
    .openapi({ param: { name: "uuid", in: "path" }, description: "check uuid (or unique_key where noted)" }),
});
const checkOps = {
  list: ["get", "/api/v3/checks/", "hcListChecks", "List checks (?slug=, repeated ?tag=)"],
  create: ["post", "/api/v3/checks/", "hcCreateCheck", "Create a check, or update the one `unique` finds"],
  get: ["get", "/api/v3/checks/{uuid}", "hcGetCheck", "Get a check by uuid or unique_key"],
  update: ["post", "/api/v3/checks/{uuid}", "hcUpdateCheck", "Update a check"],
  remove: ["delete", "/api/v3/checks/{uuid}", "hcDeleteCheck", "Delete a check"],
  pause: ["post", "/api/v3/checks/{uuid}/pause", "hcPauseCheck", "Pause a check"],
  resume: ["post", "/api/v3/checks/{uuid}/resume", "hcResumeCheck", "Resume a paused check"],
} as const;

for (const [key, [method, path, operationId, summary]] of Object.entries(checkOps)) {
  const withBody = key === "create" || key === "update";
  registry.registerPath({
    method,
    path,
    operationId,
    summary,
    tags: ["healthchecks API"],
    security,
    request: {
      ...(path.includes("{uuid}") ? { params: Id } : {}),
      ...(withBody ? { body: { content: { "application/json": { schema: HcSpec } } } } : {}),
      ...(key === "list"
        ? { query: z.object({ slug: z.string().optional(), tag: z.array(z.string()).optional() }) }
        : {}),
    },
    responses: {
      200: jsonResponse(key === "list" ? z.object({ checks: z.array(HcCheck) }) : HcCheck, summary),
      ...(key === "create" ? { 201: jsonResponse(HcCheck, "The new check") } : {}),
      ...(key === "resume" || key === "create" || key === "update" || key === "remove"
        ? { 409: err("check is not paused / a taken slug / the check still has backups") }
        : {}),
      ...common,
    },
  });
}

registry.registerPath({
  method: "get",
  path: "/api/v3/checks/{uuid}/pings/",
  operationId: "hcListPings",
  summary: "List a check's pings",
  tags: ["healthchecks API"],
  security,
  request: { params: Id },
  responses: {
    200: jsonResponse(z.object({ pings: z.array(z.record(z.string(), z.unknown())) }), "Pings, newest first"),
    ...common,
  },
});
registry.registerPath({
  method: "get",
  path: "/api/v3/checks/{uuid}/pings/{n}/body",
  operationId: "hcGetPingBody",
  summary: "Get a ping's body",
  tags: ["healthchecks API"],
  security,
  request: { params: Id.extend({ n: z.string().openapi({ param: { name: "n", in: "path" } }) }) },
  responses: { 200: { description: "The body", content: { "text/plain": { schema: z.string() } } }, ...common },
});
registry.registerPath({
  method: "get",
  path: "/api/v3/checks/{uuid}/flips/",
  operationId: "hcListFlips",
  summary: "List a check's status changes (uuid or unique_key)",
  tags: ["healthchecks API"],
  security,
  request: {
    params: Id,
    query: z.object({
      seconds: z.number().int().optional(),
      start: z.number().int().optional(),
      end: z.number().int().optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ flips: z.array(z.object({ timestamp: z.string(), up: z.number() })) }), "Flips"),
    ...common,
  },
});
for (const [path, operationId, summary, schema] of [
  [
    "/api/v3/channels/",
    "hcListChannels",
    "List integrations",
    z.object({ channels: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })) }),
  ],
  [
    "/api/v3/badges/",
    "hcListBadges",
    "List badges (per check, under its slug)",
    z.object({ badges: z.record(z.string(), z.record(z.string(), z.string())) }),
  ],
] as const) {
  registry.registerPath({
    method: "get",
    path,
    operationId,
    summary,
    tags: ["healthchecks API"],
    security,
    responses: { 200: jsonResponse(schema, summary), ...common },
  });
}
registry.registerPath({
  method: "get",
  path: "/api/v3/status/",
  operationId: "hcStatus",
  summary: "Check database connectivity (no key)",
  tags: ["healthchecks API"],
  security: [],
  responses: {
    200: { description: "OK", content: { "text/plain": { schema: z.string() } } },
    405: common[405],
    500: common[500],
  },
});

const KumaAnswer = z.object({ ok: z.boolean(), msg: z.string().optional() }).openapi("KumaPushAnswer");
for (const method of ["get", "post"] as const) {
  registry.registerPath({
    method,
    path: "/api/push/{token}",
    operationId: method === "get" ? "kumaPush" : "kumaPushPost",
    summary: "Uptime Kuma push: up or down, with a message and a duration",
    tags: ["Uptime Kuma"],
    security: [],
    request: {
      params: z.object({
        token: z.string().openapi({ param: { name: "token", in: "path" }, description: "push_token or uuid" }),
      }),
      query: z.object({
        status: z.string().optional().openapi({ description: '"up" (default); anything else is down' }),
        msg: z.string().optional().openapi({ description: 'kept as the ping body (default "OK")' }),
        ping: z.string().optional().openapi({ description: "duration in ms" }),
      }),
    },
    responses: {
      200: jsonResponse(KumaAnswer, '{"ok":true}'),
      404: jsonResponse(KumaAnswer, '{"ok":false,"msg":…}: unknown or paused check, invalid ping'),
      500: jsonResponse(ErrorSchema, "An internal error"),
    },
  });
}
