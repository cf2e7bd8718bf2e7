import type { FC } from "hono/jsx";
import {
  CheckboxField,
  ErrorSummary,
  SelectField,
  TextArea,
  TextField,
  type FieldInfo,
  type FormErrors,
  type FormValues,
} from "./fields";
import { CsrfField, Layout, type PageContext } from "./layout";

const DURATION = "seconds, or with a unit: 90s, 15m, 6h, 1d, 2w";
const COUNT = "empty: rule off";

/** Labels and hints of the fields the dashboard knows; a field the API adds later still shows up. */
export const CHECK_LABELS: Record<string, { label: string; hint?: string }> = {
  name: { label: "Name" },
  slug: { label: "Slug", hint: "for /ping/<ping_key>/<slug> URLs; from the name when empty" },
  kind: {
    label: "Kind",
    hint: "heartbeat: a job or host checks in; backup: the agent uploads backups; restic: a restic repository",
  },
  desc: { label: "Description" },
  group: { label: "Group", hint: "groups checks on the status page" },
  tags: { label: "Tags", hint: "separated by commas or spaces" },
  public: { label: "Show on the public status page" },
  public_details: { label: "Also show details publicly", hint: "description, backup sizes and incident details" },
  period_s: { label: "Period", hint: `expected time between pings (${DURATION}); or give a cron expression` },
  cron: { label: "Cron expression", hint: "5 fields, e.g. 0 3 * * *; instead of a period" },
  tz: { label: "Time zone", hint: "IANA name for cron and calendar retention, e.g. Europe/Berlin" },
  grace_s: { label: "Grace time", hint: DURATION },
  failure_threshold: { label: "Failures before down", hint: "down only after N failures in a row" },
  flap_threshold: { label: "Flapping threshold", hint: "state changes per hour above which alerts are folded" },
  min_duration_s: { label: "Minimum run time", hint: `a success faster than this is a failure (${DURATION})` },
  early_s: { label: "Too early", hint: `a success this long before it is due is a failure (${DURATION})` },
  parent: { label: "Parent check", hint: "slug or uuid of the host's heartbeat; its outage silences this check" },
  rpo_s: { label: "RPO", hint: `the most data you may lose: the newest good backup must be younger (${DURATION})` },
  drill_every_s: {
    label: "Restore drill every",
    hint: `alert when no restore was verified for this long (${DURATION})`,
  },
  min_size_fraction: {
    label: "Minimum size fraction",
    hint: "a backup smaller than this × the median of the last 7 is suspicious",
  },
  expect_change: { label: "Expect every backup to differ", hint: "an identical backup is suspicious" },
  keep_last: { label: "Keep last", hint: COUNT },
  keep_hourly: { label: "Keep hourly", hint: COUNT },
  keep_daily: { label: "Keep daily", hint: COUNT },
  keep_weekly: { label: "Keep weekly", hint: COUNT },
  keep_monthly: { label: "Keep monthly", hint: COUNT },
  keep_yearly: { label: "Keep yearly", hint: COUNT },
  keep_within_s: { label: "Keep everything within", hint: `of the newest good backup (${DURATION}); empty: off` },
  min_age_days: {
    label: "Immutable for (days)",
    hint: "each backup is kept this long from when it arrives; lowering it never shortens a backup already received",
  },
  quota_bytes: { label: "Repository quota (bytes)", hint: "restic checks: uploads beyond it are refused; empty: none" },
  tombstone_days: { label: "Restorable after deletion (days)" },
  methods: {
    label: "Allowed ping methods",
    hint: "POST: GET and HEAD pings (link previewers) are kept but ignored; empty: any",
  },
  manual_resume: { label: "When paused, ignore pings", hint: "stay paused until resumed by hand or through the API" },
  filter_http_body: { label: "Classify pings by keywords in their body" },
  failure_kw: { label: "Failure keywords", hint: "comma-separated, case-sensitive; checked first" },
  success_kw: { label: "Success keywords", hint: "comma-separated, case-sensitive" },
  start_kw: { label: "Start keywords", hint: "comma-separated, case-sensitive" },
  filter_default_fail: { label: "No keyword matched: count as a failure", hint: "otherwise the ping is ignored" },
  filter_subject: {
    label: "Email subject filter (healthchecks)",
    hint: "kept for the healthchecks API; Lifeboat gets no email",
  },
  filter_body: {
    label: "Email body filter (healthchecks)",
    hint: "kept for the healthchecks API; Lifeboat gets no email",
  },
  push_token: {
    label: "Uptime Kuma push token",
    hint: "your Kuma monitor's token: /api/push/<token> pings this check",
  },
};

