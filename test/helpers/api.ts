import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../worker/index";

export const BASE = "https://lifeboat.test";
export const ADMIN = "test-admin-token";
export const READER = "test-read-token";

/** Calls the Worker like a client would, through its real fetch handler. */
export function call(
  method: string,
  path: string,
  init: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? ADMIN : init.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    headers["Content-Type"] ??= "application/json";
  }
  return fetchWorker(new Request(`${BASE}${path}`, { method, headers, body }));
}

/**
 * The Worker's real fetch handler, waiting for its waitUntil work (alerts a ping dispatches) too,
 * so a test sees everything a request caused before it looks.
 */
export async function fetchWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export async function json<T = any>(response: Response | Promise<Response>): Promise<T> {
  return (await response).json() as Promise<T>;
}

export async function createCheck(fields: Record<string, unknown>) {
  const response = await call("POST", "/api/v1/checks", { body: fields });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return response.json() as Promise<any>;
}

/** Row counts of every table: "a rejected request writes nothing" is checked against these. */
export async function tableCounts(): Promise<Record<string, number>> {
  const tables = [
    "checks",
    "pings",
    "flips",
    "channels",
    "notifications",
    "agent_keys",
    "nonces",
    "maintenance_windows",
    "settings",
    "backups",
    "backup_parts",
    "blobs",
    "purge_queue",
    "drills",
    "revoked_sessions",
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
    counts[table] = row!.n;
  }
  return counts;
}
