import type { Ping } from "./state";

/** healthchecks' per-check ping options that decide what an HTTP ping counts as. */
export type PingOptions = {
  methods: "" | "POST";
  filterHttpBody: boolean;
  filterDefaultFail: boolean;
  startKw: string;
  successKw: string;
  failureKw: string;
};

/** healthchecks' match_keywords: any comma-separated, trimmed, non-empty keyword is a substring. */
export function matchesKeywords(body: string, keywords: string): boolean {
  return keywords.split(",").some((keyword) => {
    const k = keyword.trim();
    return k !== "" && body.includes(k);
  });
}

/**
 * What an HTTP ping counts as, in healthchecks' order (hc/api/views.py `ping`): a non-POST ping of a
 * `methods: "POST"` check is ignored; otherwise, with `filter_http_body`, the body's keywords decide
 * (failure first, then success, then start; no match: ignored, or a failure with
 * `filter_default_fail`), whatever the URL said, /log included. The email filters
 * (filter_subject, filter_body) never apply to HTTP pings. A paused `manual_resume` check's
 * pings are ignored in applyPing, where the status is read under the write's guard.
 */
export function classifyPing(options: PingOptions, method: string, body: string, ping: Ping): Ping {
  if (options.methods === "POST" && method !== "POST")
    return { kind: "ign", rid: ping.rid, exitStatus: ping.exitStatus };
  if (!options.filterHttpBody) return ping;
  const reclassify = (kind: "success" | "fail" | "start", detail?: string): Ping => ({
    kind,
    rid: ping.rid ?? null,
    exitStatus: ping.exitStatus ?? null,
    ...(detail ? { failure: { reason: "fail" as const, detail } } : {}),
  });
  if (options.failureKw && matchesKeywords(body, options.failureKw)) {
    return reclassify("fail", "the body matched a failure keyword");
  }
  if (options.successKw && matchesKeywords(body, options.successKw)) return reclassify("success");
  if (options.startKw && matchesKeywords(body, options.startKw)) return reclassify("start");
  if (options.filterDefaultFail) return reclassify("fail", "no keyword matched the body (filter_default_fail)");
  return { kind: "ign", rid: ping.rid, exitStatus: ping.exitStatus };
}
