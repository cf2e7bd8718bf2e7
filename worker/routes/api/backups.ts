import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, seesCapabilities } from "../../app";
import { BACKUP_SOURCES, BACKUP_STATUSES } from "../../db/schema";
import { AppError } from "../../errors";
import { findBackup, listBackups } from "../../services/backups";
import { findCheckById, getCheck } from "../../services/checks";
import { tombstoneBackup, undeleteBackup } from "../../services/retention";
import { contentResponse } from "../../services/parts";
import { setQuota, storageTotals, usageByCheck } from "../../services/storage";
import { ErrorSchema, jsonBody, jsonResponse, withErrors } from "./openapi-helpers";
import { backupView, iso } from "./views";

export const backupsApi = createRouter();

const tag = ["Backups"];

const BackupView = z
  .object({
    id: z.string(),
    status: z.enum(BACKUP_STATUSES),
    size: z.number(),
    sha256: z.string(),
    part_size: z.number(),
    parts: z.number(),
    compression: z.string(),
    encryption: z.string(),
    source: z.enum(BACKUP_SOURCES),
    host: z.string(),
    meta: z.record(z.string(), z.unknown()),
    key_id: z.string().nullable(),
    received_at: z.string().openapi({ description: "server time: the only time retention trusts" }),
    immutable_until: z.string().openapi({
      description:
        "nothing deletes or tombstones the backup, or a part it uses, before this time: received_at plus the check's min_age_days when it was received (docs/RETENTION.md)",
    }),
    completed_at: z.string().nullable(),
    anomaly: z.string().nullable().openapi({ description: "why a suspicious backup is suspicious, in words" }),
    failure_log: z.string().nullable(),
    new_bytes: z.number().openapi({ description: "bytes this backup added (parts not already stored)" }),
    tombstoned_at: z.string().nullable(),
    purge_after: z.string().nullable().openapi({ description: "a tombstoned backup is purged then; undelete before" }),
    signature: z.object({ statement: z.string(), value: z.string(), public_key: z.string() }).nullable().openapi({
      description:
        "the host's Ed25519 signature over a statement of what it backed up (docs/BACKUPS.md); null from older agents",
    }),
  })
  .openapi("Backup");

const ListQuery = z.object({
  check: z.string().min(1).max(64).optional().openapi({ description: "uuid, slug or unique_key" }),
  status: z.enum(BACKUP_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.iso.datetime({ offset: true }).optional().openapi({ description: "received before this time (paging)" }),
});

const Params = z.object({
  id: z
    .string()
    .regex(/^bk_[0-9a-f]{20}$/, "not a backup id")
    .openapi({ param: { name: "id", in: "path" } }),
});

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
  list: createRoute({
    method: "get",
    path: "/backups",
    operationId: "listBackups",
    summary: "List backups",
    tags: tag,
    request: { query: ListQuery },
    responses: withErrors({
      200: jsonResponse(
        z.object({ backups: z.array(BackupView), next_before: z.string().nullable() }),
        "Backups, newest first",
      ),
    }),
  }),
  get: createRoute({
    method: "get",
    path: "/backups/{id}",
    operationId: "getBackup",
    summary: "Get a backup's metadata",
    tags: tag,
    request: { params: Params },
    responses: withErrors({ 200: jsonResponse(BackupView, "The backup's metadata") }),
  }),
  content: createRoute({
    method: "get",
    path: "/backups/{id}/content",
    operationId: "downloadBackup",
    summary: "Download a backup's bytes (Range supported)",
    tags: tag,
    request: { params: Params },
    responses: withErrors({
      200: {
        description: "The artifact, streamed (Range supported: 206)",
        content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
      },
      206: {
        description: "The requested byte range (Content-Range says which)",
        content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
      },
      416: jsonResponse(ErrorSchema, "The Range lies outside the backup (Content-Range: bytes */size)"),
    }),
  }),
  remove: createRoute({
    method: "delete",
    path: "/backups/{id}",
    operationId: "deleteBackup",
    summary: "Delete a backup (tombstone, then purge)",
    tags: tag,
    request: { params: Params },
    responses: withErrors({
      200: jsonResponse(
        BackupView,
        "Tombstoned: restorable with undelete until purge_after; refused inside the immutability window",
      ),
    }),
  }),
  undelete: createRoute({
    method: "post",
    path: "/backups/{id}/undelete",
    operationId: "undeleteBackup",
    summary: "Undelete a tombstoned backup",
    tags: tag,
    request: { params: Params },
    responses: withErrors({ 200: jsonResponse(BackupView, "The backup, back as it was") }),
  }),
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

backupsApi.openapi(routes.list, async (c) => {
  const db = c.get("db");
  const q = c.req.valid("query");
  const checkId = q.check ? (await getCheck(db, q.check)).id : undefined;
  const rows = await listBackups(db, {
    tombstoned: true,
    checkId,
    status: q.status,
    before: q.before ? Date.parse(q.before) : undefined,
    limit: q.limit,
  });
  const nextBefore = rows.length === q.limit ? iso(rows[rows.length - 1]!.receivedAt) : null;
  return c.json({ backups: rows.map(backupView), next_before: nextBefore }, 200);
});

backupsApi.openapi(routes.get, async (c) =>
  c.json(backupView(await findBackup(c.get("db"), c.req.valid("param").id, { tombstoned: true })), 200),
);

backupsApi.openapi(routes.content, async (c) => {
  const backup = await findBackup(c.get("db"), c.req.valid("param").id, { tombstoned: true });
  return contentResponse(c.get("db"), c.env.BUCKET, backup, c.req.header("Range")) as never;
});

backupsApi.openapi(routes.remove, async (c) => {
  const db = c.get("db");
  const backup = await findBackup(db, c.req.valid("param").id, { tombstoned: true });
  const check = await findCheckById(db, backup.checkId);
  if (!check) throw new AppError("not_found", "backup not found");
  return c.json(backupView(await tombstoneBackup(db, check, backup, Date.now())), 200);
});

backupsApi.openapi(routes.undelete, async (c) => {
  const db = c.get("db");
  return c.json(
    backupView(await undeleteBackup(db, await findBackup(db, c.req.valid("param").id, { tombstoned: true }))),
    200,
  );
});

backupsApi.openapi(routes.storage, async (c) => c.json(await storageView(c.get("db"), seesCapabilities(c)), 200));

backupsApi.openapi(routes.quota, async (c) => {
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
