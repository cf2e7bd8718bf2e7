import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import { createKey, listKeys, revokeKey, SCOPES, type NewKey } from "../../services/keys";
import { Slug } from "./check-schemas";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { keyView } from "./views";

export const keysApi = createRouter();

const tag = ["Agent keys"];

/** Also the dashboard's key form. */
export const CreateKey = z
  .object({
    host: z.string().trim().min(1).max(100).openapi({ example: "app-vps-1" }),
    checks: z
      .union([z.literal("*"), z.array(Slug).min(1).max(100)])
      .openapi({ description: 'slugs this key may touch, or "*" for all' }),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .default(["ping"])
      .openapi({
        description:
          "ping, upload, read: the agent; restic: the restic REST server for its checks' repositories " +
          "(append-only); prune: with restic, may also delete files whose immutability window ended",
      }),
  })
  .strict()
  .refine((key) => !key.scopes.includes("prune") || key.scopes.includes("restic"), {
    path: ["scopes"],
    message: 'the "prune" scope only works together with "restic"',
  })
  .openapi("CreateKey");

const KeyView = z
  .object({
    key_id: z.string(),
    host: z.string(),
    checks: z.array(z.string()),
    scopes: z.array(z.string()),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
  })
  .openapi("AgentKey");

const NewKeyView = KeyView.extend({
  secret: z.string().openapi({ description: "shown once; never stored" }),
  restic_repository: z.string().nullable().openapi({
    description: "restic keys: the repository for `restic -r`, with <secret> in place of the secret",
    example: "rest:https://lbk_0123456789abcdef0123:<secret>@lifeboat.example.com/restic/nightly-files/",
  }),
  install: z
    .string()
    .openapi({ description: "the agent install one-liner for this key (asks for the secret on the terminal)" }),
}).openapi("NewAgentKey");

const KeyParams = z.object({
  key_id: z
    .string()
    .regex(/^lbk_[0-9a-f]{20}$/, "not a key id")
    .openapi({ param: { name: "key_id", in: "path" } }),
});

const routes = {
  create: createRoute({
    method: "post",
    path: "/keys",
    operationId: "createKey",
    summary: "Create an agent key",
    tags: tag,
    request: { body: jsonBody(CreateKey) },
    responses: withErrors({ 201: jsonResponse(NewKeyView, "The key and its secret, shown this once") }),
  }),
  list: createRoute({
    method: "get",
    path: "/keys",
    operationId: "listKeys",
    summary: "List agent keys",
    tags: tag,
    responses: withErrors({ 200: jsonResponse(z.object({ keys: z.array(KeyView) }), "All keys, newest first") }),
  }),
  revoke: createRoute({
    method: "delete",
    path: "/keys/{key_id}",
    operationId: "revokeKey",
    summary: "Revoke an agent key",
    tags: tag,
    request: { params: KeyParams },
    responses: withErrors({ 200: jsonResponse(KeyView, "The revoked key") }),
  }),
};

keysApi.openapi(routes.create, async (c) => {
  const body = c.req.valid("json");
  const { key, secret } = await createKey(c.get("db"), c.env.LIFEBOAT_MASTER_KEY, newKeyInput(body), Date.now());
  const baseUrl = c.get("baseUrl");
  const restic_repository = resticRepositoryOf(baseUrl, key);
  return c.json({ ...keyView(key), secret, install: installCommand(baseUrl, key.id), restic_repository }, 201);
});

export function newKeyInput(body: z.output<typeof CreateKey>): NewKey {
  const checks = body.checks === "*" ? ["*"] : [...new Set(body.checks)];
  return { host: body.host, checks, scopes: [...new Set(body.scopes)] };
}

/** The agent install one-liner for a key (it asks for the secret on the terminal). */
export const installCommand = (baseUrl: string, keyId: string) =>
  `curl -fsSL ${baseUrl}/install.sh | LIFEBOAT_KEY_ID=${keyId} sh`;

/**
 * The `restic -r` repository of a restic key (its first check; `<slug>` for a key of every check),
 * with the secret as a placeholder: the secret is shown beside it once and never put into URLs we print.
 */
export function resticRepositoryOf(baseUrl: string, key: { id: string; scopes: string[]; checks: string[] }) {
  if (!key.scopes.includes("restic")) return null;
  const slug = key.checks[0] === "*" || key.checks[0] === undefined ? "<slug>" : key.checks[0];
  const url = new URL(baseUrl);
  return `rest:${url.protocol}//${key.id}:<secret>@${url.host}${url.pathname.replace(/\/$/, "")}/restic/${slug}/`;
}

keysApi.openapi(routes.list, async (c) => c.json({ keys: (await listKeys(c.get("db"))).map(keyView) }, 200));

keysApi.openapi(routes.revoke, async (c) => {
  return c.json(keyView(await revokeKey(c.get("db"), c.req.valid("param").key_id, Date.now())), 200);
});
