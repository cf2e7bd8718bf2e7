import { OpenAPIHono, type Hook, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "./env";
import { AppError } from "./errors";
import type { TokenRole } from "./middleware/admin-auth";
import type { Db } from "./services/db";

/**
 * `role`: which admin token authenticated an /api/v1 request (set by adminAuth). Unset counts as
 * the reader: capabilities are shown only where the admin token is known to be present.
 */
export type AppEnv = {
  Bindings: Env;
  Variables: { db: Db; baseUrl: string; onSuccess?: () => void; role?: TokenRole };
};

/** Whether an answer may carry capabilities (ping URLs, uuids, signing secrets): the admin token only. */
export const seesCapabilities = (c: Context<AppEnv>) => c.get("role") === "admin";

/** A zod failure as one 400 that names the offending field(s). */
export function validationFailed(target: string, error: z.ZodError, fieldPrefix = ""): AppError {
  const issues = error.issues.map((issue) => ({
    field: fieldPrefix + (issue.path.join(".") || "(body)"),
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  return new AppError("validation_failed", `invalid ${target}: ${summary}`, issues);
}

const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw validationFailed(result.target, result.error);
};

/** Every router shares the validation hook so no handler sees unvalidated input. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
