// Slack incoming webhooks: Block Kit JSON. Untrusted text (names, reasons, logs) only ever lands in
// plain_text objects or inside a code block, and is escaped everywhere, so it cannot mention anyone,
// make a link or format itself. Only the header, fact and link blocks below are ours.
import { z } from "zod";
import { classifyHttp, defineKind, httpUrl, jsonPost, maskedUrl } from "./channel";
import { breakAutolinks, breakBacktickRuns, facts, headline, keepHead, keepTail, logText, stateIcon } from "./text";

// Slack's limits (Block Kit reference): a header's text ≤ 150, a section's text ≤ 3000 characters.
const MAX_HEADER = 150;
const MAX_SECTION = 3000;

/** Slack reads &, < and > as its control characters; everything else is literal. */
export const escapeSlack = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const escapedLength = (text: string) => escapeSlack(text).length;

const plain = (text: string, max: number) => ({
  type: "plain_text" as const,
  text: escapeSlack(keepHead(breakAutolinks(text), max, escapedLength)),
  emoji: true,
});

/** Our own link: the URL is escaped and a "|" in it encoded, so it cannot end the link early. */
const link = (url: string, label: string) => `<${escapeSlack(url).replace(/\|/g, "%7C")}|${label}>`;

const LOG_LABEL = "*Last output*\n";

function logSection(log: string) {
  const fence = "```";
  const room = MAX_SECTION - LOG_LABEL.length - 2 * fence.length - 2;
  const tail = keepTail(breakBacktickRuns(log), room, escapedLength);
  // verbatim: Slack must not turn anything in the block into links or mentions.
  const text = `${LOG_LABEL}${fence}\n${escapeSlack(tail)}\n${fence}`;
  return { type: "section", text: { type: "mrkdwn", text, verbatim: true } };
}

export const slack = defineKind({
  kind: "slack",
  config: z.strictObject({ url: httpUrl("url") }),
  // A Slack incoming webhook URL is itself the credential: whoever has it can post.
  secretFields: ["url"],
  destinationFields: ["url"],
  async render(alert, config, ctx) {
    const title = `${stateIcon(alert.kind)} ${headline(alert)}`;
    const body = facts(alert, ctx.now)
      .map((fact) => `${fact.label}: ${fact.value}`)
      .join("\n");
    const log = logText(alert);
    const blocks: unknown[] = [
      { type: "header", text: plain(title, MAX_HEADER) },
      { type: "section", text: plain(body, MAX_SECTION) },
      ...(log ? [logSection(log)] : []),
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `${link(alert.check.url, "Open the check")} · Lifeboat`, verbatim: true }],
      },
    ];
    return jsonPost(config.url, {
      // The notification text; `mrkdwn: false` keeps *, _ and ~ in a check's name literal there too.
      text: escapeSlack(keepHead(breakAutolinks(title), MAX_SECTION, escapedLength)),
      mrkdwn: false,
      blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
  },
  // Slack's answers fit the common table: 400 invalid_payload/invalid_blocks, 403 invalid_token or
  // action_prohibited, 404 no_service or channel_not_found, 410 channel_is_archived are final;
  // 429 and 5xx (rollup_error) pass.
  classify: (status) => classifyHttp(status),
  describeTarget: (config) => `Slack webhook ${maskedUrl(config.url)}`,
});
