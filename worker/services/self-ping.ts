// The sweep's heartbeat to the outside (SELF_PING_URL): any healthchecks-compatible ping URL —
// healthchecks.io, or a check on another Lifeboat — so a cron that stops, or fails on every run,
// is noticed by something that does not depend on this Worker.

export const SELF_PING_TIMEOUT_MS = 5_000;

/** The URL's `/fail` form: healthchecks appends it to the path, before any query string. */
export function failUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/fail`;
  return parsed.toString();
}

/**
 * Pings `url` (or its /fail) with a short text body. Bounded by SELF_PING_TIMEOUT_MS and never
 * throws: a monitor that is down must not break the sweep it watches. Nothing is logged of the URL,
 * which is a secret (anyone holding it can ping).
 */
export async function selfPing(url: string | undefined, outcome: { ok: boolean; body: string }): Promise<boolean> {
  if (!url) return false;
  try {
    const response = await fetch(outcome.ok ? url : failUrl(url), {
      method: "POST",
      headers: { "Content-Type": "text/plain; charset=utf-8", "User-Agent": "lifeboat-sweep" },
      body: outcome.body.slice(0, 10_000),
      signal: AbortSignal.timeout(SELF_PING_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) console.error(`self-ping answered HTTP ${response.status}`);
    return response.ok;
  } catch (error) {
    console.error("self-ping failed:", error instanceof Error ? error.name : "error");
    return false;
  }
}
