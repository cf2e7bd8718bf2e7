import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { REQUEST_COSTS } from "../../worker/domain/free-plan";
import { openDb } from "../../worker/services/db";
import { planProjection } from "../../worker/services/free-plan";
import { createAgentKey } from "../helpers/agent";
import { createCheck } from "../helpers/api";
import { bytesOf, uploadBackup } from "../helpers/backups";

const { backupRegister, backupPart, backupComplete } = REQUEST_COSTS;

describe("the Free plan budget of backup checks", () => {
  it("costs each backup of the last day as register + its parts + complete, its completion ping included", async () => {
    await createCheck({ name: "db", slug: "db", kind: "backup", period_s: 86_400, grace_s: 3600 });
    const key = await createAgentKey(["db"], ["upload"]);
    const threeParts = async () => uploadBackup(key, "db", bytesOf(3000, Math.random() * 1e6), 1000);
    await threeParts();
    await threeParts();

    const plan = await planProjection(openDb(env.DB), Date.now());
    const db = plan.checks.find((c) => c.name === "db")!;
    expect(db.perDay).toBe(2); // more than the schedule's one a day: what happened wins
    expect(db.signed).toBe(true);
    const oneBackup = (r: "rows_written" | "requests") => backupRegister[r] + 3 * backupPart[r] + backupComplete[r];
    expect(db.cost.rows_written).toBe(2 * oneBackup("rows_written"));
    expect(db.cost.requests).toBe(2 * 5);
  });
});
