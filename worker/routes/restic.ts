import { Hono, type Context } from "hono";
import { z } from "zod";
import { validationFailed, type AppEnv } from "../app";
import { RESTIC_TYPES } from "../db/schema";
import { deleteVerdict, listingVersion, MAX_FILE_BYTES, snapshotPingBody, tooLargeMessage } from "../domain/restic";
import { AppError } from "../errors";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { recordPing } from "../services/pings";
import { deleteFile, initRepository, storeFile, type FileRef } from "../services/restic-files";
import { fileResponse, listingResponse } from "../services/restic-reads";
import type { ResticRepository } from "../services/restic-repos";
import { authenticateRestic } from "./restic-auth";

/**
 * restic's REST backend (restic's doc/REST_backend.rst, v1 and v2) at /restic/<slug>/, one
 * repository per check of kind `restic` (docs/RESTIC.md). restic reads only the status codes;
 * every error still carries the JSON error body.
 */
export const resticRoutes = new Hono<AppEnv>();

export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "a file name is 64 lowercase hex characters");
const Target = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("repository"), repo: z.string() }),
  z.object({ kind: z.literal("config"), repo: z.string() }),
  z.object({ kind: z.literal("listing"), repo: z.string(), type: z.enum(RESTIC_TYPES).exclude(["config"]) }),
  z.object({ kind: z.literal("file"), repo: z.string(), type: z.enum(RESTIC_TYPES).exclude(["config"]), name: Hex64 }),
]);
type Target = z.infer<typeof Target>;
const Slug = z.string().regex(/^[a-z0-9_-]{1,64}$/);
const CreateQuery = z.object({ create: z.literal("true", { error: "POST /restic/<repo>/ needs ?create=true" }) });
const ContentLength = z
  .string()
  .regex(/^\d{1,15}$/, "Content-Length is a number of bytes")
  .transform(Number);

/** The path after /restic/ as one of the four targets, or null (a 404 after authentication). */
function targetOf(path: string): Target | null {
  const [repo = "", ...rest] = path.replace(/^\/restic\//, "").split("/");
  if (!Slug.safeParse(repo).success || rest.length > 2) return null;
  const [first, second] = rest;
  const shape =
    first === undefined || (first === "" && rest.length === 1)
      ? { kind: "repository", repo }
      : first === "config" && rest.length === 1
        ? { kind: "config", repo }
        : second === undefined || second === ""
          ? { kind: "listing", repo, type: first }
          : { kind: "file", repo, type: first, name: second };
  const parsed = Target.safeParse(shape);
  return parsed.success ? parsed.data : null;
}

const refOf = (t: Target): FileRef | null =>
  t.kind === "config" ? { type: "config", name: "config" } : t.kind === "file" ? { type: t.type, name: t.name } : null;

const ALLOWED: Record<Target["kind"], string[]> = {
  repository: ["POST", "DELETE"],
  config: ["HEAD", "GET", "POST", "DELETE"],
  listing: ["GET"],
  file: ["HEAD", "GET", "POST", "DELETE"],
};

resticRoutes.all("/*", async (c) => {
  const target = targetOf(new URL(c.req.url).pathname);
  const { key, repo } = await authenticateRestic(c, target && { repo: target.repo, ref: refOf(target) });
  const t = target!; // authenticateRestic answers 404 for no target
  const method = c.req.method;
  if (!ALLOWED[t.kind].includes(method)) {
    const allow = ALLOWED[t.kind].join(", ");
    throw new AppError("method_not_allowed", `${method} is not part of restic's REST protocol here`, undefined, {
      Allow: allow,
    });
  }
  const db = c.get("db");
  const now = Date.now();

  if (t.kind === "repository") {
    if (method === "DELETE") {
      throw new AppError("forbidden", "a repository is deleted with its check, through the admin API");
    }
    const query = CreateQuery.safeParse(c.req.query());
    if (!query.success) throw validationFailed("query", query.error);
    await initRepository(db, repo, now);
    return c.body(null, 200);
  }
  if (t.kind === "listing") {
    return listingResponse(db, repo.check.id, t.type, listingVersion(c.req.header("Accept")));
  }
  const ref = refOf(t)!;
  if (method === "HEAD" || method === "GET") {
    if (!repo.file)
      throw new AppError("not_found", `${ref.type === "config" ? "config" : `${ref.type}/${ref.name}`} not found`);
    return fileResponse(c.env.BUCKET, repo.file, method, c.req.header("Range"));
  }
  if (method === "DELETE") {
    // Idempotent like rest-server: deleting what is not there succeeds (restic retries deletes).
    const verdict = deleteVerdict(repo.file ?? { type: ref.type, immutableUntil: 0 }, key.scopes, now);
    if (!verdict.allowed) throw new AppError("forbidden", verdict.message, { reason: verdict.reason });
    if (repo.file) await deleteFile(db, repo, repo.file, verdict.purgeAt);
    return c.body(null, 200);
  }
  return store(c, repo, ref, key.id, now);
});

async function store(c: Context<AppEnv>, repo: ResticRepository, ref: FileRef, keyId: string, now: number) {
  const header = c.req.header("Content-Length");
  if (header === undefined) throw new AppError("length_required", "send the file with a Content-Length");
  const length = ContentLength.safeParse(header);
  if (!length.success) throw validationFailed("header", length.error, "Content-Length: ");
  if (length.data > MAX_FILE_BYTES) throw new AppError("payload_too_large", tooLargeMessage(length.data));
  const db = c.get("db");
  const upload = { body: c.req.raw.body, length: length.data, keyId };
  const { file, storedBytes } = await storeFile(db, c.env.BUCKET, repo, ref, upload, now);
  if (ref.type === "snapshots") {
    // A new snapshot is the repository's heartbeat: a success of its check.
    const body = snapshotPingBody(ref.name, file.addedBytes ?? file.size, storedBytes);
    const meta = {
      body,
      bodyTruncated: false,
      source: "restic" as const,
      method: "POST",
      ip: c.req.header("CF-Connecting-IP") ?? null,
      userAgent: c.req.header("User-Agent")?.slice(0, 200) ?? null,
      keyId,
    };
    const result = await recordPing(db, repo.check, { kind: "success", goodBackup: true }, meta, now);
    if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  }
  return c.body(null, 200);
}
