import { hmacSha256 } from "./signing";

// Channel configs hold credentials (webhook URLs with tokens, bot tokens, routing keys). They are
// stored sealed with AES-256-GCM under a key derived from the master key, so a copy of the
// database alone reveals none of them.

const PREFIX = "v1:";

/**
 * Derived once per isolate and master key (a sweep unseals up to 15 configs; each derivation is two
 * key imports). The key itself is kept, not a promise of it: a pending promise must not be shared
 * between requests in Workers.
 */
const sealingKeys = new Map<string, CryptoKey>();

async function sealingKey(masterKey: string): Promise<CryptoKey> {
  const cached = sealingKeys.get(masterKey);
  if (cached) return cached;
  const raw = await hmacSha256(masterKey, "channel-config-seal");
  const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  sealingKeys.set(masterKey, key);
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function seal(masterKey: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealingKey(masterKey), plain),
  );
  return `${PREFIX}${toBase64(iv)}:${toBase64(sealed)}`;
}

export async function unseal<T = unknown>(masterKey: string, stored: string): Promise<T> {
  // Rows written before sealing existed hold plain JSON; they are read as they are.
  if (!stored.startsWith(PREFIX)) return JSON.parse(stored) as T;
  const [iv, sealed] = stored.slice(PREFIX.length).split(":");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv!) },
    await sealingKey(masterKey),
    fromBase64(sealed!),
  );
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}
