import type { z } from "@hono/zod-openapi";
import type { CheckRow } from "../../db/schema";
import { defaultKeepRulesFor, KEEP_FIELDS, sameKeepRules, snakeCase } from "../../domain/retention";
import { cronProblem } from "../../domain/schedule";
import { AppError } from "../../errors";
import { CHECK_DEFAULTS, type CheckInput } from "../../services/checks";
import type { UpdateCheck } from "./check-schemas";

type Body = z.infer<typeof UpdateCheck>;

/**
 * API fields → a complete check. On update the body is laid over the stored check; setting `cron`
 * switches the schedule to cron and setting `period_s` switches it back. The dashboard's forms use it too.
 */
export function toCheckInput(body: Body, parentId: number | null, existing?: CheckRow, now = Date.now()): CheckInput {
  const cron = body.period_s !== undefined ? null : (body.cron ?? existing?.cron ?? null);
  const d = CHECK_DEFAULTS;
  const input: CheckInput = {
    name: body.name ?? existing?.name ?? "",
    slug: body.slug ?? existing?.slug ?? slugify(body.name ?? ""),
    kind: body.kind ?? existing?.kind ?? d.kind,
    periodS: cron ? null : (body.period_s ?? existing?.periodS ?? d.periodS),
    cron,
    tz: body.tz ?? existing?.tz ?? d.tz,
    graceS: body.grace_s ?? existing?.graceS ?? d.graceS,
    tags: body.tags ?? existing?.tags ?? d.tags,
    desc: body.desc ?? existing?.desc ?? d.desc,
    group: body.group ?? existing?.group ?? d.group,
    public: body.public ?? existing?.public ?? d.public,
    minDurationS: body.min_duration_s !== undefined ? body.min_duration_s : (existing?.minDurationS ?? d.minDurationS),
    earlyS: body.early_s !== undefined ? body.early_s : (existing?.earlyS ?? d.earlyS),
    failureThreshold: body.failure_threshold ?? existing?.failureThreshold ?? d.failureThreshold,
    flapThreshold: body.flap_threshold ?? existing?.flapThreshold ?? d.flapThreshold,
    minSizeFraction: body.min_size_fraction ?? existing?.minSizeFraction ?? d.minSizeFraction,
    expectChange: body.expect_change ?? existing?.expectChange ?? d.expectChange,
    keepLast: pick(body.keep_last, existing?.keepLast, d.keepLast),
    keepHourly: pick(body.keep_hourly, existing?.keepHourly, d.keepHourly),
    keepDaily: pick(body.keep_daily, existing?.keepDaily, d.keepDaily),
    keepWeekly: pick(body.keep_weekly, existing?.keepWeekly, d.keepWeekly),
    keepMonthly: pick(body.keep_monthly, existing?.keepMonthly, d.keepMonthly),
    keepYearly: pick(body.keep_yearly, existing?.keepYearly, d.keepYearly),
    keepWithinS: pick(body.keep_within_s, existing?.keepWithinS, d.keepWithinS),
    minAgeDays: body.min_age_days ?? existing?.minAgeDays ?? d.minAgeDays,
    tombstoneDays: body.tombstone_days ?? existing?.tombstoneDays ?? d.tombstoneDays,
    parentId,
    rpoS: pick(body.rpo_s, existing?.rpoS, d.rpoS),
    drillEveryS: pick(body.drill_every_s, existing?.drillEveryS, d.drillEveryS),
    publicDetails: body.public_details ?? existing?.publicDetails ?? d.publicDetails,
    methods: body.methods ?? existing?.methods ?? d.methods,
    manualResume: body.manual_resume ?? existing?.manualResume ?? d.manualResume,
    filterSubject: body.filter_subject ?? existing?.filterSubject ?? d.filterSubject,
    filterBody: body.filter_body ?? existing?.filterBody ?? d.filterBody,
    filterHttpBody: body.filter_http_body ?? existing?.filterHttpBody ?? d.filterHttpBody,
    filterDefaultFail: body.filter_default_fail ?? existing?.filterDefaultFail ?? d.filterDefaultFail,
    startKw: body.start_kw ?? existing?.startKw ?? d.startKw,
    successKw: body.success_kw ?? existing?.successKw ?? d.successKw,
    failureKw: body.failure_kw ?? existing?.failureKw ?? d.failureKw,
    pushToken: pick(body.push_token, existing?.pushToken, d.pushToken),
    quotaBytes: pick(body.quota_bytes, existing?.quotaBytes, d.quotaBytes),
  };
  // The merged schedule is validated again: a new tz can break a stored cron expression.
  const problem = input.cron ? cronProblem(input.cron, input.tz) : null;
  if (problem)
    throw new AppError("validation_failed", `invalid json: cron: ${problem}`, [{ field: "cron", message: problem }]);
  return takesDefaultRetention(body, input, existing, now) ? { ...input, ...defaultKeepRulesFor(input, now) } : input;
}

const KEEP_BODY_FIELDS = KEEP_FIELDS.map(snakeCase) as (keyof Body)[];

/**
 * A backup check gets the default keep rules when the request names none and nobody chose any:
 * it is new, it was a heartbeat check until now, or it still has the default of its old schedule
 * (which then follows the new one). A check with rules someone set, or with none from before the
 * defaults existed (retention off), keeps what it has.
 */
function takesDefaultRetention(body: Body, input: CheckInput, existing: CheckRow | undefined, now: number): boolean {
  if (input.kind !== "backup" || KEEP_BODY_FIELDS.some((field) => body[field] !== undefined)) return false;
  if (!existing || existing.kind !== "backup") return true;
  return sameKeepRules(existing, defaultKeepRulesFor(existing, now));
}

/** A nullable field: the body's value when sent (null included), else the stored one, else the default. */
function pick<T>(sent: T | undefined, stored: T | undefined, fallback: T): T {
  return sent !== undefined ? sent : stored !== undefined ? stored : fallback;
}

export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return slug || `check-${crypto.randomUUID().slice(0, 8)}`;
}
