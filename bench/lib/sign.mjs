// Signed agent requests from Node, exactly as docs/SECURITY.md describes (the agent does the same
// with openssl): a fresh nonce each time, the body's sha256, HMAC-SHA256 over the canonical request.
import { createHash, createHmac, randomBytes } from "node:crypto";

/**
 * The five X-Lifeboat-* headers for one request.
 * @param {{ keyId: string, secret: Buffer }} key the secret as raw bytes (Buffer.from(hex, "hex"))
 */
export function signedHeaders(key, method, pathWithQuery, body = "") {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("hex");
  const contentSha256 = createHash("sha256").update(body).digest("hex");
  const canonical = `${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${contentSha256}`;
  return {
    "X-Lifeboat-Key": key.keyId,
    "X-Lifeboat-Timestamp": timestamp,
    "X-Lifeboat-Nonce": nonce,
    "X-Lifeboat-Content-SHA256": contentSha256,
    "X-Lifeboat-Signature": createHmac("sha256", key.secret).update(canonical).digest("hex"),
  };
}
