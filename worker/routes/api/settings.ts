import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import { readPageSettings, writePageSettings } from "../../services/status-settings";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";

/** Server-wide settings: for now the public status page's title and introduction. */
export const settingsApi = createRouter();

const StatusPageSettings = z
  .object({
    title: z.string().trim().min(1).max(100).openapi({ example: "Acme status" }),
    description: z
      .string()
      .trim()
      .max(500)
      .openapi({ description: "a line under the title; empty for none", example: "Backups and jobs of acme.example" }),
  })
  .openapi("StatusPageSettings");

const UpdateStatusPageSettings = StatusPageSettings.partial().strict().openapi("UpdateStatusPageSettings");

const tags = ["Settings"];

settingsApi.openapi(
  createRoute({
    method: "get",
    path: "/settings/status-page",
    operationId: "getStatusPageSettings",
    summary: "Get the status page settings",
    tags,
    responses: withErrors({
      200: jsonResponse(StatusPageSettings, "The status page's settings (the title falls back to STATUS_PAGE_TITLE)"),
    }),
  }),
  async (c) => c.json(await readPageSettings(c.get("db"), c.env.STATUS_PAGE_TITLE), 200),
);

settingsApi.openapi(
  createRoute({
    method: "put",
    path: "/settings/status-page",
    operationId: "setStatusPageSettings",
    summary: "Set the status page settings",
    tags,
    request: { body: jsonBody(UpdateStatusPageSettings) },
    responses: withErrors({
      200: jsonResponse(StatusPageSettings, "The settings now in force (the page follows within its cache time)"),
    }),
  }),
  async (c) => {
    const db = c.get("db");
    const next = { ...(await readPageSettings(db, c.env.STATUS_PAGE_TITLE)), ...c.req.valid("json") };
    await writePageSettings(db, next, Date.now());
    return c.json(next, 200);
  },
);
