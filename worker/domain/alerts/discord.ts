// Discord webhooks: one embed. Untrusted text is markdown-escaped with backslashes and its mentions
// broken; `allowed_mentions: { parse: [] }` is the second lock, so nothing can ping even if an
// escape were missed. The log sits in a code block whose fence it cannot close.
import { z } from "zod";
import type { AlertKind } from "./alert";
import { classifyHttp, defineKind, httpUrl, jsonPost, maskedUrl } from "./channel";
import { breakBacktickRuns, facts, headline, isoUtc, keepHead, keepTail, logText, stateIcon } from "./text";

// Discord's limits: content ≤ 2000; an embed's title ≤ 256, description ≤ 4096, field name ≤ 256,
// field value ≤ 1024, footer ≤ 2048, and all of an embed's text together ≤ 6000.
const MAX_CONTENT = 2000;
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 4096;
const MAX_FIELD_VALUE = 1024;
const MAX_EMBED_TOTAL = 6000;

const COLOR: Record<AlertKind, number> = {
  down: 0xe74c3c, // red
  reminder: 0xe74c3c,
  up: 0x2ecc71, // green
  flapping: 0xf39c12, // amber
  retention: 0xf1c40f, // yellow: data is at risk, nothing is down
  drill: 0xe74c3c,
  test: 0x3498db, // blue: nothing is wrong
};

/**
 * Escapes markdown (a backslash before any of \ * _ ~ ` | > # - . [ ] ( ) < :) and breaks
 * @everyone/@here with a zero-width space. With "<" and ":" escaped, <@id>, <#id>, <:emoji:id>
 * and bare http:// links cannot form either.
 */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>#\-.[\]()<:]/g, "\\$&").replace(/@(everyone|here)/gi, "@\u200B$1");
}

const escapedLength = (text: string) => escapeDiscord(text).length;
const escaped = (text: string, max: number) => escapeDiscord(keepHead(text, max, escapedLength));

function codeBlock(log: string, room: number): string {
  const fence = "```";
  const tail = keepTail(breakBacktickRuns(log), room - 2 * fence.length - 2);
  // A newline right after the fence: the first log line must not be taken as a language name.
  return tail ? `${fence}\n${tail}\n${fence}` : "";
}

export const discord = defineKind({
  kind: "discord",
  config: z.strictObject({ url: httpUrl("url") }),
  // The webhook URL carries the webhook's token: whoever has it can post.
  secretFields: ["url"],
  destinationFields: ["url"],
  async render(alert, config, ctx) {
    // Only the name is escaped in the title and content: our own words need no escapes.
    const title = keepHead(`${stateIcon(alert.kind)} ${headline(alert, escapeDiscord)}`, MAX_TITLE);
    const fields = facts(alert, ctx.now).map((fact) => ({
      name: fact.label,
      value: escaped(fact.value, MAX_FIELD_VALUE),
      inline: fact.label !== "Reason" && fact.label !== "Also down",
    }));
    const footer = "Lifeboat";
    const used = title.length + footer.length + fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    const log = logText(alert);
    const description = log ? codeBlock(log, Math.min(MAX_DESCRIPTION, MAX_EMBED_TOTAL - used)) : "";
    return jsonPost(config.url, {
      content: keepHead(headline(alert, escapeDiscord), MAX_CONTENT),
      embeds: [
        {
          title,
          url: alert.check.url,
          color: COLOR[alert.kind],
          ...(description ? { description } : {}),
          fields,
          footer: { text: footer },
          timestamp: isoUtc(alert.since),
        },
      ],
      allowed_mentions: { parse: [] },
    });
  },
  // 400 (a malformed message), 401/403 (bad token), 404 (Unknown Webhook) are final; 429 and 5xx pass.
  classify: (status) => classifyHttp(status),
  describeTarget: (config) => `Discord webhook ${maskedUrl(config.url)}`,
});
