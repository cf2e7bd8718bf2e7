import { z } from "@hono/zod-openapi";
import { BACKUP_SOURCES, BACKUP_STATUSES } from "../../db/schema";
import { idParams } from "./openapi-helpers";

export const BackupView = z
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

export const ListQuery = z.object({
  check: z.string().min(1).max(64).optional().openapi({ description: "uuid, slug or unique_key" }),
  status: z.enum(BACKUP_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.iso.datetime({ offset: true }).optional().openapi({ description: "received before this time (paging)" }),
});

export const BackupParams = idParams(z.string().regex(/^bk_[0-9a-f]{20}$/, "not a backup id"));
