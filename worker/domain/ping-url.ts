import type { Ping } from "./state";

/** What a healthchecks-style ping path asks for, or why it cannot be served. */
export type PingTarget =
  | { form: "uuid"; uuid: string; ping: Ping }
  | { form: "slug"; pingKey: string; slug: string; ping: Ping }
  | { error: "not_found" | "invalid" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG = /^[a-z0-9_-]{1,64}$/;
const PING_KEY = /^[A-Za-z0-9_-]{1,64}$/;

export const isUuid = (value: string) => UUID.test(value);

/** Reads the suffix after the check: "" (success), start, fail, log or an exit status 0–255. */
export function parseSuffix(suffix: string | undefined, rid: string | null): Ping | "invalid" | "unknown" {
  if (suffix === undefined || suffix === "") return { kind: "success", rid };
  if (suffix === "start" || suffix === "fail" || suffix === "log") return { kind: suffix, rid };
  if (/^\d+$/.test(suffix)) {
    const exitStatus = Number(suffix);
    if (exitStatus > 255) return "invalid";
    return exitStatus === 0 ? { kind: "exit", exitStatus: 0, rid } : { kind: "exit", exitStatus, rid };
  }
  return "unknown";
}

/**
 * Parses the segments after /ping/. Like healthchecks, a uuid followed by a known suffix is the
 * uuid form; two segments otherwise are <ping_key>/<slug>. A trailing slash is ignored.
 */
export function parsePingPath(segments: string[], rid: string | null): PingTarget {
  const parts = segments.at(-1) === "" ? segments.slice(0, -1) : segments;
  const [first, second, third, ...rest] = parts;
  if (!first || rest.length > 0) return { error: "not_found" };

  if (isUuid(first) && third === undefined) {
    const ping = parseSuffix(second, rid);
    if (ping === "invalid") return { error: "invalid" };
    if (ping !== "unknown") return { form: "uuid", uuid: first.toLowerCase(), ping };
  }
  if (second === undefined || !PING_KEY.test(first)) return { error: "not_found" };
  if (!SLUG.test(second)) return { error: "invalid" };
  const ping = parseSuffix(third, rid);
  if (ping === "invalid") return { error: "invalid" };
  if (ping === "unknown") return { error: "not_found" };
  return { form: "slug", pingKey: first, slug: second, ping };
}
