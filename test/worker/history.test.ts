import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../worker/services/db";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { HISTORY_DAYS, pruneDue, pruneHistory } from "../../worker/services/history";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck } from "../helpers/api";

// Old flips and notifications are pruned, except what later decisions still read. History is
// written with SQL at chosen times (a flip's time comes from the clock of the request that made it);
// the pruning and the recovery alert that must survive it run through the Worker's own code.

const DAY = 86_400_000;
const receiver = inject("receiverUrl");
const db = () => openDb(env.DB);
const NOW = Date.now();
const ago = (days: number) => NOW - days * DAY;

async function flip(checkId: number, from: string, to: string, at: number, reason = to === "up" ? "ping" : "timeout") {
  const row = await env.DB.prepare(
    `INSERT INTO flips (check_id, from_status, to_status, reason, created_at, processed_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(checkId, from, to, reason, at, at)
    .first<{ id: number }>();
  return row!.id;
}

async function notify(flipId: number, channelId: number, checkId: number, kind: string, status: string, at: number) {
  await env.DB.prepare(
    `INSERT INTO notifications (idempotency_key, flip_id, channel_id, check_id, kind, status, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      `${flipId}:${channelId}`,
      flipId,
      channelId,
      checkId,
      kind,
      status,
      status === "pending" ? NOW + 3650 * DAY : at,
      at,
    )
    .run();
}

const idOf = async (uuid: string) =>
  (await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?").bind(uuid).first<{ id: number }>())!.id;
const flipsOf = async (checkId: number) =>
  (
    await env.DB.prepare("SELECT id FROM flips WHERE check_id = ? ORDER BY id").bind(checkId).all<{ id: number }>()
  ).results.map((r) => r.id);
const notifiedFlips = async (checkId: number) =>
  (
    await env.DB.prepare("SELECT flip_id FROM notifications WHERE check_id = ? ORDER BY flip_id")
      .bind(checkId)
      .all<{ flip_id: number }>()
  ).results.map((r) => r.flip_id);

describe("history pruning", () => {
  it(`keeps ${HISTORY_DAYS} days, each check's state before them, and what channels still rely on`, async () => {
    const response = await call("POST", "/api/v1/channels", {
      body: { kind: "webhook", url: `${receiver}/hook/history`, filter: { tags: ["history"], checks: [] } },
    });
    expect(response.status).toBe(201);
    const channel = (await env.DB.prepare("SELECT id FROM channels ORDER BY id DESC LIMIT 1").first<{ id: number }>())!
      .id;
    // The channel existed long before the history below (fan-out skips flips older than a channel).
    await env.DB.prepare("UPDATE channels SET created_at = ? WHERE id = ?").bind(ago(400), channel).run();

    // A: an ordinary past. Everything before the cutoff goes but its newest flip; recent history stays.
    const a = await idOf((await createCheck({ name: "history a", tags: ["history"] })).uuid);
    const a0 = await flip(a, "new", "up", ago(250));
    const a1 = await flip(a, "up", "down", ago(200));
    await notify(a1, channel, a, "down", "sent", ago(200));
    const a2 = await flip(a, "down", "up", ago(150));
    await notify(a2, channel, a, "up", "sent", ago(150));
    const a3 = await flip(a, "up", "down", ago(120));
    await notify(a3, channel, a, "down", "sent", ago(120));
    const a4 = await flip(a, "down", "up", ago(10));
    await notify(a4, channel, a, "up", "sent", ago(10));

    // B: down for 200 days; its newest old flip is a failed-drill notice, so the "down" the
    // channel was told of lives on an older flip, which must stay for the recovery to be news.
    const bCheck = await createCheck({ name: "history b", tags: ["history"] });
    const b = await idOf(bCheck.uuid);
    const b0 = await flip(b, "new", "up", ago(250));
    await env.DB.prepare("UPDATE checks SET status = 'down', alert_after = NULL WHERE id = ?").bind(b).run();
    // The status change wrote its flip through the trigger, now; it becomes the old "went down".
    await env.DB.prepare("UPDATE flips SET from_status = 'up', created_at = ?, processed_at = ? WHERE id = ?")
      .bind(ago(200), ago(200), (await flipsOf(b)).at(-1))
      .run();
    const b1 = (await flipsOf(b)).at(-1)!;
    await notify(b1, channel, b, "down", "sent", ago(200));
    const b2 = await flip(b, "down", "down", ago(150), "drill_failed");
    await notify(b2, channel, b, "drill", "sent", ago(150));

    // C: a notification still being retried keeps its flip.
    const c = await idOf((await createCheck({ name: "history c", tags: ["history"] })).uuid);
    const c1 = await flip(c, "up", "down", ago(200));
    await notify(c1, channel, c, "down", "pending", ago(200));
    const c2 = await flip(c, "down", "down", ago(150), "retention");

    const { deleted } = await pruneHistory(db(), NOW);
    expect(await flipsOf(a)).toEqual([a3, a4]);
    expect(await notifiedFlips(a)).toEqual([a3, a4]); // a1's and a2's went with their flips
    expect(await flipsOf(b)).toEqual([b1, b2]);
    expect(await flipsOf(c)).toEqual([c1, c2]);
    expect(b0).toBeLessThan(b1);
    expect(a0).toBeLessThan(a1);
    // Flips a0, a1, a2 and b0, and the notifications of a1 and a2.
    expect(deleted).toBeGreaterThanOrEqual(4);
    expect(deleted).toBeLessThanOrEqual(6);

    // B recovers: the channel was told it went down, 200 days ago, so the recovery is news to it.
    expect((await call("GET", `/ping/${bCheck.uuid}`, { token: null })).status).toBe(200);
    await runSweep(sweepContext(env, "https://lifeboat.test", Date.now() + 1000));
    const received: any[] = await (await fetch(`${receiver}/_requests/history`)).json();
    expect(received.map((r) => `${JSON.parse(r.body).event} ${JSON.parse(r.body).check.name}`)).toEqual([
      "check.up history b",
    ]);
  });

  it("walks the checks in slices with a cursor that wraps around, and runs hourly", async () => {
    const cursor = async () =>
      (await env.DB.prepare("SELECT value FROM settings WHERE key = 'history_prune_cursor'").first<any>())?.value;
    const last = (await env.DB.prepare("SELECT max(id) AS id FROM checks").first<{ id: number }>())!.id;
    await env.DB.prepare("DELETE FROM settings WHERE key = 'history_prune_cursor'").run();
    await pruneHistory(db(), NOW);
    expect(await cursor()).toBe(String(last)); // every check fits in one slice here
    expect((await pruneHistory(db(), NOW)).deleted).toBe(0);
    expect(await cursor()).toBe("0"); // past the last check: the next run starts again from the first
    expect(pruneDue(Date.UTC(2026, 11, 1, 3, 17, 30))).toBe(true);
    expect(pruneDue(Date.UTC(2026, 11, 1, 3, 18))).toBe(false);
  });
});
