import { z } from "zod";
import { validationFailed } from "../app";
import { BACKUP_SOURCES, DRILL_KINDS, DRILL_OUTCOMES } from "../db/schema";
import { MAX_PART_SIZE, MAX_PARTS, RECOMMENDED_PART_SIZE } from "../domain/manifest";
import { AppError } from "../errors";

// The JSON bodies the agent signs and sends to agent-backups.ts and agent-restores.ts.

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
export const Manifest = z
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

export const FailBody = z.object({ log: z.string().max(100_000).default("") }).strict();

export const DrillBody = z
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

/** A signed body, checked against one of the schemas above: not JSON is a 400, a bad field names itself. */
export function parseJson<T extends z.ZodType>(schema: T, body: Uint8Array): z.infer<T> {
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
