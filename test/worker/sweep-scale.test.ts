import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { openDb } from "../../worker/services/db";
import { markOverdue } from "../../worker/services/sweep";

// In a file of its own: storage is per file, and 10,000 checks would crowd other tests' sweeps.
it("10,000 checks with 1 % due", async () => {
  const now = Date.now();
  await env.DB.prepare(`DELETE FROM checks`).run();
  await env.DB.prepare(
    `
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
    INSERT INTO checks (uuid, slug, name, grace_s, period_s, status, last_ping_at, next_due_at, alert_after, revision, created_at, updated_at)
    SELECT printf('00000000-0000-4000-8000-%012d', i), 'bulk-' || i, 'bulk ' || i, 60, 3600, 'up', ?1, ?1,
      CASE WHEN i % 100 = 0 THEN ?1 - 1000 ELSE ?1 + 3600000 END, 'r', ?1, ?1
    FROM n`,
  )
    .bind(now)
    .run();

  const report = await markOverdue(openDb(env.DB), now);
  console.log(`sweep over 10,000 checks, ${report.timedOut} due: rows_read=${report.rowsRead}`);
  expect(report.timedOut).toBe(100);
  // 3 reads per due check (index entry; then, in SQLite's second pass, rowid FIFO entry + table row): O(due).
  expect(report.rowsRead).toBeLessThanOrEqual(3 * report.timedOut + 100);

  const idle = await markOverdue(openDb(env.DB), now);
  console.log(`idle sweep over 10,000 checks: rows_read=${idle.rowsRead}`);
  expect(idle.rowsRead).toBeLessThanOrEqual(10);
});
