import { Hono } from "hono";
import { z } from "zod";
import { validationFailed, type AppEnv } from "../app";
import {
  BACKUP_SOURCES,
  DRILL_KINDS,
  DRILL_OUTCOMES,
  type AgentKeyRow,
  type BackupRow,
  type CheckRow,
} from "../db/schema";
import { signatureProblems } from "../domain/backup-signature";
import { manifestProblems, MAX_PART_SIZE, MAX_PARTS, RECOMMENDED_PART_SIZE } from "../domain/manifest";
import { AppError, notFound } from "../errors";
import { createBackup, findBackup, listBackups, missingParts } from "../services/backups";
import { findCheckById } from "../services/checks";
import type { Db } from "../services/db";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { keyAllowsCheck } from "../services/keys";
import { lastDrillsOf, recordDrill } from "../services/drills";
import { completeBackup, failBackup } from "../services/finish-upload";
import { contentResponse, storePart } from "../services/parts";
import { allowedCheck, authenticateAgent, signedPingMeta } from "./agent-auth";
import { backupView } from "./api/views";

/**
 * The upload and restore API of the `lifeboat` agent (docs/BACKUPS.md). Every request is signed.
 * `upload` keys create and fill backups of their own checks and nothing more: they cannot read,
 * list, complete or fail another check's backups (those do not exist for them: 404), and nothing
 * here deletes or overwrites. Restores need the `read` scope.
 */
export const agentBackupRoutes = new Hono<AppEnv>();

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a sha256 is 64 lowercase hex characters");
const Base64 = (bytes: number) =>
  z
    .string()
    .length(Math.ceil(bytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]+=*$/, "base64");
/** The host's signature over what it backed up (domain/backup-signature.ts); optional for older agents. */
const Signature = z
  .object({
    statement: z
      .string()
      .max(1000)
      .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, "one line of printable ASCII words"),
    value: Base64(64).describe("the Ed25519 signature of the statement, base64"),
    public_key: Base64(44).describe("the signer's Ed25519 public key: SPKI DER, base64"),
  })
  .strict();
const Manifest = z
  .object({
    check: z.string().regex(/^[a-z0-9_-]{1,64}$/, "a check slug"),
    size: z.number().int().min(0),
    sha256: Sha256,
    part_size: z
      .number()
      .int()
      .min(1)
      .max(
        MAX_PART_SIZE,
        `part_size is at most ${MAX_PART_SIZE} bytes (a part is one request; ${RECOMMENDED_PART_SIZE} recommended)`,
      ),
    parts: z
      .array(z.object({ index: z.number().int().min(0), size: z.number().int().min(0), sha256: Sha256 }).strict())
      .min(1)
      .max(MAX_PARTS),
    compression: z.enum(["none", "gzip", "zstd"]),
    encryption: z.enum(["none", "age"]),
    source: z.enum(BACKUP_SOURCES),
    host: z.string().trim().min(1).max(100),
    meta: z
      .record(z.string(), z.unknown())
      .default({})
      .refine((meta) => JSON.stringify(meta).length <= 8192, "meta is at most 8 kB of JSON"),
    signature: Signature.optional(),
  })
  .strict();

const FailBody = z.object({ log: z.string().max(100_000).default("") }).strict();

const DrillBody = z
  .object({
    ok: z.boolean(),
    outcome: z
      .enum(DRILL_OUTCOMES)
      .optional()
      .describe("ok | failed | could_not_start (the drill never reached the backup); default from ok"),
    kind: z.enum(DRILL_KINDS).default("drill").describe("restore: a manual restore that verified and loaded it"),
    duration_s: z
      .number()
      .min(0)
      .max(7 * 86_400),
    message: z.string().max(2000).default(""),
    details: z
      .record(z.string(), z.unknown())
      .default({})
      .refine((d) => JSON.stringify(d).length <= 8192, "details is at most 8 kB of JSON"),
  })
  .strict()
  .refine((d) => d.outcome === undefined || (d.outcome === "ok") === d.ok, {
    message: "ok and outcome disagree",
    path: ["outcome"],
  })
  .refine((d) => d.kind === "drill" || d.ok, { message: "a restore is reported once it succeeded", path: ["ok"] });

const BACKUP_ID = /^bk_[0-9a-f]{20}$/;

agentBackupRoutes.post("/backups", async (c) => {
  const db = c.get("db");
  const { key, target, begin } = await authenticateAgent(c, "upload", async (key, body) => {
    const manifest = parseJson(Manifest, body!);
    const problems = manifestProblems({ size: manifest.size, partSize: manifest.part_size, parts: manifest.parts });
    if (manifest.signature) {
      const { check, sha256, size, compression, encryption, source } = manifest;
      const facts = { check, sha256, size, compression, encryption, source };
      problems.push(...(await signatureProblems(manifest.signature, facts)));
    }
    if (problems.length > 0) {
      throw new AppError("validation_failed", `invalid manifest: ${problems.join("; ")}`, problems);
    }
    const check = await allowedCheck(db, key, manifest.check);
    if (check.kind !== "backup")
      throw new AppError("conflict", `check "${check.slug}" is a ${check.kind} check, not a backup check`);
    return { manifest, check };
  });
  const { manifest, check } = target;
  const input = { ...manifest, partSize: manifest.part_size, keyId: key.id };
  const created = await createBackup(db, check, input, Date.now(), begin);
  return c.json({ id: created.id, missing: created.missing }, 201);
});

