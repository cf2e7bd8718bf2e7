// ntfy: JSON publishing (POST the server root with {topic, title, message, …}). JSON rather than the
// header form because headers cannot carry a non-ASCII check name safely. ntfy shows the message as
// plain text (we do not ask for markdown), so nothing needs escaping.
import { z } from "zod";
import type { AlertKind } from "./alert";
import { defineKind, httpUrl, jsonPost, trimSlashes } from "./channel";
import { facts, headline, keepHead, keepTail, logText, utf8Length } from "./text";

// ntfy turns a message over 4096 bytes into an attachment, or refuses it where attachments are off.
const MAX_MESSAGE_BYTES = 4096;
const MAX_TITLE = 250;

/** Tags that name an emoji are shown as one in front of the title. */
const TAGS: Record<AlertKind, string[]> = {
  down: ["rotating_light", "lifeboat", "down"],
  up: ["white_check_mark", "lifeboat", "up"],
  reminder: ["bell", "lifeboat", "down"],
  flapping: ["warning", "lifeboat", "flapping"],
  retention: ["card_file_box", "lifeboat", "retention"],
  drill: ["fire_extinguisher", "lifeboat", "drill"],
  test: ["test_tube", "lifeboat", "test"],
};

/** ntfy's default is 3; problems are "high" (4) unless the channel sets its own priority. */
const DEFAULT_PRIORITY = 4;

const config = z.strictObject({
  topic: z
    .string({ error: "topic is required" })
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "topic must be 1–64 letters, digits, _ or - (no slashes)" }),
  server: httpUrl("server").default("https://ntfy.sh"),
  token: z
    .string({ error: "token must be a string" })
    .regex(/^[\x21-\x7E]{1,200}$/, { error: "token must be an access token like tk_… without spaces" })
    .optional(),
  priority: z
    .number({ error: "priority must be a number from 1 to 5" })
    .int({ error: "priority must be a whole number from 1 to 5" })
    .min(1, { error: "priority must be from 1 to 5" })
    .max(5, { error: "priority must be from 1 to 5" })
    .optional(),
});

export const ntfy = defineKind({
  kind: "ntfy",
  config,
  // On a public server anyone who knows the topic can read it: the topic is a credential too.
  secretFields: ["topic", "token"],
  destinationFields: ["server"],
  async render(alert, config, ctx) {
    const summary = facts(alert, ctx.now)
      .map((fact) => `${fact.label}: ${fact.value}`)
      .join("\n");
    const log = logText(alert);
    // The summary is a few hundred bytes at most; the log gets whatever room is left.
    const head = keepHead(summary, MAX_MESSAGE_BYTES, utf8Length);
    const logHeading = "\n\nLast output:\n";
    const room = MAX_MESSAGE_BYTES - utf8Length(head) - utf8Length(logHeading);
    const tail = log && room > 0 ? keepTail(log, room, utf8Length) : "";
    const loud = alert.kind === "down" || alert.kind === "reminder" || alert.kind === "flapping";
    return jsonPost(
      `${trimSlashes(config.server)}/`,
      {
        topic: config.topic,
        title: keepHead(headline(alert), MAX_TITLE),
        message: tail ? `${head}${logHeading}${tail}` : head,
        tags: TAGS[alert.kind],
        // The all-clear is never louder than the channel's problems.
        priority: loud ? (config.priority ?? DEFAULT_PRIORITY) : Math.min(config.priority ?? 3, 3),
        click: alert.check.url,
      },
      config.token ? { Authorization: `Bearer ${config.token}` } : {},
    );
  },
  classify: classifyNtfy,
  describeTarget: (config) => `ntfy topic ${config.topic.slice(0, 2)}… on ${new URL(config.server).host}`,
});

/**
 * ntfy answers errors as JSON {"code": 40009, "http": 400, "error": "invalid request: topic invalid"}.
 * 400 (bad topic, priority, …), 401/403 (token wrong or no write access to the topic) and 413 (too
 * large) cannot get better by waiting. A 404 is final only when ntfy itself says it (its JSON
 * carries a `code`): publishing to the root never 404s on a real ntfy, so a 404 without ntfy's
 * body is a proxy or a server mid-deploy, and worth retrying until the 24 h limit.
 */
export function classifyNtfy(status: number, body: string): "retry" | "permanent" {
  if (status === 408 || status === 429 || status >= 500) return "retry";
  if (status === 404) return isNtfyError(body) ? "permanent" : "retry";
  return status >= 400 ? "permanent" : "retry";
}

function isNtfyError(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null && typeof (parsed as { code?: unknown }).code === "number";
  } catch {
    return false;
  }
}
