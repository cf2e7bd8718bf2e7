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

/**
 * Reads the suffix after the check: "" (success), start, fail, log or an exit status. An exit
 * status over 255 is still parsed: like healthchecks, the route looks the check up first and only
 * then answers 400 for it (`exitStatusInvalid`), so an unknown check is a 404 whatever its suffix.
 */
export function parseSuffix(suffix: string | undefined, rid: string | null): Ping | "unknown" {
  if (suffix === undefined || suffix === "") return { kind: "success", rid };
  if (suffix === "start" || suffix === "fail" || suffix === "log") return { kind: suffix, rid };
  if (/^\d+$/.test(suffix)) return { kind: "exit", exitStatus: Number(suffix), rid };
  return "unknown";
}

export const exitStatusInvalid = (ping: Ping) => ping.kind === "exit" && (ping.exitStatus ?? 0) > 255;

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
    if (ping !== "unknown") return { form: "uuid", uuid: first.toLowerCase(), ping };
  }
  if (second === undefined || !PING_KEY.test(first)) return { error: "not_found" };
  if (!SLUG.test(second)) return { error: "invalid" };
  const ping = parseSuffix(third, rid);
  if (ping === "unknown") return { error: "not_found" };
  return { form: "slug", pingKey: first, slug: second, ping };
}
