import { z } from "@hono/zod-openapi";
import { DURATION, field, YEAR_S } from "./field";

const COUNT = "empty: rule off";
const count = (what: string) => z.number().int().min(0).max(100_000).nullable().openapi({ description: what });

/** The retention policy of a backup check (docs/RETENTION.md); null or 0 turns a rule off. */
export const RETENTION_FIELDS = {
  keep_last: field("keepLast", count("keep the N newest good backups"), { label: "Keep last", hint: COUNT }),
  keep_hourly: field("keepHourly", count("keep the newest backup of each of the last N hours (in tz)"), {
    label: "Keep hourly",
    hint: COUNT,
  }),
  keep_daily: field("keepDaily", count("… of each of the last N days"), { label: "Keep daily", hint: COUNT }),
  keep_weekly: field("keepWeekly", count("… of each of the last N ISO weeks"), { label: "Keep weekly", hint: COUNT }),
  keep_monthly: field("keepMonthly", count("… of each of the last N months"), { label: "Keep monthly", hint: COUNT }),
  keep_yearly: field("keepYearly", count("… of each of the last N years"), { label: "Keep yearly", hint: COUNT }),
  keep_within_s: field(
    "keepWithinS",
    z
      .number()
      .int()
      .min(0)
      .max(100 * YEAR_S)
      .nullable()
      .openapi({ description: "keep everything received within this of the newest good backup" }),
    { label: "Keep everything within", hint: `of the newest good backup (${DURATION}); empty: off` },
  ),
  min_age_days: field(
    "minAgeDays",
    z.number().int().min(0).max(3650).openapi({
      description:
        "immutability window each backup gets when it is received (default 7): nothing deletes it before then; lowering this never shortens a backup already received, raising it extends them",
    }),
    {
      label: "Immutable for (days)",
      hint: "each backup is kept this long from when it arrives; lowering it never shortens a backup already received",
    },
  ),
  tombstone_days: field(
    "tombstoneDays",
    z.number().int().min(0).max(365).openapi({ description: "how long a deleted backup stays restorable (default 3)" }),
    { label: "Restorable after deletion (days)" },
  ),
};

/** Said above the retention fields of the new-check form (routes/api/check-input.ts applies it). */
export const DEFAULT_RETENTION_NOTE =
  "New backup checks keep 7 daily, 4 weekly and 6 monthly backups (fewer calendar rules, plus the last 7, " +
  "for a job that runs less than daily) while every keep field is empty; 0 in one turns retention off.";
