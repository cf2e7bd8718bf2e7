import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, seesCapabilities } from "../../app";
import { setQuota, storageTotals, usageByCheck } from "../../services/storage";
import { jsonBody, jsonResponse, withErrors } from "./openapi-helpers";

/** What the backups take in R2, per check and in total, and the quota that alerts before it is full. */
export const storageApi = createRouter();

const tag = ["Backups"];

const Storage = z
  .object({
    stored_bytes: z.number().openapi({ description: "bytes in R2 (each distinct part once)" }),
    quota_bytes: z.number().nullable(),
    used_fraction: z.number().nullable(),
    checks: z.array(
      z.object({
        uuid: z.string().optional().openapi({ description: "absent for the read-only token: it is a capability" }),
        unique_key: z.string(),
        slug: z.string(),
        name: z.string(),
        stored_bytes: z.number(),
        backup_bytes: z.number(),
        backups: z.number(),
      }),
    ),
  })
  .openapi("Storage");

const Quota = z
  .object({ bytes: z.number().int().min(1).nullable() })
  .strict()
  .openapi("Quota");

const routes = {
  storage: createRoute({
    method: "get",
    path: "/storage",
    operationId: "getStorage",
    summary: "Get storage totals and the quota",
    tags: tag,
    responses: withErrors({ 200: jsonResponse(Storage, "Storage used, in total and per check, against the quota") }),
  }),
  quota: createRoute({
    method: "put",
    path: "/storage/quota",
    operationId: "setStorageQuota",
    summary: "Set the storage quota",
    tags: tag,
    request: { body: jsonBody(Quota) },
    responses: withErrors({ 200: jsonResponse(Storage, "Storage with the new quota (alerts at 80 % and 95 %)") }),
  }),
};

storageApi.openapi(routes.storage, async (c) => c.json(await storageView(c.get("db"), seesCapabilities(c)), 200));

storageApi.openapi(routes.quota, async (c) => {
  const db = c.get("db");
  await setQuota(db, c.req.valid("json").bytes, Date.now());
  return c.json(await storageView(db, true), 200);
});

/** `capable`: the admin token; the read-only token sees each check's unique_key but not its uuid. */
async function storageView(db: Parameters<typeof storageTotals>[0], capable: boolean) {
  const [{ storedBytes, quotaBytes }, checks] = await Promise.all([storageTotals(db), usageByCheck(db)]);
  return {
    stored_bytes: storedBytes,
    quota_bytes: quotaBytes,
    used_fraction: quotaBytes ? storedBytes / quotaBytes : null,
    checks: checks.map(({ uuid, ...check }) => (capable ? { uuid, ...check } : check)),
  };
}
