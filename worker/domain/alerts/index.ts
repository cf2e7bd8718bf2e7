// Every channel kind Lifeboat can alert through. Adding one: a file next to these, one line here.
import type { z } from "zod";
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
/** A kind's config after validation, defaults filled in. */
export type ChannelConfig<K extends ChannelKindName> = z.output<(typeof channelKinds)[K]["config"]>;
export type { ChannelKind, RenderContext };

export const isChannelKind = (name: string): name is ChannelKindName => Object.hasOwn(channelKinds, name);

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
 * The stored credentials a config change would send to a new destination without the user giving
 * them again, and the destination fields that changed. Configs are compared as the kind parses
 * them (defaults filled in), so dropping a custom server back to the default is a change too.
 * `submitted`: the config fields the request itself carried.
 */
export function resendNeeded(
  name: ChannelKindName,
  stored: Record<string, unknown>,
  next: Record<string, unknown>,
  submitted: readonly string[],
): { moved: { field: string; to: unknown }[]; missing: string[] } {
  const kind = kindOf(name);
  const before = kind.config.safeParse(stored);
  const after = kind.config.safeParse(next);
  if (!before.success || !after.success) return { moved: [], missing: [] }; // validation reports it
  const [was, will] = [before.data as Record<string, unknown>, after.data as Record<string, unknown>];
  const moved = kind.destinationFields
    .filter((field) => JSON.stringify(was[field]) !== JSON.stringify(will[field]))
    // A destination that is itself a credential (a webhook URL) is not repeated in messages.
    .map((field) => ({ field, to: kind.secretFields.includes(field) ? null : will[field] }));
  if (moved.length === 0) return { moved, missing: [] };
  const held = kind.secretFields.filter((field) => was[field] !== undefined && was[field] !== "");
  return { moved, missing: held.filter((field) => !submitted.includes(field)) };
}

/** The config without its credentials, for showing a channel back to a user. */
export function publicConfig(name: ChannelKindName, config: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(kindOf(name).secretFields);
  return Object.fromEntries(Object.entries(config).filter(([field]) => !secret.has(field)));
}
