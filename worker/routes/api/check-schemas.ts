import { z } from "@hono/zod-openapi";
import { CHECK_KINDS, PING_KINDS, PING_SOURCES } from "../../db/schema";
import { cronProblem, isTimeZone } from "../../domain/schedule";

const YEAR_S = 365 * 86_400;

const count = (what: string) => z.number().int().min(0).max(100_000).nullable().openapi({ description: what });

/** The retention policy of a backup check (docs/RETENTION.md); null or 0 turns a rule off. */
const retentionFields = {
  keep_last: count("keep the N newest good backups"),
  keep_hourly: count("keep the newest backup of each of the last N hours (in tz)"),
  keep_daily: count("… of each of the last N days"),
  keep_weekly: count("… of each of the last N ISO weeks"),
  keep_monthly: count("… of each of the last N months"),
  keep_yearly: count("… of each of the last N years"),
  keep_within_s: z
    .number()
    .int()
    .min(0)
    .max(100 * YEAR_S)
    .nullable()
    .openapi({ description: "keep everything received within this of the newest good backup" }),
  min_age_days: z.number().int().min(0).max(3650).openapi({
    description:
      "immutability window each backup gets when it is received (default 7): nothing deletes it before then; lowering this never shortens a backup already received, raising it extends them",
  }),
  tombstone_days: z
    .number()
    .int()
    .min(0)
    .max(365)
    .openapi({ description: "how long a deleted backup stays restorable (default 3)" }),
};

const keywords = (what: string) =>
  z
    .string()
    .max(200)
    .openapi({ description: `comma-separated, case-sensitive keywords that make a ping ${what}` });

/** healthchecks' per-check ping options (docs/COMPATIBILITY.md), same names and meaning. */
export const pingOptionFields = {
  methods: z.enum(["", "POST"]).openapi({ description: '"POST": GET and HEAD pings are kept but ignored' }),
  manual_resume: z.boolean().openapi({ description: "a paused check ignores pings until resumed" }),
  filter_subject: z
    .boolean()
    .openapi({ description: "healthchecks' email subject filter; kept, unused (no email pings)" }),
  filter_body: z.boolean().openapi({ description: "healthchecks' email body filter; kept, unused (no email pings)" }),
  filter_http_body: z.boolean().openapi({ description: "classify HTTP pings by the keywords in their body" }),
  filter_default_fail: z
    .boolean()
    .openapi({ description: "with filter_http_body: a body that matches no keyword is a failure, not ignored" }),
  start_kw: keywords("a start"),
  success_kw: keywords("a success"),
  failure_kw: keywords("a failure (checked first)"),
  push_token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{10,128}$/, "use 10–128 characters of A-Z, a-z, 0-9, _ and -")
    .nullable()
    .openapi({ description: "Uptime Kuma push token: /api/push/<push_token> pings this check (the uuid works too)" }),
};

export const Slug = z
  .string()
  .regex(/^[a-z0-9_-]{1,64}$/, "use 1–64 characters of a-z, 0-9, _ and -")
  .openapi({ example: "nightly-db-backup" });

export const Tag = z.string().regex(/^[A-Za-z0-9_.:-]{1,40}$/, "tags are 1–40 characters of A-Z, a-z, 0-9, _ . : -");

