import { createRouter } from "../../app";
import { compatDocs } from "../hc-api/openapi";
import { backupsApi } from "./backups";
import { channelDeliveriesApi } from "./channel-deliveries";
import { channelsApi } from "./channels";
import { checkActivityApi } from "./check-activity";
import { checkBackupsApi } from "./check-backups";
import { checkResticApi } from "./check-restic";
import { checksApi } from "./checks";
import { keysApi } from "./keys";
import { maintenanceApi } from "./maintenance";
import { settingsApi } from "./settings";
import { storageApi } from "./storage";
import { registerResticOpenApi } from "../restic-openapi";

/** The admin API under /api/v1 (bearer auth is applied by the caller). */
export const adminApi = createRouter();
adminApi.route("/", checksApi);
adminApi.route("/", checkActivityApi);
adminApi.route("/", checkBackupsApi);
adminApi.route("/", checkResticApi);
adminApi.route("/", keysApi);
adminApi.route("/", channelsApi);
adminApi.route("/", channelDeliveriesApi);
adminApi.route("/", maintenanceApi);
adminApi.route("/", backupsApi);
adminApi.route("/", storageApi);
adminApi.route("/", settingsApi);

registerResticOpenApi(adminApi.openAPIRegistry);

adminApi.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_TOKEN (full access) or ADMIN_READ_TOKEN (GET only)",
});

/**
 * Lifeboat's admin API (server: /api/v1), with the healthchecks-compatible API and Kuma's push URL
 * beside it: their paths are absolute, so each of their path items names the bare origin as its
 * server (path-level `servers`), and no path collides with an admin one.
 */
export function openApiDocument(baseUrl: string) {
  const doc = adminDocument(baseUrl);
  const compat = compatDocs.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "compat", version: "1" } });
  for (const [path, item] of Object.entries(compat.paths ?? {})) {
    doc.paths = { ...doc.paths, [path]: { ...item, servers: [{ url: baseUrl }] } };
  }
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, ...compat.components?.schemas },
    securitySchemes: { ...doc.components?.securitySchemes, ...compat.components?.securitySchemes },
  };
  return doc;
}

function adminDocument(baseUrl: string) {
  return adminApi.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Lifeboat admin API",
      version: "1",
      description:
        "Checks, agent keys and alert channels, and the restic REST server (docs/RESTIC.md). Ping URLs and " +
        "signed agent endpoints are described in docs/API.md. " +
        "The healthchecks-compatible Management API (v3 shown; v1 and v2 alike) and Uptime Kuma's push URL are here too, " +
        "each path item with the bare origin as its server (docs/COMPATIBILITY.md).",
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ AdminToken: [] }],
  });
}
