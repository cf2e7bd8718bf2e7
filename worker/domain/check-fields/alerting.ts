import { z } from "@hono/zod-openapi";
import { Slug } from "./check";
import { DURATION, field, reference, YEAR_S } from "./field";

/** When a ping or a silence becomes an alert, and where the alert folds into another check's. */
export const ALERTING_FIELDS = {
  failure_threshold: field(
    "failureThreshold",
    z.number().int().min(1).max(100).openapi({ description: "down only after N failures in a row" }),
    { label: "Failures before down", hint: "down only after N failures in a row" },
  ),
  flap_threshold: field(
    "flapThreshold",
    z.number().int().min(2).max(100).openapi({
      description: "more state changes than this in an hour is flapping: one alert instead of many",
    }),
    { label: "Flapping threshold", hint: "state changes per hour above which alerts are folded" },
  ),
  min_duration_s: field("minDurationS", z.number().int().min(1).max(YEAR_S).nullable(), {
    label: "Minimum run time",
    hint: `a success faster than this is a failure (${DURATION})`,
  }),
  early_s: field("earlyS", z.number().int().min(1).max(YEAR_S).nullable(), {
    label: "Too early",
    hint: `a success this long before it is due is a failure (${DURATION})`,
  }),
  parent: reference(
    "parentId",
    Slug.or(z.string().uuid()).nullable().openapi({
      description: "uuid or slug of the host's heartbeat check: while it is down, this check's alerts fold into it",
    }),
    {
      label: "Parent check",
      hint: "slug or uuid of the host's heartbeat; its outage silences this check",
      view: z
        .string()
        .nullable()
        .openapi({ description: "the parent check: its uuid, or its unique_key for the read-only token" }),
    },
  ),
};
