import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import { AppError } from "../../errors";
import { findBackup, listBackups } from "../../services/backups";
import { findCheckById, getCheck } from "../../services/checks";
import { tombstoneBackup, undeleteBackup } from "../../services/retention";
import { contentResponse } from "../../services/parts";
import { BackupParams, BackupView, ListQuery } from "./backup-schemas";
import { ErrorSchema, jsonResponse, withErrors } from "./openapi-helpers";
import { backupView, iso } from "./views";

/** Backups as the admin sees them: list, read, download, delete and undelete. Storage totals: storage.ts. */
export const backupsApi = createRouter();

const tag = ["Backups"];

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
    request: { params: BackupParams },
    responses: withErrors({ 200: jsonResponse(BackupView, "The backup's metadata") }),
  }),
  content: createRoute({
    method: "get",
    path: "/backups/{id}/content",
    operationId: "downloadBackup",
    summary: "Download a backup's bytes (Range supported)",
    tags: tag,
    request: { params: BackupParams },
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
    request: { params: BackupParams },
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
    request: { params: BackupParams },
    responses: withErrors({ 200: jsonResponse(BackupView, "The backup, back as it was") }),
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
