import type { CheckRow } from "../../db/schema";
import type { CheckInput } from "./columns";
import { ALERTING_FIELDS } from "./alerting";
import { BACKUP_FIELDS, RESTIC_FIELDS } from "./backup-policy";
import { CHECK_IDENTITY_FIELDS } from "./check";
import type { Field } from "./field";
import { PING_OPTION_FIELDS } from "./ping-options";
import { DEFAULT_RETENTION_NOTE, RETENTION_FIELDS } from "./retention";
import { SCHEDULE_FIELDS } from "./schedule";

export { Slug, Tag } from "./check";
export { ADMIN_ONLY, type Field } from "./field";
export { DEFAULT_RETENTION_NOTE, RETENTION_FIELDS } from "./retention";

type Fields = Record<string, Field>;

/** The fields by concern, in the order the dashboard's form shows them; the API nests `retention`. */
export const CHECK_FIELD_GROUPS = [
  { legend: "Check", fields: CHECK_IDENTITY_FIELDS },
  { legend: "Schedule", fields: SCHEDULE_FIELDS },
  { legend: "Alerting", fields: ALERTING_FIELDS },
  { legend: "Pings (healthchecks and Kuma options)", fields: PING_OPTION_FIELDS },
  { legend: "Backups", fields: BACKUP_FIELDS },
  { legend: "restic repository", fields: RESTIC_FIELDS },
  { legend: "Retention (backup checks)", fields: RETENTION_FIELDS, note: DEFAULT_RETENTION_NOTE },
] as const satisfies readonly { legend: string; fields: Fields; note?: string }[];

/** The fields shown at the top level of the API's check (retention is nested). */
export const TOP_LEVEL_FIELDS = {
  ...CHECK_IDENTITY_FIELDS,
  ...SCHEDULE_FIELDS,
  ...ALERTING_FIELDS,
  ...PING_OPTION_FIELDS,
  ...BACKUP_FIELDS,
  ...RESTIC_FIELDS,
};

/** Every field a user sets, by its API name. */
export const CHECK_FIELDS = { ...TOP_LEVEL_FIELDS, ...RETENTION_FIELDS };

type Table = typeof CHECK_FIELDS;
type ColumnOf<A extends keyof Table> = Table[A]["column"];

// Every settable column has exactly one field, and no field names a column that is not settable:
// a column added to (or renamed in) schema.ts fails the typecheck until it is given its field here.
type Missing = Exclude<keyof CheckInput, ColumnOf<keyof Table>>;
type Unknown = Exclude<ColumnOf<keyof Table>, keyof CheckInput>;
const everyColumnHasItsField: [Missing, Unknown] extends [never, never] ? true : [Missing, Unknown] = true;
void everyColumnHasItsField;

/** The request's schema of each field (z.object of it is the API's check body). */
export function inputShape<G extends Fields>(fields: G): { [A in keyof G]: G[A]["input"] } {
  return Object.fromEntries(Object.entries(fields).map(([api, f]) => [api, f.input])) as never;
}

/** The shown value's schema of each field. */
export function viewShape<G extends Fields>(fields: G): { [A in keyof G]: G[A]["view"] } {
  return Object.fromEntries(Object.entries(fields).map(([api, f]) => [api, f.view])) as never;
}

/** The stored values of a group's fields under their API names. */
export function valuesOf<G extends Fields>(fields: G, row: CheckRow): { [A in keyof G]: CheckRow[G[A]["column"]] } {
  return Object.fromEntries(Object.entries(fields).map(([api, f]) => [api, row[f.column]])) as never;
}

/** A check's settable columns, from a stored row. */
export function inputOf(row: CheckRow): CheckInput {
  return Object.fromEntries(Object.values(CHECK_FIELDS).map((f) => [f.column, row[f.column]])) as CheckInput;
}

/** What a new check gets for each field the request leaves out (name and slug have none). */
export const CHECK_DEFAULTS = Object.fromEntries(
  Object.values(CHECK_FIELDS).flatMap((f) => (f.default === undefined ? [] : [[f.column, f.default]])),
) as Omit<CheckInput, "name" | "slug">;

/**
 * The one merge of a request over a check: a field the body sends wins (null included, where the
 * schema allows it: it clears), every other keeps `base`'s value (the stored check on PATCH, the
 * defaults on POST). Referenced fields (parent) are resolved by the caller.
 */
export function mergeFields(body: Partial<Record<keyof Table, unknown>>, base: CheckInput): CheckInput {
  const merged: Record<string, unknown> = { ...base };
  for (const [api, f] of Object.entries(CHECK_FIELDS) as [keyof Table, Field][]) {
    if (!f.reference && body[api] !== undefined) merged[f.column] = body[api];
  }
  return merged as CheckInput;
}
