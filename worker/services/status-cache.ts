/**
 * The public pages are the same for every visitor for a few seconds, so they are rendered at most
 * once per `ttlS` per isolate (a module-level memo, which also works on workers.dev) and, where
 * Cloudflare offers it (a custom domain), once per data centre through the Cache API. `ttlS` 0
 * turns both off (tests, benchmarks). The key is the path and the variant only: a query string
 * cannot force a render.
 */
const memo = new Map<string, { expires: number; body: ArrayBuffer; headers: [string, string][]; status: number }>();
const MAX_MEMO = 20;

export async function cachedRender(
  key: { origin: string; path: string; variant: string },
  ttlS: number,
  ctx: Pick<ExecutionContext, "waitUntil">,
  render: () => Promise<Response>,
  now = Date.now(),
): Promise<Response> {
  if (ttlS <= 0) return withCacheControl(await render(), 0);
  const id = `${key.path}|${key.variant}`;
  const hit = memo.get(id);
  if (hit && hit.expires > now) return new Response(hit.body, { status: hit.status, headers: hit.headers });

  const url = `${key.origin}${key.path}?lifeboat-variant=${encodeURIComponent(key.variant)}`;
  const cache = typeof caches === "undefined" ? undefined : (caches as unknown as { default: Cache }).default;
  const cached = await cache?.match(url).catch(() => undefined);
  if (cached) return cached;

  const response = withCacheControl(await render(), ttlS);
  const body = await response.arrayBuffer();
  const headers = [...response.headers];
  if (memo.size >= MAX_MEMO) memo.clear();
  memo.set(id, { expires: now + ttlS * 1000, body, headers, status: response.status });
  if (cache && response.status === 200) {
    ctx.waitUntil(cache.put(url, new Response(body.slice(0), { headers })).catch(() => undefined));
  }
  return new Response(body, { status: response.status, headers });
}

function withCacheControl(response: Response, ttlS: number): Response {
  response.headers.set("Cache-Control", ttlS > 0 ? `public, max-age=${ttlS}` : "no-store");
  return response;
}

/** STATUS_CACHE_S from the environment; 30 s when unset or not a number. */
export function cacheSeconds(value: string | undefined): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, 3600) : 30;
}
