import { sql } from "drizzle-orm";
import { integer, SQLiteAsyncDialect, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { checks, notifications } from "../../worker/db/schema";
import type { CheckEvent } from "../../worker/domain/state";
import { col, type RawAs, type RawRow } from "../../worker/services/columns";
import { recordEvent } from "../../worker/services/state-changes";

// Issue 17 item 4: raw SQL names its columns and types its rows through schema.ts, so renaming a
// column there fails `tsc` (npm run typecheck) where a query still uses the old name. The lines
// marked as expected errors are the proof: each must be an error, or the typecheck fails.

/** schema.ts's notifications.check_id as if renamed to flip_check in the database. */
const renamed = sqliteTable("notifications", { checkId: integer("flip_check"), kind: text("kind") });

const dialect = new SQLiteAsyncDialect();
const render = (query: ReturnType<typeof sql>) => dialect.sqlToQuery(query).sql;

describe("raw SQL is tied to schema.ts", () => {
  it("renders columns by the names schema.ts gives them", () => {
    expect(render(sql`SELECT ${col(notifications, "checkId")} FROM notifications`)).toBe(
      'SELECT "check_id" FROM notifications',
    );
    expect(render(sql`SELECT ${col(renamed, "checkId")} FROM notifications`)).toBe(
      'SELECT "flip_check" FROM notifications',
    );
  });

  it("fails the typecheck when a row or a column uses a name schema.ts does not have", () => {
    const row: RawRow<typeof notifications, "checkId" | "kind"> = { check_id: 1, kind: "down" };
    // @ts-expect-error after the rename the row's key is flip_check: code reading check_id fails
    const stale: RawRow<typeof renamed, "checkId"> = { check_id: 1 };
    // @ts-expect-error a property key that schema.ts does not declare
    const missing = () => col(notifications, "check_id");
    // @ts-expect-error JSON columns come back from raw SQL as their text, not parsed
    const parsed: RawRow<typeof checks, "tags"> = { tags: ["nightly"] };
    const stored: RawAs<typeof checks, "tags", "check_tags"> = { check_tags: '["nightly"]' };
    expect([row, stale, missing, parsed, stored]).toHaveLength(5);
  });

  it("accepts only event reasons in recordEvent: transitions are the trigger's", () => {
    const event: CheckEvent = { reason: "drill_failed", detail: "restore failed" };
    // @ts-expect-error "timeout" is a transition; it is recorded by changing the check's status
    const transition: CheckEvent = { reason: "timeout", detail: "no ping" };
    expect([event, transition, recordEvent]).toHaveLength(3);
  });
});