agentBackupRoutes.get("/backups/:id", async (c) => {
  const db = c.get("db");
  const { target: backup, begin } = await authenticateAgent(c, ["upload", "read"], (key) =>
    ownBackup(db, key, c.req.param("id")),
  );
  const missing = await missingParts(db, backup);
  await begin().commit();
  return c.json({ ...backupView(backup), missing }, 200);
});

agentBackupRoutes.put("/backups/:id/parts/:index", async (c) => {
  const db = c.get("db");
  const index = Number(c.req.param("index"));
  if (!/^\d{1,5}$/.test(c.req.param("index"))) throw new AppError("bad_request", "the part index is a number 0…9999");
  const length = c.req.header("Content-Length");
  if (length === undefined) throw new AppError("length_required", "send the part with a Content-Length");
  if (Number(length) > MAX_PART_SIZE) {
    throw new AppError(
      "payload_too_large",
      `a part is at most ${MAX_PART_SIZE} bytes; use part_size ${RECOMMENDED_PART_SIZE}`,
    );
  }
  const request = await authenticateAgent(c, "upload", (key) => ownBackup(db, key, c.req.param("id")), {
    stream: true,
  });
  const upload = { body: c.req.raw.body, contentLength: Number(length), contentSha256: request.contentSha256 };
  const result = await storePart(db, c.env.BUCKET, request.target, index, upload, request.begin);
  return c.json({ index, stored: result.stored, already_stored: result.alreadyStored }, result.stored ? 201 : 200);
});

agentBackupRoutes.post("/backups/:id/complete", async (c) => {
  const db = c.get("db");
  const request = await authenticateAgent(c, "upload", (key) => ownBackupWithCheck(db, key, c.req.param("id")));
  const { backup, check } = request.target;
  const now = Date.now();
  const result = await completeBackup(db, check, backup, signedPingMeta(c, request.key, ""), now, request.begin);
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json(backupView(result.backup), 200);
});

agentBackupRoutes.post("/backups/:id/fail", async (c) => {
  const db = c.get("db");
  const request = await authenticateAgent(c, "upload", async (key, body) => ({
    ...(await ownBackupWithCheck(db, key, c.req.param("id"))),
    log: parseJson(FailBody, body!).log,
  }));
  const { backup, check, log } = request.target;
  const now = Date.now();
  const meta = signedPingMeta(c, request.key, log);
  const result = await failBackup(db, check, backup, log, meta, now, request.begin);
  if (result.flip) c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ id: backup.id, status: "failed" }, 200);
});

/**
 * A restore drill's result (`lifeboat drill`), or a manual restore that verified and loaded the
 * backup (`lifeboat restore`, kind "restore"): kept with the backup; a failed drill alerts, and so,
 * in its own words, does one that could not start.
 */
agentBackupRoutes.post("/backups/:id/drills", async (c) => {
  const db = c.get("db");
  const request = await authenticateAgent(c, "read", async (key, body) => ({
    ...(await ownBackupWithCheck(db, key, c.req.param("id"))),
    report: parseJson(DrillBody, body!),
  }));
  const { backup, check, report } = request.target;
  const now = Date.now();
  const outcome = report.outcome ?? (report.ok ? "ok" : "failed");
  const drill = {
    outcome,
    kind: report.kind,
    durationS: report.duration_s,
    details: report.details,
    message: report.message,
  };
  await recordDrill(db, check, backup, request.key, drill, now, request.begin);
  if (outcome !== "ok") c.executionCtx.waitUntil(dispatchAlerts(c.env, c.get("baseUrl"), now));
  return c.json({ backup: backup.id, ok: report.ok, outcome, kind: report.kind, duration_s: report.duration_s }, 201);
});

agentBackupRoutes.get("/checks/:slug/backups", async (c) => {
  const db = c.get("db");
  const { target: check, begin } = await authenticateAgent(c, "read", (key) =>
    allowedCheck(db, key, c.req.param("slug")),
  );
  const rows = await listBackups(db, { checkId: check.id, limit: 100 });
  // The agent's `list` shows whether each backup was ever restored, from any host.
  const drills = await lastDrillsOf(
    db,
    rows.map((row) => row.id),
  );
  await begin().commit();
  return c.json({ backups: rows.map((row) => ({ ...backupView(row), last_drill: drills.get(row.id) ?? null })) }, 200);
});

agentBackupRoutes.get("/backups/:id/content", async (c) => {
  const db = c.get("db");
  const { target: backup, begin } = await authenticateAgent(c, "read", (key) => ownBackup(db, key, c.req.param("id")));
  return contentResponse(db, c.env.BUCKET, backup, c.req.header("Range"), () => begin().commit());
});

/** A backup of a check this key may touch; anything else is "not found", never "forbidden". */
async function ownBackup(db: Db, key: AgentKeyRow, id: string): Promise<BackupRow> {
  return (await ownBackupWithCheck(db, key, id)).backup;
}

async function ownBackupWithCheck(
  db: Db,
  key: AgentKeyRow,
  id: string,
): Promise<{ backup: BackupRow; check: CheckRow }> {
  if (!BACKUP_ID.test(id)) throw notFound("backup");
  const backup = await findBackup(db, id);
  const check = await findCheckById(db, backup.checkId);
  if (!check || !keyAllowsCheck(key, check.slug)) throw notFound("backup");
  return { backup, check };
}

function parseJson<T extends z.ZodType>(schema: T, body: Uint8Array): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new AppError("bad_request", "the body is not JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFailed("json", parsed.error);
  return parsed.data;
}
