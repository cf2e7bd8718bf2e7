import { sql } from "drizzle-orm";
import type { ChannelRow } from "../../db/schema";
import { listChannels } from "../../services/channels";
import { listChecks } from "../../services/checks";
import { badgeUrls } from "../api/check-view";
import { authorize, hcRouter, methodNotAllowed } from "./app";
import { hcChecks } from "./checks";
import { hcHistory } from "./history";

/**
 * healthchecks' Management API v1/v2/v3 (docs/COMPATIBILITY.md) under /api/v1|v2|v3/, for the
 * requests index.ts hands over (auth.ts `isHealthchecksRequest`).
 */
export const hcApi = hcRouter();
hcApi.route("/", hcChecks);
hcApi.route("/", hcHistory);

/** healthchecks' integration kinds where they differ from Lifeboat's names. */
const HC_KIND: Partial<Record<ChannelRow["kind"], string>> = { pagerduty: "pd" };

hcApi.get("/api/:version/channels", async (c) => {
  await authorize(c, "read-write");
  const rows = await listChannels(c.get("db"));
  return c.json({
    channels: rows.map((row) => ({ id: row.uuid, name: row.name, kind: HC_KIND[row.kind] ?? row.kind })),
  });
});

/**
 * Lifeboat has no per-tag or project badges, only per-check ones: each check's state badge is
 * listed under its slug, in healthchecks' six formats (the JSON ones are shields.io endpoint JSON).
 */
hcApi.get("/api/:version/badges", async (c) => {
  await authorize(c, "read-only");
  const rows = await listChecks(c.get("db"), { limit: 1000 });
  const badges = Object.fromEntries(
    rows.map((row) => {
      const urls = badgeUrls(c.get("baseUrl"), row.badgeKey ?? "");
      const [svg, json] = [urls.state_svg, urls.state_json];
      return [row.slug, { svg, svg3: svg, json, json3: json, shields: json, shields3: json }];
    }),
  );
  return c.json({ badges });
});

/** healthchecks' status: no key, "OK" once the database answers. */
hcApi.get("/api/:version/status", async (c) => {
  await c.get("db").run(sql`SELECT 1`);
  return c.text("OK");
});

for (const path of ["/api/:version/channels", "/api/:version/badges", "/api/:version/status"]) {
  hcApi.all(path, () => {
    throw methodNotAllowed();
  });
}
