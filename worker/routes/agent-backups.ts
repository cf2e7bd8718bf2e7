import { Hono } from "hono";
import type { AppEnv } from "../app";
import { signatureProblems } from "../domain/backup-signature";
import { manifestProblems, MAX_PART_SIZE, RECOMMENDED_PART_SIZE } from "../domain/manifest";
import { AppError } from "../errors";
import { createBackup, missingParts } from "../services/backups";
import { dispatchAlerts } from "../services/alert-pipeline/dispatch";
import { completeBackup, failBackup } from "../services/finish-upload";
import { storePart } from "../services/parts";
import { FailBody, Manifest, parseJson } from "./agent-backup-schemas";
import { allowedCheck, authenticateAgent, ownBackup, ownBackupWithCheck, signedPingMeta } from "./agent-auth";
import { backupView } from "./api/views";

/**
 * The upload API of the `lifeboat` agent (docs/BACKUPS.md): register a backup, send its parts,
 * complete or fail it. Every request is signed. `upload` keys create and fill backups of their own
 * checks and nothing more: they cannot read, list, complete or fail another check's backups (those
 * do not exist for them: 404), and nothing here deletes or overwrites. Restores: agent-restores.ts.
 */
export const agentBackupRoutes = new Hono<AppEnv>();

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
