import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string().openapi({ example: "invalid json: slug: use 1–64 characters of a-z, 0-9, _ and -" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON body: without `required`, a request with another Content-Type would skip validation. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/** A resource's `{id}` path parameter: `id` says what an id looks like, and its message is the 400's. */
export const idParams = (id: z.ZodString) => z.object({ id: id.openapi({ param: { name: "id", in: "path" } }) });

const errorResponses = {
  400: jsonResponse(ErrorSchema, "Invalid input; the message names the field"),
  401: jsonResponse(ErrorSchema, "Missing or wrong token"),
  403: jsonResponse(ErrorSchema, "The read-only token cannot change anything"),
  404: jsonResponse(ErrorSchema, "No such resource"),
  409: jsonResponse(ErrorSchema, "Conflicts with existing data (e.g. a taken slug)"),
  500: jsonResponse(ErrorSchema, "An internal error (logged on the server, never detailed here)"),
} as const;

export function withErrors<T extends object>(responses: T) {
  return { ...responses, ...errorResponses };
}
