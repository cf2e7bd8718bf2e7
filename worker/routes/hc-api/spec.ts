import { z } from "@hono/zod-openapi";
import { cronProblem, isTimeZone } from "../../domain/schedule";
import { tagsOf } from "../../domain/hc-compat";
import { Tag } from "../api/check-schemas";

const YEAR_S = 31_536_000;

/**
 * healthchecks' check spec (hc/api/views.py `Spec`): every field optional, no nulls, strict types.
 * Lifeboat's own limits apply on top (a 64-character slug, tags of Tag's characters, 5-field
 * cron only); fields healthchecks does not know are ignored, as pydantic ignores them.
 */
export const HcSpec = z
  .object({
    channels: z.string().openapi({ description: '"*" (all), "" (none) or channel uuids/names, comma-separated' }),
    desc: z.string().max(2000),
    failure_kw: z.string().max(200),
    filter_subject: z.boolean(),
    filter_body: z.boolean(),
    filter_http_body: z.boolean(),
    filter_default_fail: z.boolean(),
    grace: z.number().int().min(60).max(YEAR_S),
    manual_resume: z.boolean(),
    methods: z.enum(["", "POST"]),
    name: z.string().max(100),
    schedule: z
      .string()
      .max(100)
      .openapi({ description: "a 5-field cron expression (OnCalendar is not supported)", example: "0 3 * * *" }),
    slug: z
      .string()
      .max(64)
      .regex(/^[a-z0-9_-]*$/),
    start_kw: z.string().max(200),
    subject: z.string().max(200).openapi({ description: "deprecated: success_kw with filter_subject" }),
    subject_fail: z.string().max(200).openapi({ description: "deprecated: failure_kw with filter_subject" }),
    success_kw: z.string().max(200),
    tags: z.string().max(500).openapi({ description: "space-separated", example: "prod www" }),
    timeout: z.number().int().min(60).max(YEAR_S),
    tz: z.string().refine(isTimeZone, { params: { hc: "is not a valid timezone" } }),
    unique: z.array(z.enum(["name", "slug", "tags", "timeout", "grace"])),
  })
  .partial()
  .superRefine((spec, ctx) => {
    if (spec.schedule !== undefined) {
      const fields = spec.schedule.trim().split(/\s+/).length;
      const problem = fields === 5 ? cronProblem(spec.schedule, spec.tz ?? "UTC") : "OnCalendar";
      if (problem) {
        const hc =
          problem === "OnCalendar"
            ? "is not a valid cron expression (Lifeboat takes 5-field cron, not OnCalendar)"
            : "is not a valid cron or OnCalendar expression";
        ctx.addIssue({ code: "custom", path: ["schedule"], params: { hc } });
      }
    }
    const tags = spec.tags === undefined ? [] : tagsOf(spec.tags);
    if (tags.length > 20 || tags.some((tag) => !Tag.safeParse(tag).success)) {
      ctx.addIssue({
        code: "custom",
        path: ["tags"],
        params: { hc: "has a tag Lifeboat cannot keep (at most 20, each 1–40 of A-Z a-z 0-9 _ . : -)" },
      });
    }
  })
  .openapi("HealthchecksCheckSpec");

export type HcSpec = z.infer<typeof HcSpec>;

/** pydantic's first error in healthchecks' words: "json validation error: timeout is too small". */
export function hcValidationMessage(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const [field, index] = issue.path;
  const subject = index === undefined ? String(field ?? "value") : `an item in '${String(field)}'`;
  return `json validation error: ${subject} ${problemOf(issue)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a number",
  boolean: "a boolean",
  array: "an array",
};

function problemOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `is not ${TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`}`;
    case "too_big":
      return issue.origin === "string" ? "is too long" : "is too large";
    case "too_small":
      return "is too small";
    case "invalid_value":
      return "has unexpected value";
    case "invalid_format":
      return "does not match pattern";
    case "custom":
      return (issue.params as { hc?: string } | undefined)?.hc ?? issue.message;
    default:
      return "is not valid";
  }
}
