// The shape every channel kind has, and the pieces most kinds share (URL fields, the HTTP failure
// table, a JSON POST). One file per kind builds on these; index.ts lists them.
import { z } from "zod";
import type { Alert, Delivery, FailureKind, HttpDelivery } from "./alert";

export type RenderContext = {
  /** The channel's webhook signing secret (whsec_…); only the webhook kind uses it. */
  signingSecret: string;
  now: number;
};

export type ChannelKind<Name extends string = string, Config = unknown> = {
  kind: Name;
  /** Validates a channel's config as a user sends it (strict: unknown fields are an error). */
  config: z.ZodType<Config>;
  /** Config fields that are credentials: stored sealed, never shown back by the API. */
  secretFields: readonly string[];
  /**
   * Config fields that decide where requests (and so the credentials) go. Changing one needs every
   * stored credential again in the same request (resendProblem).
   */
  destinationFields: readonly string[];
  render(alert: Alert, config: Config, ctx: RenderContext): Promise<Delivery>;
  /** Only for non-2xx answers: whether trying again later can help. */
  classify(status: number, body: string): FailureKind;
  /** A human label without secrets, for lists and logs: "telegram chat -100123". */
  describeTarget(config: Config): string;
};

/**
 * Checks a kind against ChannelKind, keeping its literal name and config type. render and
 * describeTarget parse the config again, so a config stored before a default was added (or unsealed
 * as raw JSON) still renders with its defaults, and one that no longer fits throws instead of
 * producing a request to "undefined".
 */
export function defineKind<const Name extends string, Config>(
  kind: ChannelKind<Name, Config>,
): ChannelKind<Name, Config> {
  return {
    ...kind,
    render: (alert, config, ctx) => kind.render(alert, kind.config.parse(config), ctx),
    describeTarget: (config) => kind.describeTarget(kind.config.parse(config)),
  };
}

/**
 * Most services: 408, 429 and 5xx are passing trouble; any other 4xx means the request or the
 * credentials are wrong, and sending the same request again cannot succeed.
 */
export function classifyHttp(status: number): FailureKind {
  if (status === 408 || status === 429 || status >= 500) return "retry";
  return status >= 400 ? "permanent" : "retry";
}

/**
 * An http(s) URL. Plain http stays valid here so tests and local receivers work; whether it is
 * allowed is the API's decision (ALLOW_INSECURE_CHANNELS), not the renderer's.
 */
export function httpUrl(field: string) {
  return z
    .string({ error: `${field} is required` })
    .max(2000, { error: `${field} is longer than 2000 characters` })
    .refine(isHttpUrl, { error: `${field} must be an http(s) URL` });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

export const USER_AGENT = "Lifeboat/1";

export function jsonPost(url: string, payload: unknown, headers: Record<string, string> = {}): HttpDelivery {
  return {
    transport: "http",
    url,
    headers: { "Content-Type": "application/json", "User-Agent": USER_AGENT, ...headers },
    body: JSON.stringify(payload),
  };
}

/** "hooks.slack.com/…/Xy9z": the host and the last 4 characters of the path, enough to tell hooks apart. */
export function maskedUrl(raw: string): string {
  const url = new URL(raw);
  const path = url.pathname.replace(/\/+$/, "");
  const tail = path.slice(-4);
  return path.length > 4 ? `${url.host}/…/${tail}` : url.host;
}

/** A base URL without its trailing slashes, so `${base}/path` never doubles one. */
export const trimSlashes = (url: string) => url.replace(/\/+$/, "");
