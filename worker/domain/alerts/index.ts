// Every channel kind Lifeboat can alert through. Adding one: a file next to these, one line here.
import type { Alert, Delivery } from "./alert";
import type { ChannelKind, RenderContext } from "./channel";
import { discord } from "./discord";
import { email } from "./email";
import { ntfy } from "./ntfy";
import { pagerduty } from "./pagerduty";
import { slack } from "./slack";
import { telegram } from "./telegram";
import { webhook } from "./webhook";

export const channelKinds = { webhook, slack, discord, telegram, ntfy, email, pagerduty } as const;

export type ChannelKindName = keyof typeof channelKinds;
export type { ChannelKind, RenderContext };

/** The kind as the common interface, for code that handles any kind (the outbox, the API). */
export const kindOf = (name: ChannelKindName) => channelKinds[name] as unknown as ChannelKind<ChannelKindName>;

/**
 * Validates a stored or submitted config and renders it in one step. Throws zod's error when the
 * config does not fit the kind (a stored config always should).
 */
export async function renderAlert(
  name: ChannelKindName,
  alert: Alert,
  rawConfig: unknown,
  ctx: RenderContext,
): Promise<Delivery> {
  const kind = kindOf(name);
  return kind.render(alert, kind.config.parse(rawConfig), ctx);
}

/**
 * Why a config change may not keep the stored credentials, or null when it may: it moves where
 * the channel sends (a destination field changed) and some stored credential was not given again
 * in the same request. Configs are compared as the kind parses them (defaults filled in), so
 * dropping a custom server back to the default is a move too. `submitted`: the config fields the
 * request itself carried. `fields` are the credentials to ask for.
 */
export function resendProblem(
  name: ChannelKindName,
  stored: Record<string, unknown>,
  next: Record<string, unknown>,
  submitted: readonly string[],
): { fields: string[]; message: string } | null {
  const kind = kindOf(name);
  const before = kind.config.safeParse(stored);
  const after = kind.config.safeParse(next);
  if (!before.success || !after.success) return null; // the config's own validation reports it
  const [was, will] = [before.data as Record<string, unknown>, after.data as Record<string, unknown>];
  const moved = kind.destinationFields.filter((field) => JSON.stringify(was[field]) !== JSON.stringify(will[field]));
  const held = kind.secretFields.filter((field) => was[field] !== undefined && was[field] !== "");
  const fields = held.filter((field) => !submitted.includes(field));
  if (moved.length === 0 || fields.length === 0) return null;
  // A destination that is itself a credential (a hook's URL) is not repeated in the message.
  const where = moved
    .map((field) => (kind.secretFields.includes(field) ? field : `${field} (to ${JSON.stringify(will[field])})`))
    .join(" and ");
  const message = `changing ${where} moves where this channel sends: give ${fields.join(" and ")} again in the same request (a stored credential is never sent to a new destination)`;
  return { fields, message };
}

/** The config without its credentials, for showing a channel back to a user. */
export function publicConfig(name: ChannelKindName, config: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(kindOf(name).secretFields);
  return Object.fromEntries(Object.entries(config).filter(([field]) => !secret.has(field)));
}
