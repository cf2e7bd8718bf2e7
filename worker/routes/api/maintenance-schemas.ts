import { z } from "@hono/zod-openapi";
import { cronProblem, isTimeZone } from "../../domain/schedule";
import { Slug, Tag } from "./check-schemas";
import { idParams } from "./openapi-helpers";

const MAX_DURATION_S = 7 * 86_400;

const Fields = z.object({
  name: z.string().trim().min(1).max(100),
  starts_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .openapi({ description: "one-off start, or when a recurring window begins to apply" }),
  ends_at: z.iso
    .datetime({ offset: true })
    .nullable()
    .openapi({ description: "one-off end, or when a recurring window stops applying" }),
  cron: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .nullable()
    .openapi({ example: "0 2 * * 0", description: "recurring: when each window opens" }),
  tz: z.string().refine(isTimeZone, "unknown IANA time zone"),
  duration_s: z
    .number()
    .int()
    .min(60)
    .max(MAX_DURATION_S)
    .nullable()
    .openapi({ description: "recurring: how long each window lasts" }),
  tags: z.array(Tag).max(20).openapi({ description: "covers checks with any of these tags" }),
  checks: z
    .array(Slug)
    .max(100)
    .openapi({ description: "covers these checks; with no tags and no checks: every check" }),
});

type Body = Partial<z.infer<typeof Fields>>;

function windowIssues(body: Body, ctx: z.RefinementCtx) {
  const recurring = body.cron !== undefined && body.cron !== null;
  if (recurring) {
    const problem = cronProblem(body.cron!, body.tz ?? "UTC");
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
    if (!body.duration_s)
      ctx.addIssue({ code: "custom", path: ["duration_s"], message: "a recurring window needs duration_s" });
  } else if (!body.starts_at || !body.ends_at) {
    ctx.addIssue({
      code: "custom",
      path: ["ends_at"],
      message: "a one-off window needs starts_at and ends_at (or give cron + duration_s)",
    });
  }
  if (body.starts_at && body.ends_at && Date.parse(body.ends_at) <= Date.parse(body.starts_at)) {
    ctx.addIssue({ code: "custom", path: ["ends_at"], message: "ends_at must be after starts_at" });
  }
}

export const CreateWindow = Fields.partial()
  .required({ name: true })
  .strict()
  .superRefine(windowIssues)
  .openapi("CreateMaintenance");

export const WindowView = z
  .object({
    uuid: z.string(),
    name: z.string(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    cron: z.string().nullable(),
    tz: z.string(),
    duration_s: z.number().nullable(),
    tags: z.array(z.string()),
    checks: z.array(z.string()),
    active: z.boolean().openapi({ description: "in effect right now" }),
    current_or_next: z.object({ start: z.string(), end: z.string() }).nullable(),
  })
  .openapi("Maintenance");

export const MaintenanceParams = idParams(z.string().uuid("not a maintenance window id"));
