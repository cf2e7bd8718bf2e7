import { z } from "@hono/zod-openapi";
import { CHANNEL_KINDS } from "../../db/schema";
import { Slug, Tag } from "./check-schemas";
import { idParams } from "./openapi-helpers";

const Fields = z.object({
  kind: z.enum(CHANNEL_KINDS),
  name: z.string().trim().min(1).max(100),
  config: z.record(z.string(), z.unknown()).openapi({ description: "the kind's settings; see docs/CHANNELS.md" }),
  filter: z
    .object({ tags: z.array(Tag).max(20).default([]), checks: z.array(Slug).max(100).default([]) })
    .strict()
    .openapi({ description: "limit the channel to checks with one of these tags or slugs; empty: all checks" }),
  repeat_every_s: z
    .number()
    .int()
    .min(300)
    .max(7 * 86_400)
    .nullable()
    .openapi({
      description: "remind every N seconds while a check stays down (null: no reminders)",
    }),
});

/** Also the dashboard's channel forms (with UpdateChannel, and channel-input.ts to validate the config). */
export const CreateChannel = Fields.extend({
  url: z
    .string()
    .max(2000)
    .optional()
    .openapi({ description: 'shorthand for config.url ({"kind":"webhook","url":…})' }),
})
  .partial()
  .required({ kind: true })
  .strict()
  .openapi("CreateChannel");
export const UpdateChannel = Fields.omit({ kind: true }).partial().strict().openapi("UpdateChannel");

export const ChannelView = z
  .object({
    uuid: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    name: z.string(),
    target: z.string().openapi({ description: "where it sends, without credentials" }),
    config: z.record(z.string(), z.unknown()).openapi({ description: "settings, credentials left out" }),
    filter: z.object({ tags: z.array(z.string()), checks: z.array(z.string()) }),
    repeat_every_s: z.number().nullable(),
    status: z.enum(["ok", "broken"]),
    broken_reason: z.string().nullable(),
    broken_at: z.string().nullable(),
    signing_secret: z.string().optional().openapi({
      description: "webhook only: verifies X-Lifeboat-Webhook-Signature; absent for the read-only token",
    }),
    created_at: z.string(),
  })
  .openapi("Channel");

export const TestResult = z
  .object({ ok: z.boolean(), status: z.number().nullable(), error: z.string().nullable() })
  .openapi("ChannelTestResult");

export const ChannelParams = idParams(z.string().uuid("not a channel id"));
