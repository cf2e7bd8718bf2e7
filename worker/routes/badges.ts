import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app";
import { validationFailed } from "../app";
import { badgeSvg, endpointJson } from "../domain/status/badge";
import { badgeOf, BADGE_KINDS } from "../domain/status/badge-values";
import { AppError } from "../errors";
import { badgeFacts } from "../services/status-badges";

/**
 * /badge/<badge_key>/<state|rpo|drill>.<svg|json>: one value of one check, public or private; the
 * key is the secret. Anything unknown is the 404 every unknown path gets, so a guess learns nothing.
 */
export const badgeRoutes = new Hono<AppEnv>();

const Params = z.object({
  key: z.string().regex(/^[0-9a-f]{32}$/),
  file: z.string().regex(new RegExp(`^(${BADGE_KINDS.join("|")})\\.(svg|json)$`)),
});
const Query = z.object({ label: z.string().trim().min(1).max(60).optional() });

const noSuchPath = () => new AppError("not_found", "no such endpoint");

badgeRoutes.get("/:key/:file", async (c) => {
  const params = Params.safeParse(c.req.param());
  if (!params.success) throw noSuchPath();
  const query = Query.safeParse(c.req.query());
  if (!query.success) throw validationFailed("query", query.error);
  const facts = await badgeFacts(c.get("db"), params.data.key, Date.now());
  if (!facts) throw noSuchPath();
  const [kind, format] = params.data.file.split(".") as [(typeof BADGE_KINDS)[number], "svg" | "json"];
  const badge = badgeOf(kind, facts, Date.now(), query.data.label);
  // Short: a README badge should follow the check within a minute or two (GitHub's proxy honours it).
  c.header("Cache-Control", "public, max-age=60");
  c.header("X-Content-Type-Options", "nosniff");
  if (format === "json") {
    c.header("Access-Control-Allow-Origin", "*");
    return c.json(endpointJson(badge));
  }
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  return c.body(badgeSvg(badge), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
});
