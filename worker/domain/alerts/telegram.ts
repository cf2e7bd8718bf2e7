// Telegram Bot API sendMessage with parse_mode HTML. Every untrusted character is HTML-escaped, so
// the only tags Telegram sees are ours: <b>, <pre> and one <a href> to the check.
import { z } from "zod";
import { classifyHttp, defineKind, httpUrl, jsonPost, trimSlashes } from "./channel";
import { breakAutolinks, facts, headline, keepHead, keepTail, logText, stateIcon } from "./text";

// Telegram: 1–4096 characters after entity parsing. We count the HTML as sent, which is never
// shorter, so a message that fits here fits there.
const MAX_TEXT = 4096;
// Caps per untrusted part, so the name or a long list of children cannot push out the rest.
const MAX_TITLE = 300;
const MAX_FACT = 600;
const MAX_ALSO_DOWN = 1200;
// Below this, a log excerpt would be too short to be worth its room.
const MIN_LOG = 80;

export const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const escapedLength = (text: string) => escapeHtml(text).length;
/** Untrusted text outside <pre>: escaped, and URLs broken so Telegram does not link them. */
const escaped = (text: string, max: number) => escapeHtml(keepHead(breakAutolinks(text), max, escapedLength));

const CHAT_ID_PROBLEM = "chat_id must be a chat number (-100123…) or an @channel name";
const chatId = z.union(
  [
    z.number().int({ error: CHAT_ID_PROBLEM }),
    z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, { error: CHAT_ID_PROBLEM }),
  ],
  { error: (issue) => (issue.input === undefined ? "chat_id is required" : CHAT_ID_PROBLEM) },
);

const config = z.strictObject({
  bot_token: z
    .string({ error: "bot_token is required" })
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{30,64}$/, { error: "bot_token must look like 123456:ABC-DEF… (from @BotFather)" }),
  chat_id: chatId,
  api_url: httpUrl("api_url").default("https://api.telegram.org"),
});

export const telegram = defineKind({
  kind: "telegram",
  config,
  secretFields: ["bot_token"],
  destinationFields: ["api_url"],
  async render(alert, config, ctx) {
    const title = `${stateIcon(alert.kind)} <b>${escaped(headline(alert), MAX_TITLE)}</b>`;
    const lines = facts(alert, ctx.now).map(
      (fact) => `<b>${fact.label}:</b> ${escaped(fact.value, fact.label === "Also down" ? MAX_ALSO_DOWN : MAX_FACT)}`,
    );
    const link = `<a href="${escapeHtml(alert.check.url)}">Open the check</a>`;
    const withoutLog = [title, ...lines, "", link].join("\n");

    const log = logText(alert);
    const preTags = "\n<pre></pre>\n";
    const room = MAX_TEXT - withoutLog.length - preTags.length;
    const tail = log && room >= MIN_LOG ? keepTail(log, room, escapedLength) : "";
    const text = tail ? [title, ...lines, `<pre>${escapeHtml(tail)}</pre>`, "", link].join("\n") : withoutLog;

    return jsonPost(`${trimSlashes(config.api_url)}/bot${config.bot_token}/sendMessage`, {
      chat_id: config.chat_id,
      text,
      parse_mode: "HTML",
      disable_web_page_preview: true,
    });
  },
  // 400 "chat not found" or "can't parse entities", 401 (revoked token), 403 (bot blocked or
  // removed) are final; 429 "Too Many Requests" and 5xx pass.
  classify: (status) => classifyHttp(status),
  describeTarget: (config) => `telegram chat ${config.chat_id}`,
});
