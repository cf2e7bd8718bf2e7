import { canonicalRequest, sha256Hex, signRequest, toHex } from "../../worker/domain/signing";
import { BASE, call, fetchWorker } from "./api";

export type AgentKey = { key_id: string; secret: string };

export async function createAgentKey(checks: string[] | "*", scopes = ["ping"]): Promise<AgentKey> {
  const response = await call("POST", "/api/v1/keys", { body: { host: "test-host", checks, scopes } });
  if (response.status !== 201) throw new Error(`key creation failed: ${await response.text()}`);
  return response.json();
}

export type SignOptions = {
  method?: string;
  body?: string | Uint8Array;
  timestamp?: number;
  nonce?: string;
  headers?: Record<string, string>;
  /** Change the request after signing, to simulate tampering in transit. */
  tamper?: { body?: string | Uint8Array; path?: string; timestamp?: number };
};

/** Builds a signed agent request exactly as docs/SECURITY.md describes. */
export async function signedRequest(key: AgentKey, path: string, options: SignOptions = {}): Promise<Request> {
  const method = options.method ?? "POST";
  const body = options.body ?? "";
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? toHex(crypto.getRandomValues(new Uint8Array(16)));
  const contentSha256 = await sha256Hex(body);
  const headers = { keyId: key.key_id, timestamp, nonce, contentSha256, signature: "" };
  headers.signature = await signRequest(key.secret, canonicalRequest(method, path, headers));
  const sentPath = options.tamper?.path ?? path;
  return new Request(`${BASE}${sentPath}`, {
    method,
    body: method === "GET" ? undefined : (options.tamper?.body ?? body),
    headers: {
      ...options.headers,
      "X-Lifeboat-Key": key.key_id,
      "X-Lifeboat-Timestamp": String(options.tamper?.timestamp ?? timestamp),
      "X-Lifeboat-Nonce": nonce,
      "X-Lifeboat-Content-SHA256": contentSha256,
      "X-Lifeboat-Signature": headers.signature,
    },
  });
}

export async function sendSigned(key: AgentKey, path: string, options: SignOptions = {}): Promise<Response> {
  return fetchWorker(await signedRequest(key, path, options));
}

/** A signed request with a JSON body, answered with its status and parsed JSON. */
export async function signedJson(key: AgentKey, method: string, path: string, value?: unknown) {
  const response = await sendSigned(key, path, { method, body: value === undefined ? "" : JSON.stringify(value) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
