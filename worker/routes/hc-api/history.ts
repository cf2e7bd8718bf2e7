import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { pings, type CheckRow } from "../../db/schema";
import { isUuid } from "../../domain/ping-url";
import { AppError } from "../../errors";
import { listFlips } from "../../services/history";
import { findByUniqueKey } from "../../services/hc-checks";
import { fromBase64 } from "../../services/pings";
import { findCheckToPing, listPings } from "../../services/pings";
import { Hono } from "hono";
import { authorize, hcNotFound, methodNotAllowed, type HcContext, type HcEnv } from "./app";
import { hcFlipView, hcPingView } from "./views";

/** healthchecks' pings, ping body and flips endpoints. */
export const hcHistory = new Hono<HcEnv>();

async function checkOf(c: HcContext, allowUniqueKey: boolean): Promise<CheckRow> {
  const id = c.req.param("id") ?? "";
  const db = c.get("db");
  const row = isUuid(id)
    ? await findCheckToPing(db, { uuid: id.toLowerCase() })
    : allowUniqueKey && /^[0-9a-f]{40}$/.test(id)
      ? await findByUniqueKey(db, id)
      : undefined;
  if (!row) throw hcNotFound();
  return row;
}

hcHistory.get("/api/:version/checks/:id/pings", async (c) => {
  await authorize(c, "read-write");
  const check = await checkOf(c, false);
  const rows = await listPings(c.get("db"), check.id);
  return c.json({ pings: rows.map((row) => hcPingView(row, check, c.get("baseUrl"), c.get("v"))) });
});

const PingNumber = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

hcHistory.get("/api/:version/checks/:id/pings/:n/body", async (c) => {
  await authorize(c, "read-write");
  const check = await checkOf(c, false);
  const n = PingNumber.safeParse(c.req.param("n"));
  if (!n.success) throw hcNotFound();
  const [row] = await c
    .get("db")
    .select({ body: pings.body, base64: pings.bodyBase64 })
    .from(pings)
    .where(and(eq(pings.checkId, check.id), eq(pings.n, n.data)))
    .limit(1);
  if (!row?.body) throw hcNotFound();
  // Bytes that are not UTF-8 come back as they were sent (healthchecks serves the stored bytes).
  if (row.base64 !== null) return c.body(fromBase64(row.base64), 200, { "Content-Type": "text/plain" });
  return c.text(row.body, 200, { "Content-Type": "text/plain; charset=utf-8" });
});

/** healthchecks' FlipsFiltersForm: unix seconds 0–10^10, a window of at most a year. */
const Timestamp = z.coerce.number().int().min(0).max(10_000_000_000);
const FlipsQuery = z.object({
  start: Timestamp.optional(),
  end: Timestamp.optional(),
  seconds: z.coerce.number().int().min(0).max(31_536_000).optional(),
});

hcHistory.get("/api/:version/checks/:id/flips", async (c) => {
  await authorize(c, "read-only");
  const check = await checkOf(c, true);
  const query = FlipsQuery.safeParse(c.req.query());
  if (!query.success)
    throw new AppError("bad_request", "invalid flips filter: start, end and seconds are whole numbers");
  const { start, end, seconds } = query.data;
  const since = seconds ? Date.now() - seconds * 1000 : null;
  const flips = (await listFlips(c.get("db"), check.id)).filter(
    (flip) =>
      (start === undefined || flip.createdAt >= start * 1000) &&
      (end === undefined || flip.createdAt < end * 1000) &&
      (since === null || flip.createdAt >= since),
  );
  return c.json({ flips: flips.map(hcFlipView) });
});

for (const path of [
  "/api/:version/checks/:id/pings",
  "/api/:version/checks/:id/pings/:n/body",
  "/api/:version/checks/:id/flips",
]) {
  hcHistory.all(path, () => {
    throw methodNotAllowed();
  });
}
