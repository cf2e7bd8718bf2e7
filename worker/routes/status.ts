import { Hono, type Context } from "hono";
import type { AppEnv } from "../app";
import { cachedRender, cacheSeconds } from "../services/status-cache";
import { loadStatus } from "../services/status";
import { statusFeed } from "../views/status/feed";
import { statusJson } from "../views/status/json";
import { StatusPage } from "../views/status/page";

/** The public surface: the status page, its JSON and its feed. Read-only, cached for a few seconds. */
export const statusRoutes = new Hono<AppEnv>();

/** What GET / answered before the status page; still there for clients that ask for JSON. */
export const API_INDEX = {
  name: "lifeboat",
  api: "/api/v1",
  openapi: "/api/openapi.json",
  status: "/status.json",
  feed: "/feed.atom",
};

// No script may run on these pages, whatever a name contains; styles are inline by design.
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const wantsJson = (accept: string | undefined) =>
  Boolean(accept && /application\/json/i.test(accept) && !/text\/html/i.test(accept));

statusRoutes.get("/", async (c) => {
  if (wantsJson(c.req.header("Accept"))) {
    c.header("Vary", "Accept");
    return c.json(API_INDEX);
  }
  const response = await cached(c, "html", async () => {
    const snapshot = await loadStatus(c.get("db"), c.env.STATUS_PAGE_TITLE, Date.now());
    return c.html(StatusPage({ snapshot }), 200, { "Content-Security-Policy": PAGE_CSP, Vary: "Accept" });
  });
  return response;
});

statusRoutes.get("/status.json", (c) =>
  cached(c, "json", async () => {
    const snapshot = await loadStatus(c.get("db"), c.env.STATUS_PAGE_TITLE, Date.now());
    return c.json(statusJson(snapshot), 200, { "Access-Control-Allow-Origin": "*" });
  }),
);

statusRoutes.get("/feed.atom", (c) =>
  cached(c, "atom", async () => {
    const snapshot = await loadStatus(c.get("db"), c.env.STATUS_PAGE_TITLE, Date.now());
    return c.body(statusFeed(snapshot, c.get("baseUrl")), 200, {
      "Content-Type": "application/atom+xml; charset=utf-8",
    });
  }),
);

function cached(c: Context<AppEnv>, variant: string, render: () => Promise<Response>) {
  const url = new URL(c.req.url);
  return cachedRender(
    { origin: url.origin, path: url.pathname, variant },
    cacheSeconds(c.env.STATUS_CACHE_S),
    c.executionCtx,
    render,
  );
}
