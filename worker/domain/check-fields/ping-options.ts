import { z } from "@hono/zod-openapi";
import { ADMIN_ONLY, field } from "./field";

const keywords = (what: string) =>
  z
    .string()
    .max(200)
    .openapi({ description: `comma-separated, case-sensitive keywords that make a ping ${what}` });

const EMAIL_ONLY = "kept for the healthchecks API; Lifeboat gets no email";

/** healthchecks' per-check ping options (docs/COMPATIBILITY.md), same names and meaning, and Kuma's push token. */
export const PING_OPTION_FIELDS = {
  methods: field(
    "methods",
    z.enum(["", "POST"]).openapi({ description: '"POST": GET and HEAD pings are kept but ignored' }),
    {
      label: "Allowed ping methods",
      hint: "POST: GET and HEAD pings (link previewers) are kept but ignored; empty: any",
    },
  ),
  manual_resume: field(
    "manualResume",
    z.boolean().openapi({ description: "a paused check ignores pings until resumed" }),
    { label: "When paused, ignore pings", hint: "stay paused until resumed by hand or through the API" },
  ),
  filter_http_body: field(
    "filterHttpBody",
    z.boolean().openapi({ description: "classify HTTP pings by the keywords in their body" }),
    { label: "Classify pings by keywords in their body" },
  ),
  failure_kw: field("failureKw", keywords("a failure (checked first)"), {
    label: "Failure keywords",
    hint: "comma-separated, case-sensitive; checked first",
  }),
  success_kw: field("successKw", keywords("a success"), {
    label: "Success keywords",
    hint: "comma-separated, case-sensitive",
  }),
  start_kw: field("startKw", keywords("a start"), { label: "Start keywords", hint: "comma-separated, case-sensitive" }),
  filter_default_fail: field(
    "filterDefaultFail",
    z
      .boolean()
      .openapi({ description: "with filter_http_body: a body that matches no keyword is a failure, not ignored" }),
    { label: "No keyword matched: count as a failure", hint: "otherwise the ping is ignored" },
  ),
  filter_subject: field(
    "filterSubject",
    z.boolean().openapi({ description: "healthchecks' email subject filter; kept, unused (no email pings)" }),
    { label: "Email subject filter (healthchecks)", hint: EMAIL_ONLY },
  ),
  filter_body: field(
    "filterBody",
    z.boolean().openapi({ description: "healthchecks' email body filter; kept, unused (no email pings)" }),
    { label: "Email body filter (healthchecks)", hint: EMAIL_ONLY },
  ),
  // A push token pings the check, like its uuid: only the admin token sees it (routes/api/views.ts).
  push_token: field(
    "pushToken",
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{10,128}$/, "use 10–128 characters of A-Z, a-z, 0-9, _ and -")
      .nullable()
      .openapi({ description: "Uptime Kuma push token: /api/push/<push_token> pings this check (the uuid works too)" }),
    {
      label: "Uptime Kuma push token",
      hint: "your Kuma monitor's token: /api/push/<token> pings this check",
      view: z
        .string()
        .nullable()
        .optional()
        .openapi({ description: `pings the check; ${ADMIN_ONLY}` }),
    },
  ),
};
