import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checks, flips } from "../../worker/db/schema";
import { applyTimeout, type StoredStatus } from "../../worker/domain/state";
import { openDb } from "../../worker/services/db";
import { markOverdue } from "../../worker/services/sweep";

// The timeout transition is written twice on purpose: the sweep's set-based UPDATE (one statement
// for every overdue check, through the checks_due partial index) and domain/state.ts applyTimeout
// (what the API and the pages show before the sweep runs: pendingTimeout). This property ties them:
// on any checks, the sweep writes exactly what applyTimeout computes, and the flip it records.

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const db = () => openDb(env.DB);

const checkState = fc.record({
  status: fc.constantFrom<StoredStatus>("new", "up", "down", "paused"),
  alertAfter: fc.option(fc.integer({ min: -30, max: 30 }).map((m) => T0 + m * MIN)),
  lastStartAt: fc.option(fc.integer({ min: -90, max: 0 }).map((m) => T0 + m * MIN)),
  statusReason: fc.constantFrom(null, "ping", "fail", "timeout"),
});

describe("the sweep's timeout and the domain's are one rule", () => {
  it("marks down exactly the checks applyTimeout times out, with its state and its flip", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(checkState, { minLength: 1, maxLength: 6 }), async (states) => {
        run++;
        // One insert per check: a check row binds more parameters than D1 allows six times over.
        const rows = [];
        for (const [i, s] of states.entries()) {
          const [row] = await db()
            .insert(checks)
            .values({
              uuid: crypto.randomUUID(),
              slug: `timeout-rule-${run}-${i}`,
              name: `timeout rule ${run} ${i}`,
              periodS: 3600,
              graceS: 600,
              ...s,
              lastStartRid: s.lastStartAt === null ? null : "rid",
              nextDueAt: s.alertAfter === null ? null : s.alertAfter - 600_000,
              revision: "r0",
              createdAt: T0 - 120 * MIN,
              updatedAt: T0 - 120 * MIN,
            })
            .returning();
          rows.push(row!);
        }
        const ids = rows.map((r) => r.id);
        try {
          const { timedOut } = await markOverdue(db(), T0);
          const after = await db().select().from(checks).where(inArray(checks.id, ids));
          const recorded = await db().select().from(flips).where(inArray(flips.checkId, ids));
          let expectedTimeouts = 0;
          for (const before of rows) {
            const timeout = applyTimeout(before, T0);
            const stored = after.find((r) => r.id === before.id)!;
            const flip = recorded.filter((f) => f.checkId === before.id);
            if (!timeout) {
              expect(stored).toEqual(before);
              expect(flip).toEqual([]);
              continue;
            }
            expectedTimeouts++;
            expect({
              status: stored.status,
              alertAfter: stored.alertAfter,
              lastStartAt: stored.lastStartAt,
              lastStartRid: stored.lastStartRid,
            }).toEqual({
              status: timeout.state.status,
              alertAfter: timeout.state.alertAfter,
              lastStartAt: timeout.state.lastStartAt,
              lastStartRid: timeout.state.lastStartRid,
            });
            expect({ reason: stored.statusReason, detail: stored.statusDetail }).toEqual({
              reason: timeout.flip.reason,
              detail: timeout.flip.detail,
            });
            // Dated at the deadline it missed, as pendingTimeout dates it.
            expect(
              flip.map((f) => ({
                from: f.fromStatus,
                to: f.toStatus,
                reason: f.reason,
                detail: f.detail,
                at: f.createdAt,
              })),
            ).toEqual([{ ...timeout.flip, at: before.alertAfter }]);
          }
          expect(timedOut).toBe(expectedTimeouts);
        } finally {
          await db().delete(flips).where(inArray(flips.checkId, ids));
          for (const id of ids) await db().delete(checks).where(eq(checks.id, id));
        }
      }),
      { numRuns: 60 },
    );
  });
});
