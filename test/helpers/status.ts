import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../worker/index";
import { BASE } from "./api";

/** GET through the Worker's real fetch handler with the page cache off (or as given). */
export async function getPublic(path: string, headers: Record<string, string> = {}, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, { headers }),
    { ...env, STATUS_CACHE_S: "0", ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Runs raw SQL against the test D1. */
export const exec = (query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .run();

/** A good backup row as the upload path leaves it, without R2 (the page reads only these columns). */
export async function insertBackup(
  checkId: number,
  takenAt: number,
  opts: { completedAt?: number; status?: string; anomaly?: string | null; size?: number } = {},
) {
  const id = `bk_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
  await exec(
    `INSERT INTO backups (id, check_id, status, size, sha256, part_size, part_count, compression, encryption, source, host, received_at, completed_at, anomaly)
     VALUES (?, ?, ?, ?, 'x', 1, 1, 'gzip', 'none', 'postgres', 'secret-host.internal', ?, ?, ?)`,
    id,
    checkId,
    opts.status ?? "complete",
    opts.size ?? 123_456_789,
    takenAt,
    opts.completedAt ?? takenAt + 60_000,
    opts.anomaly ?? null,
  );
  return id;
}

/** A status change as the flip_on_status trigger records it. */
export const insertFlip = (checkId: number, from: string, to: string, at: number, reason = "timeout", detail = "") =>
  exec(
    `INSERT INTO flips (check_id, from_status, to_status, reason, detail, created_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    checkId,
    from,
    to,
    reason,
    detail,
    at,
    at,
  );

export async function checkIdOf(uuid: string): Promise<number> {
  const row = await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?").bind(uuid).first<{ id: number }>();
  return row!.id;
}

/**
 * Puts a check in the state a success ping at `at` leaves (up, next due a period later), without
 * going through the ping route: these tests are about what the page shows, not about pings.
 */
export const markUp = (checkId: number, at = Date.now(), periodMs = DAY) =>
  exec(
    `UPDATE checks SET status = 'up', status_reason = 'ping', last_ping_at = ?, next_due_at = ?, alert_after = ?, updated_at = ? WHERE id = ?`,
    at,
    at + periodMs,
    at + periodMs + HOUR,
    at,
    checkId,
  );
