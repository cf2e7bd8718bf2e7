import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../app";
import { AppError } from "../../errors";
import { getCheck } from "../../services/checks";
import { filesByType, latestSnapshots, repositoryStats } from "../../services/restic-repos";
import { CheckParams } from "./check-schemas";
import { jsonResponse, withErrors } from "./openapi-helpers";
import { iso } from "./views";

/** A restic check's repository: sizes, files per type and the newest snapshots (docs/RESTIC.md). */
export const checkResticApi = createRouter();

const ResticRepositoryView = z
  .object({
    stored_bytes: z.number().openapi({ description: "bytes of the files restic can see" }),
    received_bytes: z.number().openapi({ description: "every byte ever accepted into the repository" }),
    quota_bytes: z.number().nullable(),
    files: z.number(),
    types: z.array(z.object({ type: z.string(), files: z.number(), bytes: z.number() })),
    snapshots: z.number(),
    last_snapshot_at: z.string().nullable(),
    initialized_at: z.string().nullable().openapi({ description: "when restic init (or the first upload) came" }),
    latest_snapshots: z.array(
      z.object({
        name: z.string(),
        received_at: z.string(),
        added_bytes: z.number().nullable().openapi({ description: "bytes received since the snapshot before" }),
        immutable_until: z.string(),
        key_id: z.string().nullable(),
      }),
    ),
  })
  .openapi("ResticRepository");

checkResticApi.openapi(
  createRoute({
    method: "get",
    path: "/checks/{id}/restic",
    operationId: "getResticRepository",
    summary: "Get a restic check's repository: sizes per file type and the newest snapshots",
    tags: ["Checks"],
    request: { params: CheckParams },
    responses: withErrors({ 200: jsonResponse(ResticRepositoryView, "The repository of a restic check") }),
  }),
  async (c) => {
    const db = c.get("db");
    const check = await getCheck(db, c.req.valid("param").id);
    if (check.kind !== "restic") throw new AppError("not_found", `check "${check.slug}" is not a restic repository`);
    const [stats] = await repositoryStats(db, check.id);
    const [types, latest] = await Promise.all([filesByType(db, stats!), latestSnapshots(db, check.id, 20)]);
    return c.json(
      {
        stored_bytes: stats!.storedBytes,
        received_bytes: stats!.receivedBytes,
        quota_bytes: check.quotaBytes,
        files: stats!.files,
        types,
        snapshots: stats!.snapshots,
        last_snapshot_at: iso(stats!.lastSnapshotAt),
        initialized_at: iso(stats!.createdAt),
        latest_snapshots: latest.map((s) => ({
          name: s.name,
          received_at: iso(s.receivedAt),
          added_bytes: s.addedBytes,
          immutable_until: iso(s.immutableUntil),
          key_id: s.keyId,
        })),
      },
      200,
    );
  },
);
