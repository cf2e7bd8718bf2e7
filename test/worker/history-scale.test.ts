import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { openDb } from "../../worker/services/db";
import { CHECKS_PER_RUN as SLICE, pruneHistory } from "../../worker/services/history";

// In a file of its own: storage is per file, and 10,000 checks with 50,000 flips would crowd
// other tests. The figure this guards: one pruning run reads a bounded number of rows, set by
// the slice of checks it visits, not by the number of checks or of flips in the database.

const DAY = 86_400_000;
const CHECKS = 10_000;

it(`prunes ${CHECKS.toLocaleString("en")} checks' history a slice at a time, with bounded reads`, async () => {
  const now = Date.now();
  await env.DB.prepare("DELETE FROM checks").run();
  await env.DB.prepare(
    "INSERT INTO channels (uuid, name, kind, config, created_at) VALUES ('00000000-0000-4000-8000-00000000c4a1', 'scale', 'webhook', '{}', ?)",
  )
    .bind(now - 400 * DAY)
    .run();
  const channel = (await env.DB.prepare("SELECT id FROM channels WHERE name = 'scale'").first<{ id: number }>())!.id;
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
     INSERT INTO checks (uuid, slug, name, grace_s, period_s, status, revision, created_at, updated_at)
     SELECT printf('00000000-0000-4000-8000-%012d', i), 'bulk-' || i, 'bulk ' || i, 60, 3600, 'up', 'r', ?1, ?1
     FROM n`,
  )
    .bind(now - 400 * DAY, CHECKS)
    .run();
  // Each check: four flips before the cutoff (300, 250, 200 and 150 days ago) and one yesterday,
  // every one notified to the channel. Per check, the three oldest go; the newest old flip stays
  // (the state the kept history starts from), and yesterday's notification is the channel's belief.
  const ages = [300, 250, 200, 150, 1];
  await env.DB.prepare(
    `WITH age(d, k) AS (VALUES ${ages.map((d, k) => `(${d}, ${k})`).join(", ")})
     INSERT INTO flips (check_id, from_status, to_status, reason, created_at, processed_at)
     SELECT c.id, CASE WHEN age.k % 2 = 0 THEN 'up' ELSE 'down' END, CASE WHEN age.k % 2 = 0 THEN 'down' ELSE 'up' END,
       'timeout', ?1 - age.d * ${DAY}, ?1 - age.d * ${DAY}
     FROM checks c, age ORDER BY c.id, age.k`,
  )
    .bind(now)
    .run();
  await env.DB.prepare(
    `INSERT INTO notifications (idempotency_key, flip_id, channel_id, check_id, kind, status, next_attempt_at, created_at)
     SELECT f.id || ':' || ?1, f.id, ?1, f.check_id, f.to_status, 'sent', f.created_at, f.created_at FROM flips f ORDER BY f.id`,
  )
    .bind(channel)
    .run();
  const count = async (table: string) =>
    (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
  expect(await count("flips")).toBe(CHECKS * ages.length);

  const run = await pruneHistory(openDb(env.DB), now);
  const flipsGone = CHECKS * ages.length - (await count("flips"));
  console.log(
    `history pruning, ${CHECKS} checks × ${ages.length} flips: one run deleted ${flipsGone} flips ` +
      `(+ their notifications) reading ${run.rowsRead} rows, ${(run.rowsRead / SLICE).toFixed(1)} per visited check`,
  );
  expect(flipsGone).toBe(SLICE * 3);
  expect(await count("notifications")).toBe(await count("flips"));
  // Per visited check: its flips by index, the newest-before-cutoff lookup, each candidate's
  // notifications and the newer-notification probe, and the deletes' own index reads (measured: 50,
  // for 3 flips and 3 notifications deleted). Bounded by the slice, not by the 50,000 flips.
  expect(run.rowsRead).toBeLessThanOrEqual(SLICE * 60);

  // A second run takes the next slice; nothing in the first slice is read again.
  const second = await pruneHistory(openDb(env.DB), now);
  expect(CHECKS * ages.length - (await count("flips"))).toBe(2 * SLICE * 3);
  expect(second.rowsRead).toBeLessThanOrEqual(SLICE * 60);

  // Revisiting a slice with nothing left to delete (after the cursor wraps) costs a few reads a check.
  await env.DB.prepare("DELETE FROM settings WHERE key = 'history_prune_cursor'").run();
  const revisit = await pruneHistory(openDb(env.DB), now);
  console.log(
    `revisit of a pruned slice: ${revisit.rowsRead} rows, ${(revisit.rowsRead / SLICE).toFixed(1)} per check`,
  );
  expect(revisit.deleted).toBe(0);
  expect(revisit.rowsRead).toBeLessThanOrEqual(SLICE * 20);
});