/** Said above the retention fields of the new-check form (routes/api/check-input.ts applies it). */
export const DEFAULT_RETENTION_NOTE =
  "New backup checks keep 7 daily, 4 weekly and 6 monthly backups (fewer calendar rules, plus the last 7, " +
  "for a job that runs less than daily) while every keep field is empty; 0 in one turns retention off.";

const SECTIONS: { legend: string; fields: string[]; note?: string }[] = [
  { legend: "Check", fields: ["name", "slug", "kind", "desc", "group", "tags", "public", "public_details"] },
  { legend: "Schedule", fields: ["period_s", "cron", "tz", "grace_s"] },
  { legend: "Alerting", fields: ["failure_threshold", "flap_threshold", "min_duration_s", "early_s", "parent"] },
  {
    legend: "Pings (healthchecks and Kuma options)",
    fields: [
      "methods",
      "manual_resume",
      "filter_http_body",
      "failure_kw",
      "success_kw",
      "start_kw",
      "filter_default_fail",
      "filter_subject",
      "filter_body",
      "push_token",
    ],
  },
  { legend: "Backups", fields: ["rpo_s", "drill_every_s", "min_size_fraction", "expect_change"] },
  { legend: "restic repository", fields: ["quota_bytes"] },
  {
    legend: "Retention (backup checks)",
    note: DEFAULT_RETENTION_NOTE,
    fields: [
      "keep_last",
      "keep_hourly",
      "keep_daily",
      "keep_weekly",
      "keep_monthly",
      "keep_yearly",
      "keep_within_s",
      "min_age_days",
      "tombstone_days",
    ],
  },
];

export const labelOf = (name: string) => CHECK_LABELS[name]?.label ?? name;

type CheckFormProps = {
  page: PageContext;
  title: string;
  action: string;
  submit: string;
  fields: FieldInfo[];
  values: FormValues;
  errors: FormErrors;
};

/** The create and edit form of a check: sections of the fields the API's schema has. */
export const CheckForm: FC<CheckFormProps> = (p) => {
  const byName = new Map(p.fields.map((f) => [f.name, f]));
  const known = new Set(SECTIONS.flatMap((s) => s.fields));
  const creating = p.action === "/admin/checks";
  const sections = [
    ...SECTIONS.map((s) => ({
      legend: s.legend,
      note: creating ? s.note : undefined,
      fields: s.fields.flatMap((n) => byName.get(n) ?? []),
    })),
    { legend: "More", note: undefined, fields: p.fields.filter((f) => !known.has(f.name)) },
  ].filter((s) => s.fields.length > 0);
  const labels = Object.fromEntries(p.fields.map((f) => [f.name, labelOf(f.name)]));
  return (
    <Layout title={p.title} page={p.page} current={creating ? "/admin/checks/new" : undefined}>
      <ErrorSummary errors={p.errors} labels={labels} />
      <form method="post" action={p.action} class="stack" novalidate>
        <CsrfField token={p.page.csrf} />
        {sections.map((section) => (
          <fieldset>
            <legend>{section.legend}</legend>
            {section.note && <p class="muted">{section.note}</p>}
            {section.fields.map((field) => (
              <Field field={field} value={p.values[field.name]} error={p.errors[field.name]} />
            ))}
          </fieldset>
        ))}
        <button type="submit">{p.submit}</button>
      </form>
    </Layout>
  );
};

const Field: FC<{ field: FieldInfo; value: FormValues[string]; error?: string }> = ({ field, value, error }) => {
  const { label, hint } = CHECK_LABELS[field.name] ?? { label: field.name };
  const text = Array.isArray(value) ? value.join(", ") : (value ?? "");
  const common = { name: field.name, label, hint, error };
  if (field.type === "boolean") return <CheckboxField {...common} checked={text === "true"} />;
  if (field.type === "enum") return <SelectField {...common} value={text} options={field.options ?? []} />;
  if (field.name === "desc") return <TextArea {...common} value={text} />;
  return <TextField {...common} value={text} required={field.name === "name"} />;
};
