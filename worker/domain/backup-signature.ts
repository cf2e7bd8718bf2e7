// The host's signature over a backup (docs/BACKUPS.md, "Signed backups"). The agent signs, with
// its own Ed25519 key, one line that states what it backed up:
//
//   lifeboat-backup-v1 check=db sha256=<hex> size=123 compression=gzip encryption=none format=pgdump-custom …
//
// The Worker cannot sign (it never sees a private key); it keeps the statement, the signature and the
// public key with the backup and returns them, so a restore can check them against the keys it trusts.
// Here it only refuses a signature that could never verify, or a statement that contradicts the
// manifest it came with: a mistake found at upload rather than on the day of the restore.
import type { BackupSignature } from "../db/schema";

export const STATEMENT_VERSION = "lifeboat-backup-v1";

/** The manifest fields a statement must repeat exactly. */
export type SignedFacts = {
  check: string;
  sha256: string;
  size: number;
  compression: string;
  encryption: string;
  source: string;
};

/** "key=value" words after the version word; null when the line is not a v1 statement. */
export function statementFields(statement: string): Map<string, string> | null {
  const [version, ...words] = statement.split(" ");
  if (version !== STATEMENT_VERSION) return null;
  const fields = new Map<string, string>();
  for (const word of words) {
    const at = word.indexOf("=");
    if (at <= 0 || fields.has(word.slice(0, at))) return null;
    fields.set(word.slice(0, at), word.slice(at + 1));
  }
  return fields;
}

/** What is wrong with a signature sent with a manifest; empty when it verifies and agrees. */
export async function signatureProblems(signature: BackupSignature, facts: SignedFacts): Promise<string[]> {
  const fields = statementFields(signature.statement);
  if (!fields) return [`signature.statement: not a ${STATEMENT_VERSION} statement`];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(facts)) {
    const stated = fields.get(name);
    if (stated !== String(value)) {
      problems.push(`signature.statement: ${name}=${stated ?? "(missing)"} but the manifest says ${value}`);
    }
  }
  if (problems.length > 0) return problems;
  return (await verifies(signature)) ? [] : ["signature.value: does not verify with signature.public_key"];
}

async function verifies(signature: BackupSignature): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("spki", base64Bytes(signature.public_key), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      base64Bytes(signature.value),
      new TextEncoder().encode(signature.statement),
    );
  } catch {
    return false; // not an Ed25519 SPKI key, or not a signature at all
  }
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
