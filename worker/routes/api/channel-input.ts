import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { validationFailed, type AppEnv } from "../../app";
import type { ChannelRow } from "../../db/schema";
import { kindOf, resendProblem } from "../../domain/alerts";
import { egressProblem } from "../../domain/egress";
import { allowsInsecureChannels } from "../../env";
import { AppError } from "../../errors";
import { channelConfig, type ChannelInput } from "../../services/channels";
import type { UpdateChannel } from "./channel-schemas";

type Body = {
  kind: ChannelRow["kind"];
  name?: string;
  config: Record<string, unknown>;
  filter?: { tags: string[]; checks: string[] };
  repeat_every_s?: number | null;
};

/** An update laid over the stored channel, validated like a new one. */
export async function channelUpdateInput(
  c: Context<AppEnv>,
  row: ChannelRow,
  body: z.output<typeof UpdateChannel>,
): Promise<ChannelInput> {
  const current = await channelConfig(c.env.LIFEBOAT_MASTER_KEY, row);
  // Credentials are never shown back, so an update may leave them out to keep them, but only
  // while the channel keeps sending where it did: a stored credential never follows a new URL.
  const config = body.config ? { ...pick(current, secretFieldsOf(row.kind)), ...body.config } : current;
  const problem = resendProblem(row.kind, current, config, Object.keys(body.config ?? {}));
  if (problem) {
    const { fields, message } = problem;
    const details = fields.map((field) => ({ field: `config.${field}`, message }));
    throw new AppError("validation_failed", `invalid json: config.${fields[0]}: ${message}`, details);
  }
  return channelInput(c, {
    kind: row.kind,
    name: body.name ?? row.name,
    config,
    filter: body.filter ?? { tags: row.filterTags, checks: row.filterChecks },
    repeat_every_s: body.repeat_every_s !== undefined ? body.repeat_every_s : row.repeatEveryS,
  });
}

/** Validates the kind's config with the kind's own schema, and its URLs against the egress rules. */
export async function channelInput(c: Context<AppEnv>, body: Body): Promise<ChannelInput> {
  const kind = kindOf(body.kind);
  const parsed = kind.config.safeParse(body.config);
  if (!parsed.success) throw validationFailed("json", parsed.error, "config.");
  const config = parsed.data as Record<string, unknown>;
  for (const [field, value] of Object.entries(config)) {
    if (typeof value === "string" && /^https?:\/\//i.test(value)) {
      const problem = egressProblem(value, allowsInsecureChannels(c.env));
      if (problem)
        throw new AppError("validation_failed", `invalid json: config.${field}: ${problem}`, [
          { field: `config.${field}`, message: problem },
        ]);
    }
  }
  return {
    kind: body.kind,
    name: body.name ?? kind.describeTarget(config),
    config,
    target: kind.describeTarget(config),
    filterTags: body.filter?.tags ?? [],
    filterChecks: body.filter?.checks ?? [],
    repeatEveryS: body.repeat_every_s ?? null,
  };
}

const secretFieldsOf = (kind: ChannelRow["kind"]) => kindOf(kind).secretFields;

function pick(config: Record<string, unknown>, fields: readonly string[]) {
  return Object.fromEntries(Object.entries(config).filter(([field]) => fields.includes(field)));
}
