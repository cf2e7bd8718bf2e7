import { z } from "@hono/zod-openapi";

/** One row of the delivery log (GET /channels/{id}/deliveries, GET /checks/{id}/deliveries). */
export const DeliveryView = z
  .object({
    id: z.number(),
    check: z.object({
      uuid: z.string().optional().openapi({ description: "absent for the read-only token: it is a capability" }),
      unique_key: z.string(),
      name: z.string(),
    }),
    channel: z.string(),
    kind: z.enum(["down", "up", "reminder", "flapping", "retention", "drill"]),
    status: z.enum(["pending", "sent", "failed", "suppressed"]),
    suppressed_reason: z.string().nullable().openapi({ description: "maintenance, parent_down or flapping" }),
    attempts: z.number(),
    last_error: z.string().nullable(),
    response_status: z.number().nullable(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
  })
  .openapi("Delivery");
