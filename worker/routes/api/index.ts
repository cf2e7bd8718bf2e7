import { createRouter } from "../../app";
import { backupsApi } from "./backups";
import { channelsApi } from "./channels";
import { checkBackupsApi } from "./check-backups";
import { checkResticApi } from "./check-restic";
import { checksApi } from "./checks";
import { keysApi } from "./keys";
import { maintenanceApi } from "./maintenance";
import { settingsApi } from "./settings";
import { registerResticOpenApi } from "../restic-openapi";

/** The admin API under /api/v1 (bearer auth is applied by the caller). */
export const adminApi = createRouter();
adminApi.route("/", checksApi);
adminApi.route("/", checkBackupsApi);
adminApi.route("/", checkResticApi);
adminApi.route("/", keysApi);
adminApi.route("/", channelsApi);
adminApi.route("/", maintenanceApi);
adminApi.route("/", backupsApi);
adminApi.route("/", settingsApi);

registerResticOpenApi(adminApi.openAPIRegistry);

adminApi.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_TOKEN (full access) or ADMIN_READ_TOKEN (GET only)",
});

export function openApiDocument(baseUrl: string) {
  return adminApi.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Lifeboat admin API",
      version: "1",
      description:
        "Checks, agent keys and alert channels, and the restic REST server (docs/RESTIC.md). Ping URLs and " +
        "signed agent endpoints are described in docs/API.md.",
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ AdminToken: [] }],
  });
}
