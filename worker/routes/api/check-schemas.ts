import { z } from "@hono/zod-openapi";
import { CHECK_KINDS } from "../../db/schema";
import { cronProblem } from "../../domain/schedule";
import {
  ADMIN_ONLY,
  CHECK_FIELDS,
  inputShape,
  RETENTION_FIELDS,
  Tag,
  TOP_LEVEL_FIELDS,
  viewShape,
} from "../../domain/check-fields";

export { Slug, Tag } from "../../domain/check-fields";

/** Fields shared by create and update; all optional here, defaults applied on create (check-fields). */
const CheckFields = z.object(inputShape(CHECK_FIELDS));

type Fields = Partial<z.infer<typeof CheckFields>>;

/** Cross-field rules that apply to a create and to an update merged over the stored check. */
export function scheduleIssues(fields: Fields, ctx: z.RefinementCtx): void {
  if (fields.period_s !== undefined && fields.cron !== undefined) {
    ctx.addIssue({ code: "custom", path: ["cron"], message: "give either period_s or cron, not both" });
  }
  if (fields.cron !== undefined) {
    const problem = cronProblem(fields.cron, fields.tz ?? "UTC");
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
  }
}

export const CreateCheck = CheckFields.partial()
  .required({ name: true })
  .strict()
  .superRefine(scheduleIssues)
  .openapi("CreateCheck");

export const UpdateCheck = CheckFields.partial().strict().superRefine(scheduleIssues).openapi("UpdateCheck");

export const CheckParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, description: "uuid, slug or unique_key" }),
});

export const ListChecksQuery = z.object({
  tag: Tag.optional(),
  kind: z.enum(CHECK_KINDS).optional(),
  status: z.enum(["new", "up", "down", "paused"]).optional().openapi({ description: "stored status" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().min(0).optional().openapi({ description: "next_cursor of the previous page" }),
});

const Iso = z.string().nullable().openapi({ example: "2026-11-23T03:00:12.000Z" });

/** A check as the API shows it (views.ts `checkView`): its fields, its state and its URLs. */
export const CheckView = z
  .object({
    uuid: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: `the ping capability; ${ADMIN_ONLY}` }),
    unique_key: z.string().openapi({
      description: "a stable id that grants nothing (healthchecks' unique_key): usable wherever a check id is",
    }),
    ...viewShape(TOP_LEVEL_FIELDS),
    status: z.enum(["new", "up", "late", "down", "paused", "started"]),
    status_reason: z.string().nullable(),
    retention: z.object({
      ...viewShape(RETENTION_FIELDS),
      problem: z
        .string()
        .nullable()
        .openapi({ description: "what the stored history lacks against the policy, in words" }),
      summary: z.string().openapi({
        description: "the policy in words",
        example: "keeps 7 daily, 4 weekly and 6 monthly backups; nothing younger than 7 days is deleted",
      }),
      default: z.boolean().openapi({
        description:
          "true while a backup check has the keep rules Lifeboat chose for its schedule (they follow a schedule change)",
      }),
    }),
    effective_rpo_s: z
      .number()
      .openapi({ description: "the RPO in force: rpo_s, or the schedule's longest interval + grace_s" }),
    badges: z
      .object({
        state_svg: z.string().url(),
        rpo_svg: z.string().url(),
        drill_svg: z.string().url(),
        state_json: z.string().url(),
        rpo_json: z.string().url(),
        drill_json: z.string().url(),
      })
      .openapi({
        description:
          "badge URLs (shields.io style SVG and endpoint JSON): read-only, each shows one value; the key in them is the only secret",
      }),
    n_pings: z.number(),
    last_ping_at: Iso,
    last_duration_s: z.number().nullable(),
    next_due_at: Iso,
    alert_after: Iso,
    created_at: z.string(),
    updated_at: z.string(),
    ping_url: z.string().url().optional().openapi({ description: ADMIN_ONLY }),
    slug_ping_url: z
      .string()
      .url()
      .optional()
      .openapi({ description: `carries the ping key; ${ADMIN_ONLY}` }),
    push_url: z
      .string()
      .url()
      .optional()
      .openapi({ description: `Uptime Kuma push URL (?status=up|down&msg=…&ping=…); ${ADMIN_ONLY}` }),
  })
  .openapi("Check");

export const CheckList = z
  .object({ checks: z.array(CheckView), next_cursor: z.number().nullable() })
  .openapi("CheckList");
