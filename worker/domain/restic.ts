// The rules of Lifeboat's restic REST server (docs/RESTIC.md), pure: no storage, the clock passed in.
import { RESTIC_TYPES } from "../db/schema";
import { formatBytes } from "./bytes";
import { DAY_MS } from "./retention/policy";

export type ResticType = (typeof RESTIC_TYPES)[number];

export const MEDIA_V1 = "application/vnd.x.restic.rest.v1";
export const MEDIA_V2 = "application/vnd.x.restic.rest.v2";

/**
 * The largest file accepted: Cloudflare refuses request bodies over 100 MB on the Free and Pro
 * plans before a Worker sees them. A restic pack is about its --pack-size (plus up to one chunk of
 * 8 MiB), so `--pack-size 64` or less always fits; the default 16 MiB fits on every plan.
 */
export const MAX_FILE_BYTES = 100_000_000;
export const MAX_PACK_SIZE_MIB = 64;

export const tooLargeMessage = (length: number) =>
  `a restic file is at most ${MAX_FILE_BYTES} bytes here (Cloudflare's request body limit) and this one is ` +
  `${length}: use restic's --pack-size ${MAX_PACK_SIZE_MIB} or less (the default, 16 MiB, fits every plan)`;

/** restic ≥ 0.12 asks for v2 (names and sizes); anything else gets v1 (names only). */
export function listingVersion(accept: string | undefined): 1 | 2 {
  return accept?.trim() === MEDIA_V2 ? 2 : 1;
}

/**
 * One item of a listing as JSON. Names are checked hex on the way in, so they need no escaping:
 * the listing is built by concatenation, which keeps a 100,000-file listing cheap in CPU.
 */
export function listingItem(version: 1 | 2, file: { name: string; size: number }): string {
  return version === 2 ? `{"name":"${file.name}","size":${file.size}}` : `"${file.name}"`;
}

/** Locks are restic's own coordination, removed by every run: they get no window. */
export function immutableUntil(type: ResticType, receivedAt: number, minAgeDays: number): number {
  return type === "locks" ? receivedAt : receivedAt + minAgeDays * DAY_MS;
}

export type DeleteVerdict =
  | { allowed: true; purgeAt: number }
  | { allowed: false; reason: "config" | "append_only" | "immutable"; message: string };

/**
 * Whether a key may delete a stored file, and when its bytes leave R2. Locks: any restic key, as in
 * rest-server's append-only mode. Everything else needs the `prune` scope and an ended window,
 * except an index file: an index only repeats what the packs' own headers say (`restic
 * rebuild-index` recreates it), and every prune replaces all of them, so a young index is hidden
 * from restic at once while its bytes stay in R2 until its window ends. Without that, no prune
 * could finish in a repository that was backed up within the window.
 */
export function deleteVerdict(
  file: { type: ResticType; immutableUntil: number },
  scopes: readonly string[],
  now: number,
): DeleteVerdict {
  if (file.type === "config") {
    return { allowed: false, reason: "config", message: "a repository's config is never deleted through restic" };
  }
  if (file.type === "locks") return { allowed: true, purgeAt: now };
  if (!scopes.includes("prune")) {
    return {
      allowed: false,
      reason: "append_only",
      message: `this key is append-only: it may delete locks only (a key with the "prune" scope may delete ${file.type})`,
    };
  }
  if (file.type === "index") return { allowed: true, purgeAt: Math.max(now, file.immutableUntil) };
  if (now < file.immutableUntil) {
    return {
      allowed: false,
      reason: "immutable",
      message:
        `${file.type} file is immutable until ${new Date(file.immutableUntil).toISOString()} ` +
        `(received within the check's min_age_days); forget with --keep-within longer than that window`,
    };
  }
  return { allowed: true, purgeAt: now };
}

/** An upload that would take the repository past its quota: 507, with the numbers. */
export function quotaProblem(storedBytes: number, size: number, quotaBytes: number | null): string | null {
  if (quotaBytes === null || storedBytes + size <= quotaBytes) return null;
  return (
    `the repository's quota is ${formatBytes(quotaBytes)} and it holds ${formatBytes(storedBytes)}: ` +
    `this ${formatBytes(size)} file does not fit (forget and prune, or raise quota_bytes)`
  );
}

/** The body of the success ping a new snapshot records. */
export function snapshotPingBody(name: string, addedBytes: number, storedBytes: number): string {
  return (
    `restic snapshot ${name.slice(0, 8)}: ${formatBytes(addedBytes)} added since the previous snapshot; ` +
    `repository ${formatBytes(storedBytes)}`
  );
}
