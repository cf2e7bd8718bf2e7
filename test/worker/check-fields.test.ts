import { env } from "cloudflare:workers";
import { getTableColumns, is, SQL, type Column } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { checks } from "../../worker/db/schema";
import { CHECK_DEFAULTS, CHECK_FIELDS, inputOf, mergeFields, RETENTION_FIELDS } from "../../worker/domain/check-fields";
import { OWNED_COLUMNS } from "../../worker/domain/check-fields/columns";
import { DEFAULT_MIN_AGE_DAYS } from "../../worker/domain/retention";
import { openDb } from "../../worker/services/db";
import { CheckView, CreateCheck, UpdateCheck } from "../../worker/routes/api/check-schemas";

/**
 * domain/check-fields is the one description of a check's settable fields: these hold the
 * generated surfaces and the defaults to it, and it to schema.ts and the migrations.
 */
const fields = Object.entries(CHECK_FIELDS);
const settable = Object.keys(getTableColumns(checks)).filter(
  (key) => !(OWNED_COLUMNS as readonly string[]).includes(key),
);
const fieldOf = (column: string) => fields.find(([, f]) => f.column === column);

/** healthchecks' defaults, where the database has none: a daily schedule with an hour of grace. */
const NOT_IN_THE_DATABASE = { periodS: 86_400, graceS: 3_600 };

describe("check fields: one definition", () => {
  it("every settable column of checks has one field, in the create and update schemas and in the view", () => {
    expect(settable.length).toBeGreaterThan(30);
    for (const column of settable) {
      const found = fields.filter(([, f]) => f.column === column);
      expect(
        found.map(([api]) => api),
        column,
      ).toHaveLength(1);
      const api = found[0]![0];
      expect(Object.keys(CreateCheck.shape), column).toContain(api);
      expect(Object.keys(UpdateCheck.shape), column).toContain(api);
      const shown = api in RETENTION_FIELDS ? CheckView.shape.retention.shape : CheckView.shape;
      expect(Object.keys(shown), column).toContain(api);
    }
    expect(fields).toHaveLength(settable.length);
  });

  it("the defaults are schema.ts's, and the migrations give a row the same", async () => {
    const dialect = new SQLiteSyncDialect();
    const columns: Record<string, Column> = getTableColumns(checks);
    for (const column of settable.filter((c) => c !== "name" && c !== "slug")) {
      const col = columns[column]!;
      const value = (CHECK_DEFAULTS as Record<string, unknown>)[column];
      if (column in NOT_IN_THE_DATABASE) {
        expect(col.hasDefault, column).toBe(false);
        expect(value, column).toBe(NOT_IN_THE_DATABASE[column as keyof typeof NOT_IN_THE_DATABASE]);
      } else if (!col.hasDefault) {
        expect([column, value]).toEqual([column, null]);
        expect(col.notNull, column).toBe(false);
      } else if (is(col.default, SQL)) {
        expect(dialect.sqlToQuery(col.default).sql, column).toBe(`'${JSON.stringify(value)}'`);
      } else {
        expect([column, value]).toEqual([column, col.default]);
      }
      expect(fieldOf(column), column).toBeDefined();
    }
    // The migrations are what D1 runs: a row inserted without the settable columns gets the defaults.
    await env.DB.prepare(
      `INSERT INTO checks (uuid, slug, name, grace_s, revision, created_at, updated_at)
       VALUES ('defaults-probe', 'defaults-probe', 'probe', 3600, 'r', 0, 0)`,
    ).run();
    const db = openDb(env.DB);
    const row = (await db.query.checks.findFirst({ where: eq(checks.uuid, "defaults-probe") }))!;
    const { name, slug, ...stored } = inputOf(row);
    expect([name, slug]).toEqual(["probe", "defaults-probe"]);
    expect({ ...stored, periodS: 86_400 }).toEqual(CHECK_DEFAULTS);
    // The domain's fallback for a policy without its own window is the same number.
    expect(DEFAULT_MIN_AGE_DAYS).toBe(CHECK_DEFAULTS.minAgeDays);
  });

  it("merges one way: a sent value wins (null clears), an unsent one keeps the base, a reference is the caller's", () => {
    const base = { ...CHECK_DEFAULTS, name: "n", slug: "s", keepDaily: 7, rpoS: 3600, parentId: 5 };
    const merged = mergeFields({ keep_daily: null, grace_s: 60, parent: "other", rpo_s: undefined }, base);
    expect(merged).toEqual({ ...base, keepDaily: null, graceS: 60 });
  });
});
