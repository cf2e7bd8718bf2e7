import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app";
import { CHANNEL_KINDS, type ChannelRow } from "../../db/schema";
import { publicConfig } from "../../domain/alerts";
import { AppError } from "../../errors";
import { channelInput, channelUpdateInput } from "../api/channel-input";
import { CreateChannel, UpdateChannel } from "../api/channel-schemas";
import {
  channelConfig,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from "../../services/channels";
import { sendTest } from "../../services/alert-pipeline/send";
import { deliveryContext } from "../../services/alert-pipeline/dispatch";
import { ChannelForm, ChannelsPage, CONFIG_FIELDS } from "../../views/admin/channels";
import { FORM_ERROR, type FormErrors, type FormValues } from "../../views/admin/fields";
import { appErrors, numberOr, parseSeconds, splitList, valueText, zodErrors } from "./forms";
import type { AdminEnv } from "./guard";

/** Channels: list, create and edit through the API's schemas, test send, delete. */
export const channelRoutes = new Hono<AdminEnv>();

type Kind = ChannelRow["kind"];
const isKind = (kind: string | undefined): kind is Kind => (CHANNEL_KINDS as readonly string[]).includes(kind ?? "");

channelRoutes.get("/channels", async (c) => listPage(c));

channelRoutes.get("/channels/new", (c) => {
  const kind = c.req.query("kind");
  if (!isKind(kind)) return c.redirect("/admin/channels", 303);
  return renderForm(c, kind, null, {}, {});
});

channelRoutes.post("/channels", async (c) => {
  const form = c.get("form") as FormValues;
  const kind = text(form.kind);
  if (!isKind(kind)) return renderForm(c, "webhook", null, form, { [FORM_ERROR]: "choose a channel kind" }, 400);
  const parsed = CreateChannel.safeParse({ kind, ...formToChannel(kind, form) });
  if (!parsed.success) return renderForm(c, kind, null, form, zodErrors(parsed.error), 400);
  try {
    const { url: _url, ...body } = parsed.data;
    const input = await channelInput(asApiContext(c), { ...body, config: body.config ?? {} });
    await createChannel(c.get("db"), c.env.LIFEBOAT_MASTER_KEY, input, Date.now());
  } catch (error) {
    if (error instanceof AppError && error.status < 500) return renderForm(c, kind, null, form, appErrors(error), 400);
    throw error;
  }
  return c.redirect("/admin/channels", 303);
});

channelRoutes.get("/channels/:id/edit", async (c) => {
  const row = await getChannel(c.get("db"), c.req.param("id"));
  const config = publicConfig(row.kind, await channelConfig(c.env.LIFEBOAT_MASTER_KEY, row));
  const values: FormValues = {
    name: row.name,
    "filter.tags": row.filterTags.join(", "),
    "filter.checks": row.filterChecks.join(", "),
    repeat_every_s: valueText("repeat_every_s", row.repeatEveryS),
  };
  for (const [field, value] of Object.entries(config)) values[`config.${field}`] = valueText(field, value);
  return renderForm(c, row.kind, row, values, {});
});

channelRoutes.post("/channels/:id", async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.param("id"));
  const form = c.get("form") as FormValues;
  const parsed = UpdateChannel.safeParse(formToChannel(row.kind, form));
  if (!parsed.success) return renderForm(c, row.kind, row, form, zodErrors(parsed.error), 400);
  try {
    const input = await channelUpdateInput(asApiContext(c), row, parsed.data);
    await updateChannel(db, c.env.LIFEBOAT_MASTER_KEY, row, input, true, Date.now());
  } catch (error) {
    if (error instanceof AppError && error.status < 500)
      return renderForm(c, row.kind, row, form, appErrors(error), 400);
    throw error;
  }
  return c.redirect("/admin/channels", 303);
});

channelRoutes.post("/channels/:id/test", async (c) => {
  const row = await getChannel(c.get("db"), c.req.param("id"));
  const result = await sendTest(deliveryContext(c.env, c.get("baseUrl"), Date.now()), row);
  const notice = result.ok
    ? `Test sent to ${row.name}${result.status ? ` (HTTP ${result.status})` : ""}.`
    : `Test to ${row.name} failed: ${result.message}`;
  return listPage(c, notice, !result.ok);
});

channelRoutes.post("/channels/:id/delete", async (c) => {
  const db = c.get("db");
  const row = await getChannel(db, c.req.param("id"));
  await deleteChannel(db, row);
  return listPage(c, `Channel ${row.name} deleted.`);
});

async function listPage(c: Context<AdminEnv>, notice?: string, failed = false) {
  const channels = await listChannels(c.get("db"));
  return c.html(<ChannelsPage page={c.get("page")} channels={channels} notice={notice} failed={failed} />);
}

function renderForm(
  c: Context<AdminEnv>,
  kind: Kind,
  row: ChannelRow | null,
  values: FormValues,
  errors: FormErrors,
  status: 200 | 400 = 200,
) {
  const action = row ? `/admin/channels/${row.uuid}` : "/admin/channels";
  return c.html(
    <ChannelForm
      page={c.get("page")}
      kind={kind}
      action={action}
      editing={row !== null}
      values={{ kind, ...values }}
      errors={errors}
    />,
    status,
  );
}

/** channelInput reads only the request's env; the dashboard's context has everything the API's has. */
const asApiContext = (c: Context<AdminEnv>) => c as unknown as Context<AppEnv>;

const text = (value: FormValues[string]) => (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).trim();

/** The form as the API's channel body; empty config fields are left out (the kind's defaults apply). */
function formToChannel(kind: Kind, form: FormValues) {
  const config: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS[kind]) {
    const raw = text(form[`config.${field.name}`]);
    if (raw === "") continue;
    if (field.name === "priority") config[field.name] = numberOr(raw);
    else if (field.name === "to" && raw.includes(",")) config[field.name] = splitList(raw);
    else config[field.name] = raw;
  }
  const name = text(form.name);
  const repeat = text(form.repeat_every_s);
  return {
    ...(name ? { name } : {}),
    config,
    filter: { tags: splitList(text(form["filter.tags"])), checks: splitList(text(form["filter.checks"])) },
    repeat_every_s: repeat === "" ? null : parseSeconds(repeat),
  };
}
