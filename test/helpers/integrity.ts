import { env } from "cloudflare:workers";
import { sha256Hex } from "../../worker/domain/signing";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call } from "./api";

/**
 * What the storage-integrity tests check after an attack: every blob's `refs` equals the live
 * references recounted from D1 (never negative), and every backup that must survive still
 * downloads byte-identical. workerd only (reads D1 and R2 directly).
 */

/**
 * The backups that hold a reference on each distinct part they use, written out here on its own
 * (not imported) so the oracle does not share a mistake with the code: uploads, complete and
 * suspicious backups, and tombstones of those (a failed upload gave its references back already).
 */
const HOLDING = `(k.status IN ('uploading', 'complete', 'suspicious')
  OR (k.status = 'tombstoned' AND k.tombstoned_from IN ('uploading', 'complete', 'suspicious')))`;

export type RefcountRow = { check_id: number; sha256: string; refs: number; live: number };

/** Every blob with its stored `refs` and the references recounted from the backups that use it. */
export async function refcounts(checkId?: number): Promise<RefcountRow[]> {
  const { results } = await env.DB.prepare(
    `SELECT b.check_id, b.sha256, b.refs,
       (SELECT count(DISTINCT k.id) FROM backup_parts p JOIN backups k ON k.id = p.backup_id
        WHERE k.check_id = b.check_id AND p.sha256 = b.sha256 AND ${HOLDING}) AS live
     FROM blobs b WHERE ?1 IS NULL OR b.check_id = ?1 ORDER BY b.check_id, b.sha256`,
  )
    .bind(checkId ?? null)
    .all<RefcountRow>();
  return results;
}

/** Blobs whose counter disagrees with the recount, in words ([] when every counter is right). */
export async function refcountProblems(checkId?: number): Promise<string[]> {
  return (await refcounts(checkId))
    .filter((r) => r.refs !== r.live || r.refs < 0)
    .map((r) => `check ${r.check_id} blob ${r.sha256.slice(0, 12)}: refs ${r.refs}, live ${r.live}`);
}

/** A complete backup's bytes as the admin API serves them, or why they could not be read. */
export async function adminDownload(id: string): Promise<{ status: number; bytes: Uint8Array | null; error?: string }> {
  const response = await call("GET", `/api/v1/backups/${id}/content`);
  try {
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { status: response.status, bytes: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** True when the backup downloads with exactly `data`'s bytes. */
export async function downloadsIdentical(id: string, data: Uint8Array): Promise<boolean> {
  const { status, bytes } = await adminDownload(id);
  return status === 200 && bytes !== null && (await sha256Hex(bytes)) === (await sha256Hex(data));
}

/** One sweep at `now` (retention, abandon, purge of tombstones and of unreferenced parts, quota). */
export const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

/** The check's id and uuid by slug. */
export async function checkRow(slug: string): Promise<{ id: number; uuid: string }> {
  return (await env.DB.prepare("SELECT id, uuid FROM checks WHERE slug = ?").bind(slug).first())!;
}
