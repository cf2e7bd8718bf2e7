import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { RESTIC_TYPES } from "../db/schema";
import { MEDIA_V1, MEDIA_V2 } from "../domain/restic";
import { ErrorSchema } from "./api/openapi-helpers";
import { Hex64 } from "./restic";

type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];
type RouteConfig = Parameters<OpenAPIRegistry["registerPath"]>[0];

/**
 * The restic REST server in the OpenAPI document, for reference: restic itself needs none of it.
 * Its operations live outside /api/v1, so each names the server root ("/", relative to the
 * document) and the HTTP Basic scheme of agent keys.
 */
export function registerResticOpenApi(registry: OpenAPIRegistry) {
  registry.registerComponent("securitySchemes", "ResticKey", {
    type: "http",
    scheme: "basic",
    description: "an agent key with the restic scope: its key id as the user, its secret as the password",
  });
  const repo = z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/)
    .openapi({ param: { name: "repo", in: "path" }, description: "the slug of a check of kind restic" });
  const type = z
    .enum(RESTIC_TYPES)
    .exclude(["config"])
    .openapi({ param: { name: "type", in: "path" } });
  const name = Hex64.openapi({ param: { name: "name", in: "path" }, description: "the sha256 of the content" });
  const common = { tags: ["restic"], servers: [{ url: "/" }], security: [{ ResticKey: [] }] };
  const error = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });
  const refusals = {
    401: error("Missing or wrong key id or secret (with a Basic challenge)"),
    403: error("The key lacks the restic scope; append-only; immutable until a date; or the file exists"),
    404: error("No such repository for this key, or no such file"),
  };
  const binary = { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } };
  const file = { params: z.object({ repo, type, name }) };
  const upload = {
    ...refusals,
    200: { description: "Stored" },
    400: error("The content is not what the name says (sha256): nothing stored"),
    411: error("No Content-Length"),
    413: error("Larger than a Worker accepts: use restic's --pack-size 64 or less"),
    507: error("Over the repository's quota_bytes"),
  };
  const paths: Omit<RouteConfig, keyof typeof common>[] = [
    {
      method: "post",
      path: "/restic/{repo}/",
      operationId: "resticCreateRepository",
      summary: "restic init: create the repository (?create=true)",
      request: { params: z.object({ repo }), query: z.object({ create: z.literal("true") }) },
      responses: { ...refusals, 200: { description: "Created, or already there" } },
    },
    {
      method: "get",
      path: "/restic/{repo}/config",
      operationId: "resticGetConfig",
      summary: "The repository's config",
      request: { params: z.object({ repo }) },
      responses: { ...refusals, 200: { description: "The config", content: binary } },
    },
    {
      method: "post",
      path: "/restic/{repo}/config",
      operationId: "resticSaveConfig",
      summary: "Store the config (once: never overwritten)",
      request: { params: z.object({ repo }), body: { content: binary } },
      responses: upload,
    },
    {
      method: "get",
      path: "/restic/{repo}/{type}/",
      operationId: "resticListFiles",
      summary: "List the files of a type: v1 (names) or, with Accept v2, names and sizes",
      request: { params: z.object({ repo, type }) },
      responses: {
        ...refusals,
        200: {
          description: "The listing",
          content: {
            [MEDIA_V1]: { schema: z.array(z.string()) },
            [MEDIA_V2]: { schema: z.array(z.object({ name: z.string(), size: z.number() })) },
          },
        },
      },
    },
    {
      method: "head",
      path: "/restic/{repo}/{type}/{name}",
      operationId: "resticFileSize",
      summary: "A file's size (Content-Length)",
      request: file,
      responses: { ...refusals, 200: { description: "Present; Content-Length is its size" } },
    },
    {
      method: "get",
      path: "/restic/{repo}/{type}/{name}",
      operationId: "resticGetFile",
      summary: "A file, or the Range asked for (206)",
      request: file,
      responses: {
        ...refusals,
        200: { description: "The file", content: binary },
        206: { description: "The range", content: binary },
      },
    },
    {
      method: "post",
      path: "/restic/{repo}/{type}/{name}",
      operationId: "resticSaveFile",
      summary: "Store a file under the sha256 of its content, verified by R2",
      request: { ...file, body: { content: binary } },
      responses: upload,
    },
    {
      method: "delete",
      path: "/restic/{repo}/{type}/{name}",
      operationId: "resticDeleteFile",
      summary: "Delete a file: locks with any restic key; others with prune, past their window",
      request: file,
      responses: { ...refusals, 200: { description: "Deleted (or already gone)" } },
    },
  ];
  for (const path of paths) registry.registerPath({ ...common, ...path });
}
