import { sha256Hex } from "../../worker/domain/signing";
import { createAgentKey, sendSigned, signedJson, type AgentKey } from "./agent";
import { createCheck } from "./api";

export const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (the same seed, the same bytes): parts that dedupe or not on purpose. */
export function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export type Split = { parts: { index: number; size: number; sha256: string }[]; chunks: Uint8Array[]; sha256: string };

/** Splits an artifact the way the agent does and hashes the parts and the whole. */
export async function split(data: Uint8Array, partSize: number): Promise<Split> {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length || chunks.length === 0; offset += partSize) {
    chunks.push(data.subarray(offset, Math.min(offset + partSize, data.length)));
  }
  const parts = await Promise.all(
    chunks.map(async (chunk, index) => ({ index, size: chunk.length, sha256: await sha256Hex(chunk) })),
  );
  return { parts, chunks, sha256: await sha256Hex(data) };
}

export function manifestOf(
  check: string,
  data: Uint8Array,
  split: Split,
  partSize: number,
  extra: Record<string, unknown> = {},
) {
  return {
    check,
    size: data.length,
    sha256: split.sha256,
    part_size: partSize,
    parts: split.parts,
    compression: "gzip",
    encryption: "none",
    source: "postgres",
    host: "vps-1",
    meta: { tables: 12 },
    ...extra,
  };
}

/** A part as curl sends it: the raw bytes with their Content-Length (workerd does not add one in-process). */
export async function putPart(key: AgentKey, id: string, index: number, chunk: Uint8Array) {
  return sendSigned(key, `/v1/backups/${id}/parts/${index}`, {
    method: "PUT",
    body: chunk,
    headers: { "Content-Length": String(chunk.length) },
  });
}

/** The agent's first step: the manifest of `data`, POSTed. Returns the answer and the split. */
export async function registerBackup(key: AgentKey, check: string, data: Uint8Array, partSize = MiB, extra = {}) {
  const s = await split(data, partSize);
  return { ...(await signedJson(key, "POST", "/v1/backups", manifestOf(check, data, s, partSize, extra))), s };
}

/** The whole agent upload: manifest, every missing part, complete. Returns the backup id. */
export async function uploadBackup(key: AgentKey, check: string, data: Uint8Array, partSize = MiB, extra = {}) {
  const { s, ...created } = await registerBackup(key, check, data, partSize, extra);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  for (const index of created.body.missing as number[]) {
    const response = await putPart(key, created.body.id, index, s.chunks[index]!);
    if (response.status !== 201) throw new Error(`part ${index} failed: ${response.status} ${await response.text()}`);
  }
  const completed = await signedJson(key, "POST", `/v1/backups/${created.body.id}/complete`);
  if (completed.status !== 200)
    throw new Error(`complete failed: ${completed.status} ${JSON.stringify(completed.body)}`);
  return { id: created.body.id as string, missing: created.body.missing as number[], backup: completed.body };
}

/**
 * A backup check of the test's own and a key for it: a test that uploads, lists or counts backups
 * sets up the check it looks at, and never depends on what an earlier test uploaded.
 */
export async function backupCheck(
  slug: string,
  scopes = ["upload", "read"],
  fields: Record<string, unknown> = {},
): Promise<AgentKey> {
  await createCheck({ name: slug, slug, kind: "backup", ...fields });
  return createAgentKey([slug], scopes);
}
