import { env } from "cloudflare:workers";
import { sha256Hex } from "../../worker/domain/signing";
import { BASE, fetchWorker } from "./api";
import type { AgentKey } from "./agent";

/** HTTP Basic credentials of an agent key, the way restic sends the ones in its repository URL. */
export const basic = (key: AgentKey, secret = key.secret) => `Basic ${btoa(`${key.key_id}:${secret}`)}`;

export type ResticInit = {
  body?: Uint8Array | string | ReadableStream;
  headers?: Record<string, string>;
  /** Another password than the key's secret (wrong-password tests); null sends no credentials. */
  secret?: string | null;
};

/** One request to the restic REST server at /restic/<path>, answered in full. */
export async function restic(key: AgentKey, method: string, path: string, init: ResticInit = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.secret !== null) headers.Authorization = basic(key, init.secret ?? key.secret);
  // As restic sends it (workerd adds no Content-Length in-process); a stream goes without one.
  if (init.body !== undefined && !(init.body instanceof ReadableStream)) {
    headers["Content-Length"] ??= String(
      typeof init.body === "string" ? new TextEncoder().encode(init.body).length : init.body.length,
    );
  }
  const response = await fetchWorker(
    new Request(`${BASE}/restic/${path}`, { method, headers, body: init.body, duplex: "half" } as RequestInit),
  );
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, text: new TextDecoder().decode(bytes) };
}

/** Some bytes and the name restic would give them (their sha256). */
export async function fileOf(content: string | Uint8Array) {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return { bytes, name: await sha256Hex(bytes) };
}

/** Uploads `content` under its own sha256 as restic does; returns the name. */
export async function upload(key: AgentKey, repo: string, type: string, content: string | Uint8Array) {
  const file = await fileOf(content);
  const response = await restic(key, "POST", `${repo}/${type}/${file.name}`, { body: file.bytes });
  if (response.status !== 200) throw new Error(`upload ${type}/${file.name}: ${response.status} ${response.text}`);
  return file.name;
}

/** Every R2 key under the restic prefix. */
export async function resticObjects(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.BUCKET.list({ prefix: "restic/", cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}
