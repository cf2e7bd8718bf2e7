import { z } from "@hono/zod-openapi";
import { DURATION, field, YEAR_S } from "./field";

/** What a backup check expects of its backups: how fresh, how often proven by a restore, how they change. */
export const BACKUP_FIELDS = {
  rpo_s: field(
    "rpoS",
    z
      .number()
      .int()
      .min(60)
      .max(10 * YEAR_S)
      .nullable()
      .openapi({
        description:
          "recovery point objective: how old the newest good backup may get; null: the schedule's longest interval + grace_s",
      }),
    {
      label: "RPO",
      hint: `the most data you may lose: the newest good backup must be younger (${DURATION})`,
      viewNote: "the configured RPO; null: derived from the schedule",
    },
  ),
  drill_every_s: field(
    "drillEveryS",
    z
      .number()
      .int()
      .min(3600)
      .max(10 * YEAR_S)
      .nullable()
      .openapi({ description: "backup checks: a restore drill is expected this often; null: no expectation" }),
    { label: "Restore drill every", hint: `alert when no restore was verified for this long (${DURATION})` },
  ),
  min_size_fraction: field(
    "minSizeFraction",
    z.number().min(0).max(1).openapi({
      description: "backup checks: a backup smaller than this fraction of the median of the last 7 is suspicious",
    }),
    { label: "Minimum size fraction", hint: "a backup smaller than this × the median of the last 7 is suspicious" },
  ),
  expect_change: field(
    "expectChange",
    z.boolean().openapi({ description: "backup checks: a backup identical to the previous one is suspicious" }),
    { label: "Expect every backup to differ", hint: "an identical backup is suspicious" },
  ),
};

/** restic checks: the repository's limits. */
export const RESTIC_FIELDS = {
  quota_bytes: field(
    "quotaBytes",
    z
      .number()
      .int()
      .min(1)
      .max(2 ** 53 - 1)
      .nullable()
      .openapi({ description: "restic checks: the repository's storage quota; an upload beyond it is refused (507)" }),
    { label: "Repository quota (bytes)", hint: "restic checks: uploads beyond it are refused; empty: none" },
  ),
};
