import type { z } from "@hono/zod-openapi";
import type { HonoRequest } from "hono";
import { AppError } from "../../errors";
import { FORM_ERROR, type FieldInfo, type FormErrors, type FormValues } from "../../views/admin/fields";

// Form fields → the API's JSON input, so a form is validated by the very schema the API uses.
// The check form is driven by the schema's shape: a field added to the API appears in the form.

const WRAPPERS = new Set(["optional", "nonoptional", "nullable", "default", "readonly", "catch", "prefault"]);

/** What kind of input a field of a zod object needs: its base type under optional/nullable/default. */
export function fieldInfo(name: string, schema: z.ZodType): FieldInfo {
  const acceptsEmpty = (schema as z.ZodType).safeParse("").success;
  let current = schema as unknown as { def: { type: string; innerType?: unknown; entries?: object } };
  let nullable = false;
  while (WRAPPERS.has(current.def.type) && current.def.innerType) {
    if (current.def.type === "nullable") nullable = true;
    current = current.def.innerType as typeof current;
  }
  const base = current.def.type;
  if (base === "enum") {
    return { name, type: "enum", nullable, acceptsEmpty, options: Object.values(current.def.entries ?? {}) };
  }
  if (base === "number" || base === "string" || base === "boolean" || base === "array") {
    return { name, type: base, nullable, acceptsEmpty };
  }
  // A union of strings (uuid or slug) and anything else is typed as text and left to the schema.
  return { name, type: base === "union" ? "string" : "other", nullable };
}

export function fieldsOf(object: { shape: Record<string, unknown> }): FieldInfo[] {
  return Object.entries(object.shape).map(([name, schema]) => fieldInfo(name, schema as z.ZodType));
}

const UNITS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };

/** "90", "15m", "6h", "1d", "2w" → seconds; anything else is returned as typed for zod to refuse. */
export function parseSeconds(text: string): number | string {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?$/i.exec(text);
  if (!match) return text;
  return Math.round(Number(match[1]) * UNITS[(match[2] ?? "s").toLowerCase()]!);
}

/** Seconds as the form shows them: the largest whole unit ("1d", "6h", "15m"), else plain seconds. */
export function secondsText(seconds: number): string {
  for (const [unit, size] of [
    ["w", 604_800],
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return String(seconds);
}

export const splitList = (text: string) => text.split(/[\s,]+/).filter((item) => item !== "");

const text = (value: FormValues[string]) => (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).trim();

/**
 * A posted form as the API's JSON body. An empty field is left out (the API's default, or the
 * stored value), except that on an update an empty nullable field is null (the rule is turned off)
 * and an empty field whose schema takes "" is "" (keywords, a description: cleared).
 * A checkbox is false when absent, as browsers send nothing for it.
 */
export function formToBody(fields: FieldInfo[], form: FormValues, mode: "create" | "update") {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.type === "boolean") {
      body[field.name] = text(form[field.name]) === "true";
      continue;
    }
    const raw = text(form[field.name]);
    if (raw === "") {
      if (mode === "update" && field.nullable) body[field.name] = null;
      else if (mode === "update" && field.acceptsEmpty) body[field.name] = "";
      continue;
    }
    if (field.type === "number") body[field.name] = field.name.endsWith("_s") ? parseSeconds(raw) : numberOr(raw);
    else if (field.type === "array") body[field.name] = splitList(raw);
    else body[field.name] = raw;
  }
  return body;
}

export function numberOr(raw: string): number | string {
  const value = Number(raw);
  return raw !== "" && Number.isFinite(value) ? value : raw;
}

/** A stored value as a form shows it. */
export function valueText(name: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "number" && name.endsWith("_s")) return secondsText(value);
  return String(value);
}

/** zod's issues by form field (the first per field), worded for a form rather than a JSON client. */
export function zodErrors(error: z.ZodError, prefix = ""): FormErrors {
  const errors: FormErrors = {};
  for (const issue of error.issues) {
    const name = issue.path.length ? prefix + String(issue.path[0]) : FORM_ERROR;
    const key = prefix === "" && issue.path[0] === "filter" ? `filter.${String(issue.path[1])}` : name;
    errors[key] ??= friendly(issue);
  }
  return errors;
}

function friendly(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.expected === "nonoptional") return "required";
  if (issue.code === "too_small" && issue.origin === "string" && issue.minimum === 1) return "required";
  if (issue.code === "too_small" && issue.origin === "array" && issue.minimum === 1) return "choose at least one";
  if (issue.code === "invalid_type" && issue.expected === "number") {
    return "enter a number (durations may use a unit: 90s, 15m, 6h, 1d, 2w)";
  }
  if (issue.code === "unrecognized_keys") return `unknown field(s): ${issue.keys.join(", ")}`;
  return issue.message;
}

/** A service's refusal as form errors: its field details when it has them, else one form-level line. */
export function appErrors(error: AppError, fieldOfConflict?: (message: string) => string | undefined): FormErrors {
  if (Array.isArray(error.details)) {
    const errors: FormErrors = {};
    for (const detail of error.details as { field?: string; message?: string }[]) {
      // "config.to.1" (an item of a list) belongs to the form's "config.to" field.
      if (detail.field && detail.message) errors[detail.field.replace(/(\.\d+)+$/, "")] ??= detail.message;
    }
    if (Object.keys(errors).length) return errors;
  }
  const field = error.code === "conflict" ? fieldOfConflict?.(error.message) : undefined;
  return { [field ?? FORM_ERROR]: error.message };
}

/**
 * The posted form. A body that is not a form (a broken multipart boundary, say) is the client's
 * mistake: a 400, never the 500 that parseBody's own exception would become.
 */
export async function readForm(request: HonoRequest): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await request.parseBody({ all: true });
  } catch {
    throw new AppError("bad_request", "the request body is not a readable form (urlencoded or multipart)");
  }
}
