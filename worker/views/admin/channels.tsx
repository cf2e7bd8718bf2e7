import type { FC } from "hono/jsx";
import type { ChannelRow } from "../../db/schema";
import { CHANNEL_KINDS } from "../../db/schema";
import { kindOf } from "../../domain/alerts";
import { ErrorSummary, SelectField, TextField, type FormErrors, type FormValues } from "./fields";
import { CsrfField, Layout, type PageContext } from "./layout";
import { Time } from "./overview";

type Kind = ChannelRow["kind"];
type ConfigField = { name: string; label: string; hint?: string; options?: readonly string[] };

/** The config fields of each kind (docs/CHANNELS.md); the kind's own zod schema validates them. */
export const CONFIG_FIELDS: Record<Kind, ConfigField[]> = {
  webhook: [{ name: "url", label: "URL", hint: "receives a signed JSON POST per alert" }],
  slack: [{ name: "url", label: "Incoming webhook URL" }],
  discord: [{ name: "url", label: "Webhook URL" }],
  telegram: [
    { name: "bot_token", label: "Bot token", hint: "from @BotFather" },
    { name: "chat_id", label: "Chat id", hint: "a number such as -100123, or @channelname" },
    { name: "api_url", label: "API URL", hint: "empty: https://api.telegram.org" },
  ],
  ntfy: [
    { name: "topic", label: "Topic" },
    { name: "server", label: "Server", hint: "empty: https://ntfy.sh" },
    { name: "token", label: "Access token", hint: "optional" },
    { name: "priority", label: "Priority", hint: "1–5; empty: 4 for problems" },
  ],
  email: [{ name: "to", label: "To", hint: "one address, or several separated by commas" }],
  pagerduty: [
    { name: "routing_key", label: "Routing key", hint: "the integration's 32-character key" },
    { name: "events_url", label: "Events API URL", hint: "empty: https://events.pagerduty.com/v2/enqueue" },
    { name: "severity", label: "Severity", options: ["critical", "error", "warning", "info"] },
  ],
};

export const ChannelsPage: FC<{ page: PageContext; channels: ChannelRow[]; notice?: string; failed?: boolean }> = ({
  page,
  channels,
  notice,
  failed,
}) => (
  <Layout title="Channels" page={page} current="/admin/channels">
    {notice && (
      <p class={failed ? "notice errors" : "notice"} role="status">
        {notice}
      </p>
    )}
    {channels.length === 0 ? (
      <p>No channels yet: nobody hears about a failure.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Sends to</th>
            <th scope="col">Status</th>
            <th scope="col">Only for</th>
            {page.role === "admin" && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {channels.map((ch) => (
            <tr>
              <td>{ch.name}</td>
              <td>{ch.kind}</td>
              <td>{ch.target}</td>
              <td class={ch.status === "ok" ? "ok" : "bad"}>
                {ch.status}
                {ch.brokenReason && (
                  <>
                    : {ch.brokenReason} (<Time at={ch.brokenAt} now={page.now} />)
                  </>
                )}
              </td>
              <td>{[...ch.filterTags.map((t) => `#${t}`), ...ch.filterChecks].join(", ") || "all checks"}</td>
              {page.role === "admin" && (
                <td>
                  <a href={`/admin/channels/${ch.uuid}/edit`} aria-label={`Edit ${ch.name}`}>
                    Edit
                  </a>{" "}
                  <form method="post" action={`/admin/channels/${ch.uuid}/test`} class="inline">
                    <CsrfField token={page.csrf} />
                    <button type="submit" class="secondary" aria-label={`Send a test to ${ch.name}`}>
                      Test
                    </button>
                  </form>{" "}
                  <form method="post" action={`/admin/channels/${ch.uuid}/delete`} class="inline">
                    <CsrfField token={page.csrf} />
                    <button type="submit" class="secondary" aria-label={`Delete ${ch.name}`}>
                      Delete
                    </button>
                  </form>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {page.role === "admin" && (
      <>
        <h2>Add a channel</h2>
        <ul>
          {CHANNEL_KINDS.map((kind) => (
            <li>
              <a href={`/admin/channels/new?kind=${kind}`}>{kind}</a>
            </li>
          ))}
        </ul>
      </>
    )}
  </Layout>
);

type FormProps = {
  page: PageContext;
  kind: Kind;
  action: string;
  editing: boolean;
  values: FormValues;
  errors: FormErrors;
};

export const ChannelForm: FC<FormProps> = ({ page, kind, action, editing, values, errors }) => {
  const fields = CONFIG_FIELDS[kind];
  // Credentials (the kind's secretFields) are sealed at rest and never shown back.
  const secret = new Set(kindOf(kind).secretFields);
  const v = (name: string) => (Array.isArray(values[name]) ? values[name].join(", ") : (values[name] ?? ""));
  const labels: Record<string, string> = {
    name: "Name",
    "filter.tags": "Only tags",
    "filter.checks": "Only checks",
    repeat_every_s: "Remind every",
  };
  for (const f of fields) labels[`config.${f.name}`] = f.label;
  return (
    <Layout title={editing ? `Edit ${kind} channel` : `New ${kind} channel`} page={page} current="/admin/channels">
      <ErrorSummary errors={errors} labels={labels} />
      <form method="post" action={action} class="stack" novalidate>
        <CsrfField token={page.csrf} />
        {!editing && <input type="hidden" name="kind" value={kind} />}
        <fieldset>
          <legend>{kind}</legend>
          <TextField name="name" label="Name" hint="empty: where it sends" value={v("name")} error={errors.name} />
          {fields.map((f) =>
            f.options ? (
              <SelectField
                name={`config.${f.name}`}
                label={f.label}
                options={f.options}
                value={v(`config.${f.name}`)}
                error={errors[`config.${f.name}`]}
              />
            ) : (
              <TextField
                name={`config.${f.name}`}
                label={f.label}
                hint={
                  editing && secret.has(f.name)
                    ? "stored sealed and never shown; empty keeps the current value"
                    : f.hint
                }
                type={secret.has(f.name) ? "password" : "text"}
                value={v(`config.${f.name}`)}
                error={errors[`config.${f.name}`]}
              />
            ),
          )}
        </fieldset>
        <fieldset>
          <legend>When to send</legend>
          <TextField
            name="filter.tags"
            label="Only checks with these tags"
            hint="separated by commas; empty: all checks"
            value={v("filter.tags")}
            error={errors["filter.tags"]}
          />
          <TextField
            name="filter.checks"
            label="Only these checks (slugs)"
            hint="separated by commas"
            value={v("filter.checks")}
            error={errors["filter.checks"]}
          />
          <TextField
            name="repeat_every_s"
            label="Remind every"
            hint="while a check stays down (at least 5m); empty: no reminders"
            value={v("repeat_every_s")}
            error={errors.repeat_every_s}
          />
        </fieldset>
        <button type="submit">{editing ? "Save changes" : "Create channel"}</button>
      </form>
    </Layout>
  );
};