/** Fields shared by create and update; all optional here, defaults applied on create. */
const CheckFields = z.object({
  name: z.string().trim().min(1).max(100).openapi({ example: "Nightly database backup" }),
  slug: Slug,
  kind: z.enum(CHECK_KINDS).openapi({
    description: "heartbeat: pings; backup: the agent's uploads; restic: a restic repository at /restic/<slug>/",
  }),
  period_s: z.number().int().min(60).max(YEAR_S).openapi({ description: "Expected interval between pings" }),
  cron: z.string().trim().min(1).max(100).openapi({ example: "0 3 * * *", description: "5-field cron expression" }),
  tz: z.string().refine(isTimeZone, "unknown IANA time zone").openapi({ example: "Europe/Berlin" }),
  grace_s: z.number().int().min(60).max(YEAR_S),
  tags: z.array(Tag).max(20),
  desc: z.string().max(2000),
  group: z.string().max(100),
  public: z.boolean(),
  min_duration_s: z.number().int().min(1).max(YEAR_S).nullable(),
  early_s: z.number().int().min(1).max(YEAR_S).nullable(),
  failure_threshold: z.number().int().min(1).max(100).openapi({ description: "down only after N failures in a row" }),
  flap_threshold: z.number().int().min(2).max(100).openapi({
    description: "more state changes than this in an hour is flapping: one alert instead of many",
  }),
  min_size_fraction: z.number().min(0).max(1).openapi({
    description: "backup checks: a backup smaller than this fraction of the median of the last 7 is suspicious",
  }),
  expect_change: z
    .boolean()
    .openapi({ description: "backup checks: a backup identical to the previous one is suspicious" }),
  ...retentionFields,
  rpo_s: z
    .number()
    .int()
    .min(60)
    .max(10 * YEAR_S)
    .nullable()
    .openapi({
      description:
        "recovery point objective: how old the newest good backup may get; null: the schedule's longest interval + grace_s",
    }),
  drill_every_s: z
    .number()
    .int()
    .min(3600)
    .max(10 * YEAR_S)
    .nullable()
    .openapi({ description: "backup checks: a restore drill is expected this often; null: no expectation" }),
  public_details: z.boolean().openapi({
    description: "public checks: the status page also shows the description, backup sizes and incident details",
  }),
  ...pingOptionFields,
  quota_bytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 53 - 1)
    .nullable()
    .openapi({ description: "restic checks: the repository's storage quota; an upload beyond it is refused (507)" }),
  parent: Slug.or(z.string().uuid()).nullable().openapi({
    description: "uuid or slug of the host's heartbeat check: while it is down, this check's alerts fold into it",
  }),
});

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

/** Left out of answers to the read-only token: they are capabilities (docs/SECURITY.md). */
const ADMIN_ONLY = "absent for the read-only token: it is a capability";

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
    name: z.string(),
    slug: z.string(),
    kind: z.enum(CHECK_KINDS),
    status: z.enum(["new", "up", "late", "down", "paused", "started"]),
    status_reason: z.string().nullable(),
    period_s: z.number().nullable(),
    cron: z.string().nullable(),
    tz: z.string(),
    grace_s: z.number(),
    tags: z.array(z.string()),
    desc: z.string(),
    group: z.string(),
    public: z.boolean(),
    min_duration_s: z.number().nullable(),
    early_s: z.number().nullable(),
    failure_threshold: z.number(),
    flap_threshold: z.number(),
    min_size_fraction: z.number(),
    expect_change: z.boolean(),
    retention: z.object({
      keep_last: z.number().nullable(),
      keep_hourly: z.number().nullable(),
      keep_daily: z.number().nullable(),
      keep_weekly: z.number().nullable(),
      keep_monthly: z.number().nullable(),
      keep_yearly: z.number().nullable(),
      keep_within_s: z.number().nullable(),
      min_age_days: z.number(),
      tombstone_days: z.number(),
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
    methods: z.enum(["", "POST"]),
    manual_resume: z.boolean(),
    filter_subject: z.boolean(),
    filter_body: z.boolean(),
    filter_http_body: z.boolean(),
    filter_default_fail: z.boolean(),
    start_kw: z.string(),
    success_kw: z.string(),
    failure_kw: z.string(),
    push_token: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: `pings the check; ${ADMIN_ONLY}` }),
    parent: z
      .string()
      .nullable()
      .openapi({ description: "the parent check: its uuid, or its unique_key for the read-only token" }),
    rpo_s: z.number().nullable().openapi({ description: "the configured RPO; null: derived from the schedule" }),
    effective_rpo_s: z
      .number()
      .openapi({ description: "the RPO in force: rpo_s, or the schedule's longest interval + grace_s" }),
    drill_every_s: z.number().nullable(),
    public_details: z.boolean(),
    quota_bytes: z.number().nullable(),
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

export const PingView = z
  .object({
    n: z.number(),
    kind: z
      .enum(PING_KINDS)
      .openapi({ description: "ign: received, but ignored by the check's methods or keyword filters" }),
    exit_status: z.number().nullable(),
    rid: z.string().nullable(),
    duration_s: z.number().nullable(),
    outcome: z
      .string()
      .nullable()
      .openapi({ description: "too_short or too_early when a success counted as a failure" }),
    body: z.string(),
    body_truncated: z.boolean(),
    source: z.enum(PING_SOURCES),
    method: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    key_id: z.string().nullable(),
    received_at: z.string(),
  })
  .openapi("Ping");

export const FlipView = z
  .object({ from: z.string(), to: z.string(), reason: z.string(), detail: z.string(), at: z.string() })
  .openapi("Flip");
