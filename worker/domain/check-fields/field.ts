import { z } from "@hono/zod-openapi";
import { is, SQL } from "drizzle-orm";
import { checks } from "../../db/schema";
import type { CheckInput } from "./columns";

/**
 * One field of a check as every surface sees it: the column it is stored in, what a request may
 * send (the API's schema, which the dashboard's form and the healthchecks API reuse), its default
 * on create, how the API shows it and how the dashboard labels it. Schemas, the PATCH/POST merge,
 * the view and the form are all generated from these (./index.ts), so a new field is one entry
 * here plus its migration.
 */
export type Field<
  C extends keyof CheckInput = keyof CheckInput,
  S extends z.ZodType = z.ZodType,
  V extends z.ZodType = z.ZodType,
> = {
  column: C;
  input: S;
  /** On create when the request leaves it out; undefined: the field has none (name, slug). */
  default: CheckInput[C] | undefined;
  view: V;
  label: string;
  hint?: string;
  /** Sent as a reference (a slug or uuid) that the route resolves to the column's value. */
  reference?: true;
};

type Options<T, V> = {
  label: string;
  hint?: string;
  /**
   * Only where schema.ts has no plain default to take: a default SQL does not hold (period, grace)
   * or one SQL writes as an expression (tags). test/worker/check-fields.test.ts checks them.
   */
  default?: T;
  /** How the API shows it, when the column's type does not say (JSON columns, capabilities). */
  view?: V;
  /** A description of the shown value, where it differs from the request's. */
  viewNote?: string;
};

/** A field whose request value is stored as is: its schema must produce the column's type. */
export function field<
  C extends keyof CheckInput,
  S extends z.ZodType<CheckInput[C]>,
  V extends z.ZodType = z.ZodType<CheckInput[C]>,
>(column: C, input: S, options: Options<CheckInput[C], V>): Field<C, S, V> {
  return {
    column,
    input,
    default: "default" in options ? options.default : columnDefault(column),
    view: options.view ?? (viewOf(column, options.viewNote) as V),
    label: options.label,
    ...(options.hint !== undefined ? { hint: options.hint } : {}),
  };
}

/** A field sent as a name of another row (the parent check); the route resolves it. */
export function reference<C extends keyof CheckInput, S extends z.ZodType, V extends z.ZodType>(
  column: C,
  input: S,
  options: Omit<Options<never, V>, "default" | "viewNote"> & { view: V },
): Field<C, S, V> {
  return { ...field(column, input as never, options), input, reference: true };
}

/**
 * The database's default, so the TS default is never a restatement that can drift: a plain value
 * from schema.ts, null for a nullable column without one (test/worker/check-fields.test.ts holds
 * the explicit ones to the migrations).
 */
function columnDefault<C extends keyof CheckInput>(column: C): CheckInput[C] | undefined {
  const col = checks[column];
  if (col.hasDefault && col.default !== undefined && !is(col.default, SQL)) return col.default as CheckInput[C];
  return col.notNull ? undefined : (null as CheckInput[C]);
}

/** The shown value's schema from the column's type: what is stored is what is shown. */
function viewOf(column: keyof CheckInput, note?: string): z.ZodType {
  const col = checks[column];
  const values = col.enumValues as [string, ...string[]] | undefined;
  const base =
    values && values.length > 0
      ? z.enum(values)
      : col.dataType === "boolean"
        ? z.boolean()
        : col.dataType === "number"
          ? z.number()
          : col.dataType === "string"
            ? z.string()
            : undefined;
  if (!base) throw new Error(`check field ${column}: a ${col.dataType} column needs its view schema`);
  const shown = col.notNull ? base : base.nullable();
  return note === undefined ? shown : shown.openapi({ description: note });
}

/** Left out of answers to the read-only token: they are capabilities (docs/SECURITY.md). */
export const ADMIN_ONLY = "absent for the read-only token: it is a capability";

export const YEAR_S = 365 * 86_400;
export const DURATION = "seconds, or with a unit: 90s, 15m, 6h, 1d, 2w";
