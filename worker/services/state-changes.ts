import { sql } from "drizzle-orm";
import { flips } from "../db/schema";
import type { CheckEvent, StoredStatus } from "../domain/state";
import { col } from "./columns";
import type { UnitOfWork } from "./unit-of-work";

// The `flips` table holds a check's history of two kinds of rows, each with one writer:
// - transitions (domain/state.ts `Flip`): the status changed, or a down check went down for a new
//   reason. Only the flip_on_status trigger writes them (migrations/0010_first_hour.sql), in the
//   statement that UPDATEs checks.status / status_reason: a service changes a check's state by
//   updating the check, never by inserting here, so no state change can go unrecorded.
// - events (`CheckEvent`): news that leaves the status as it is (a retention shortfall, a failed
//   drill, the quota past 95 %), a row with from = to. `recordEvent` is their only writer.
// Both are read the same way (the outbox, the check's history in services/history.ts); the alert
// rules tell events apart by their reason (domain/alerts/rules.ts NOTICE_REASONS).

/**
 * Adds an event to a unit of work, so it is stored with the change it reports or not at all.
 * `check.status` is the status as read with the unit's other reads: an event leaves it unchanged,
 * and reading it again here would cost a D1 row per event.
 */
export function recordEvent(
  unit: UnitOfWork,
  check: { id: number; status: StoredStatus },
  event: CheckEvent,
  at: number,
): UnitOfWork {
  return unit.write(
    unit.db.insert(flips).values({
      checkId: check.id,
      fromStatus: check.status,
      toStatus: check.status,
      reason: event.reason,
      detail: event.detail,
      createdAt: at,
    }),
  );
}

/**
 * In a query over `flips` (not aliased): the row is an up or down transition. Events repeat the
 * status they leave unchanged, and a down → down change of reason changes no state either, so
 * neither counts as a state change (flapping, the status page's incidents).
 */
export const UP_DOWN_CHANGE = sql`${col(flips, "fromStatus")} <> ${col(flips, "toStatus")}
  AND ${col(flips, "toStatus")} IN ('up', 'down')`;
