import type { z } from "@hono/zod-openapi";
import type { CheckRow } from "../../db/schema";
import { defaultKeepRulesFor, KEEP_FIELDS, sameKeepRules, snakeCase } from "../../domain/retention";
import { cronProblem } from "../../domain/schedule";
import { AppError } from "../../errors";
import type { CheckInput } from "../../services/checks";
import { CHECK_DEFAULTS, inputOf, mergeFields } from "../../domain/check-fields";
import type { UpdateCheck } from "./check-schemas";

type Body = z.infer<typeof UpdateCheck>;

/**
 * API fields → a complete check: the body laid over the stored check on update, over the defaults
 * on create (check-fields' one merge). Setting `cron` switches the schedule to cron and setting
 * `period_s` switches it back. The dashboard's forms and the healthchecks API use it too.
 */
export function toCheckInput(body: Body, parentId: number | null, existing?: CheckRow, now = Date.now()): CheckInput {
  const base = existing ? inputOf(existing) : { ...CHECK_DEFAULTS, name: "", slug: slugify(body.name ?? "") };
  const input = { ...mergeFields(body, base), parentId };
  if (body.period_s !== undefined) input.cron = null;
  input.periodS = input.cron ? null : (input.periodS ?? CHECK_DEFAULTS.periodS);
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

export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return slug || `check-${crypto.randomUUID().slice(0, 8)}`;
}
