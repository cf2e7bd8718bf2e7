import { z } from "@hono/zod-openapi";
import { isTimeZone } from "../schedule";
import { DURATION, field, YEAR_S } from "./field";

/**
 * When a check expects its pings. healthchecks' defaults: daily, one hour of grace. Setting `cron`
 * switches the schedule to cron and setting `period_s` switches it back (routes/api/check-input.ts).
 */
export const SCHEDULE_FIELDS = {
  period_s: field(
    "periodS",
    z.number().int().min(60).max(YEAR_S).openapi({ description: "Expected interval between pings" }),
    { label: "Period", hint: `expected time between pings (${DURATION}); or give a cron expression`, default: 86_400 },
  ),
  cron: field(
    "cron",
    z.string().trim().min(1).max(100).openapi({ example: "0 3 * * *", description: "5-field cron expression" }),
    { label: "Cron expression", hint: "5 fields, e.g. 0 3 * * *; instead of a period" },
  ),
  tz: field("tz", z.string().refine(isTimeZone, "unknown IANA time zone").openapi({ example: "Europe/Berlin" }), {
    label: "Time zone",
    hint: "IANA name for cron and calendar retention, e.g. Europe/Berlin",
  }),
  grace_s: field("graceS", z.number().int().min(60).max(YEAR_S), {
    label: "Grace time",
    hint: DURATION,
    default: 3_600,
  }),
};
