import { Hono } from "hono";
import type { CheckRow } from "../../db/schema";
import type { Db } from "../../services/db";
import { pingKeyOf } from "../../domain/signing";
import { listBackups } from "../../services/backups";
import { getCheck } from "../../services/checks";
import { pingLog } from "../../services/dashboard";
import { listDrills } from "../../services/drills";
import { listFlips } from "../../services/history";
import { retentionPreview } from "../../services/retention";
import { filesByType, latestSnapshots, repositoryStats } from "../../services/restic-repos";
import { resticRepositoryOf } from "../api/keys";
import { CheckPage } from "../../views/admin/check-page";
import type { AdminEnv } from "./guard";

export const checkPageRoutes = new Hono<AdminEnv>();

const SAVED: Record<string, string> = {
  created: "Check created.",
  updated: "Changes saved.",
  paused: "Check paused: it cannot alert until resumed or pinged.",
  resumed: "Check resumed: waiting for its next ping.",
};

checkPageRoutes.get("/checks/:id", async (c) => {
  const db = c.get("db");
  const page = c.get("page");
  const check = await getCheck(db, c.req.param("id"));
  const [pings, flips, backups, retention, drills, pingKey] = await Promise.all([
    pingLog(db, check.id),
    listFlips(db, check.id, 50),
    check.kind === "backup" ? listBackups(db, { checkId: check.id, limit: 100, tombstoned: true }) : [],
    check.kind === "backup" ? retentionPreview(db, check, page.now) : null,
    check.kind === "backup" ? listDrills(db, check.id, 50) : [],
    page.role === "admin" ? pingKeyOf(c.env) : null,
  ]);
  const baseUrl = c.get("baseUrl");
  const restic = check.kind === "restic" ? await resticData(db, check, baseUrl) : null;
  const data = {
    check,
    // Ping URLs are capabilities: the read-only login does not see them (docs/SECURITY.md).
    pingUrls:
      pingKey === null
        ? null
        : ([`${baseUrl}/ping/${check.uuid}`, `${baseUrl}/ping/${pingKey}/${check.slug}`] as [string, string]),
    pings,
    flips,
    backups,
    retention,
    drills,
    restic,
  };
  return c.html(<CheckPage page={page} data={data} notice={SAVED[c.req.query("saved") ?? ""]} />);
});

async function resticData(db: Db, check: CheckRow, baseUrl: string) {
  const [stats] = await repositoryStats(db, check.id);
  const [types, snapshots] = await Promise.all([filesByType(db, stats!), latestSnapshots(db, check.id, 20)]);
  const repository = resticRepositoryOf(baseUrl, { id: "<key id>", scopes: ["restic"], checks: [check.slug] })!;
  return { stats: stats!, quotaBytes: check.quotaBytes, types, snapshots, repository };
}
