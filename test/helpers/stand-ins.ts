// Stand-ins for the chat and paging services (no third-party server is reachable in tests). Each
// checks a request the way the real service does, as far as its public docs say, and answers the
// way it does. The receiver (receiver.ts) routes to them:
//
//   POST /slack/<inbox>                    Slack incoming webhook      → 200 "ok" | 400 "invalid_blocks"…
//   POST /discord/<inbox>[?wait=true]      Discord webhook             → 204 (200 + message) | 400 JSON
//   POST /telegram/bot<token>/sendMessage  Telegram Bot API            → {"ok":true,…} | {"ok":false,…}
//   POST /ntfy/                            ntfy JSON publishing        → 200 message JSON | 4xx JSON
//   POST /pagerduty/v2/enqueue             PagerDuty Events API v2     → 202 {"status":"success",…} | 400
//
// The inbox a request is recorded under (GET /_requests/<inbox>) is the path segment after /slack/
// or /discord/, the bot token for Telegram, the topic for ntfy and the routing_key for PagerDuty.
// Every request with an inbox is recorded, accepted or not, with the status it was answered (2xx =
// accepted). PUT /_control/<inbox> {"status": 429} makes the inbox answer that status with the
// service's own error body; {"hang": true} makes it never answer.

export type StandInRequest = { method: string; path: string; headers: Record<string, string>; body: string };
export type StandInAnswer = { inbox: string | null; status: number; contentType: string; body: string };
export type Behaviour = { status?: number; hang?: boolean };

type Service = {
  inboxOf(request: StandInRequest, segments: string[]): string | null;
  handle(request: StandInRequest, segments: string[]): Omit<StandInAnswer, "inbox">;
  /** The service's error answer for a status forced through /_control/. */
  failure(status: number): Omit<StandInAnswer, "inbox">;
};

/** The stand-in's answer for a request under /<route>/, "hang", or null when no stand-in serves the route. */
export function answerAsService(
  route: string,
  request: StandInRequest,
  behaviourOf: (inbox: string) => Behaviour,
): StandInAnswer | "hang" | null {
  const service = SERVICES[route];
  if (!service) return null;
  const [pathOnly = ""] = request.path.split("?");
  const segments = pathOnly.split("/").slice(2).map(decodeURIComponent);
  const inbox = service.inboxOf(request, segments);
  const how = inbox === null ? {} : behaviourOf(inbox);
  if (how.hang) return "hang";
  if (request.method !== "POST") return { inbox, status: 405, contentType: "text/plain", body: "Method Not Allowed" };
  if (how.status !== undefined && how.status >= 300) return { inbox, ...service.failure(how.status) };
  return { inbox, ...service.handle(request, segments) };
}

const text = (status: number, body: string) => ({ status, contentType: "text/plain; charset=utf-8", body });
const json = (status: number, body: unknown) => ({
  status,
  contentType: "application/json",
  body: JSON.stringify(body),
});

function parseJson(body: string): Record<string, any> | null {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, any>)
      : null;
  } catch {
    return null;
  }
}

const isString = (value: unknown): value is string => typeof value === "string";
const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const onlyKeys = (value: Record<string, unknown>, allowed: string[]) =>
  Object.keys(value).every((key) => allowed.includes(key));

function isHttpUrl(value: unknown): boolean {
  if (!isString(value)) return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- Slack (Block Kit reference limits)

function slackTextObject(value: unknown, max: number): boolean {
  if (!isObject(value) || !isString(value.text) || value.text.length < 1 || value.text.length > max) return false;
  if (value.type === "plain_text") return onlyKeys(value, ["type", "text", "emoji"]);
  if (value.type === "mrkdwn") return onlyKeys(value, ["type", "text", "verbatim"]);
  return false;
}

function slackBlockProblem(block: unknown): string | null {
  if (!isObject(block)) return "a block is not an object";
  if (block.block_id !== undefined && (!isString(block.block_id) || block.block_id.length > 255)) return "block_id";
  switch (block.type) {
    case "header":
      if (!onlyKeys(block, ["type", "text", "block_id"])) return "header: unknown field";
      if (!slackTextObject(block.text, 150) || block.text.type !== "plain_text") return "header text";
      return null;
    case "section": {
      if (!onlyKeys(block, ["type", "text", "fields", "block_id", "accessory", "expand"]))
        return "section: unknown field";
      if (block.text === undefined && block.fields === undefined) return "section needs text or fields";
      if (block.text !== undefined && !slackTextObject(block.text, 3000)) return "section text";
      const fields = block.fields;
      if (fields !== undefined && (!Array.isArray(fields) || fields.length > 10 || fields.length === 0))
        return "section fields";
      if (fields?.some((field: unknown) => !slackTextObject(field, 2000))) return "section field";
      return null;
    }
    case "context": {
      if (!onlyKeys(block, ["type", "elements", "block_id"])) return "context: unknown field";
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length < 1 || elements.length > 10) return "context elements";
      return elements.every((element) => slackTextObject(element, 3000)) ? null : "context element";
    }
    case "divider":
      return onlyKeys(block, ["type", "block_id"]) ? null : "divider: unknown field";
    default:
      return `unknown block type ${String(block.type)}`;
  }
}

const slack: Service = {
  inboxOf: (_request, segments) => segments[0] || null,
  handle(request) {
    const payload = parseJson(request.body);
    if (!payload) return text(400, "invalid_payload");
    const hasText = isString(payload.text) && payload.text.trim() !== "";
    if (payload.text !== undefined && !isString(payload.text)) return text(400, "invalid_payload");
    if (isString(payload.text) && payload.text.length > 40_000) return text(400, "msg_too_long");
    if (payload.blocks !== undefined) {
      const blocks = payload.blocks;
      if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return text(400, "invalid_blocks");
      if (blocks.some((block) => slackBlockProblem(block) !== null)) return text(400, "invalid_blocks");
    } else if (!hasText) {
      return text(400, "no_text");
    }
    return text(200, "ok");
  },
  failure(status) {
    const reason: Record<number, string> = {
      400: "invalid_payload",
      403: "invalid_token",
      404: "no_service",
      410: "channel_is_archived",
      429: "rate_limited",
    };
    return text(status, reason[status] ?? "rollup_error");
  },
};

// ---------------------------------------------------------------- Discord (Execute Webhook + embed limits)

function discordProblem(payload: Record<string, any>): [string, string] | null {
  const { content, embeds } = payload;
  if (content !== undefined && (!isString(content) || content.length > 2000))
    return ["content", "Must be 2000 or fewer in length."];
  if (embeds !== undefined && (!Array.isArray(embeds) || embeds.length > 10))
    return ["embeds", "Must be 10 or fewer in length."];
  let total = 0;
  for (const [i, embed] of (embeds ?? []).entries()) {
    if (!isObject(embed)) return [`embeds.${i}`, "Must be an object."];
    const limits: [string, unknown, number][] = [
      ["title", embed.title, 256],
      ["description", embed.description, 4096],
      ["footer.text", embed.footer?.text, 2048],
      ["author.name", embed.author?.name, 256],
    ];
    for (const [field, value, max] of limits) {
      if (value === undefined) continue;
      if (!isString(value) || value.length > max) return [`embeds.${i}.${field}`, `Must be ${max} or fewer in length.`];
      total += value.length;
    }
    if (embed.url !== undefined && !isHttpUrl(embed.url)) return [`embeds.${i}.url`, "Not a well formed URL."];
    if (embed.color !== undefined && !(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff))
      return [`embeds.${i}.color`, "Int value should be between 0 and 16777215."];
    if (embed.timestamp !== undefined && Number.isNaN(Date.parse(embed.timestamp)))
      return [`embeds.${i}.timestamp`, "Could not parse timestamp."];
    const fields = embed.fields ?? [];
    if (!Array.isArray(fields) || fields.length > 25) return [`embeds.${i}.fields`, "Must be 25 or fewer in length."];
    for (const [j, field] of fields.entries()) {
      if (!isString(field?.name) || field.name.length < 1 || field.name.length > 256)
        return [`embeds.${i}.fields.${j}.name`, "Must be between 1 and 256 in length."];
      if (!isString(field.value) || field.value.length < 1 || field.value.length > 1024)
        return [`embeds.${i}.fields.${j}.value`, "Must be between 1 and 1024 in length."];
      total += field.name.length + field.value.length;
    }
  }
  if (total > 6000) return ["embeds", "Embed size exceeds maximum size of 6000"];
  const parse = payload.allowed_mentions?.parse;
  if (parse !== undefined && !(Array.isArray(parse) && parse.every((p) => ["roles", "users", "everyone"].includes(p))))
    return ["allowed_mentions.parse", "Value must be one of ('roles', 'users', 'everyone')."];
  return null;
}

/** Discord's error shape: {"code": 50035, "errors": {"embeds": {"0": {"title": {"_errors": […]}}}}, …}. */
function formError(path: string, message: string) {
  const errors = path
    .split(".")
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), { _errors: [{ code: "BASE_TYPE_INVALID", message }] });
  return json(400, { code: 50035, errors, message: "Invalid Form Body" });
}

let discordMessageId = 1_100_000_000_000_000_000n;

const discord: Service = {
  inboxOf: (_request, segments) => segments[0] || null,
  handle(request) {
    const payload = parseJson(request.body);
    if (!payload) return json(400, { code: 50109, message: "The request body contains invalid JSON." });
    const problem = discordProblem(payload);
    if (problem) return formError(...problem);
    const empty = !(isString(payload.content) && payload.content.trim()) && !payload.embeds?.length;
    if (empty) return json(400, { code: 50006, message: "Cannot send an empty message" });
    if (!/[?&]wait=true\b/.test(request.path)) return { status: 204, contentType: "text/plain", body: "" };
    discordMessageId += 1n;
    return json(200, { id: String(discordMessageId), content: payload.content ?? "", embeds: payload.embeds ?? [] });
  },
  failure(status) {
    const answers: Record<number, unknown> = {
      401: { message: "401: Unauthorized", code: 0 },
      403: { message: "Missing Access", code: 50001 },
      404: { message: "Unknown Webhook", code: 10015 },
      429: { message: "You are being rate limited.", retry_after: 1.5, global: false },
    };
    return json(status, answers[status] ?? { message: `${status}: Internal Server Error`, code: 0 });
  },
};

// ---------------------------------------------------------------- Telegram (Bot API, HTML parse mode)

type TelegramEntity = { type: string; offset: number; length: number; url?: string };
const TAG_ENTITY: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
  a: "text_link",
  blockquote: "blockquote",
};
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * Telegram's HTML: only its tags, properly nested; &lt; &gt; &amp; &quot; and numeric entities.
 * Stricter than Telegram on one point: a bare "&" or ">" is refused, where Telegram may let it pass.
 */
function parseTelegramHtml(html: string): { text: string; entities: TelegramEntity[] } | { error: string } {
  let out = "";
  const entities: TelegramEntity[] = [];
  const open: { tag: string; offset: number; url?: string }[] = [];
  let i = 0;
  const fail = (what: string) => ({ error: `Bad Request: can't parse entities: ${what} at byte offset ${i}` });
  while (i < html.length) {
    const char = html[i]!;
    if (char === "<") {
      const tag = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+\s*=\s*"[^"]*")*)\s*>/i.exec(html.slice(i));
      if (!tag) return fail("Unsupported start tag");
      const [whole, closing, rawName, attributes] = tag;
      const name = rawName!.toLowerCase();
      if (!(name in TAG_ENTITY)) return fail(`Unsupported start tag "${name}"`);
      if (closing) {
        const top = open.pop();
        if (!top || top.tag !== name) return fail(`Unmatched end tag "${name}"`);
        const entity: TelegramEntity = { type: TAG_ENTITY[name]!, offset: top.offset, length: out.length - top.offset };
        if (top.url) entity.url = top.url;
        entities.push(entity);
      } else {
        const href = /href\s*=\s*"([^"]*)"/i.exec(attributes ?? "")?.[1];
        if (name === "a" && href === undefined) return fail('Tag "a" must have attribute "href"');
        open.push({ tag: name, offset: out.length, url: href && decodeEntities(href) });
      }
      i += whole!.length;
    } else if (char === "&") {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/i.exec(html.slice(i));
      if (!entity) return fail("Unsupported HTML entity");
      out += decodeEntities(entity[0]);
      i += entity[0].length;
    } else if (char === ">") {
      return fail('Character ">" is reserved');
    } else {
      out += char;
      i += 1;
    }
  }
  if (open.length) return fail(`Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`);
  return { text: out, entities: [...entities, ...autoLinks(out, entities)] };
}

function decodeEntities(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/gi, (_, name: string) => {
    if (name[0] !== "#") return NAMED_ENTITIES[name.toLowerCase()]!;
    return String.fromCodePoint(name[1]?.toLowerCase() === "x" ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
  });
}

/** Telegram links bare URLs on its own, except inside code and pre. */
function autoLinks(text: string, entities: TelegramEntity[]): TelegramEntity[] {
  const code = entities.filter((e) => e.type === "code" || e.type === "pre");
  const found: TelegramEntity[] = [];
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"]+/g)) {
    const inside = code.some((e) => match.index >= e.offset && match.index < e.offset + e.length);
    if (!inside) found.push({ type: "url", offset: match.index, length: match[0].length });
  }
  return found;
}

let telegramMessageId = 0;
const TELEGRAM_TOKEN = /^\d+:[A-Za-z0-9_-]{30,}$/;
const telegramError = (status: number, description: string, extra: object = {}) =>
  json(status, { ok: false, error_code: status, description, ...extra });

const telegram: Service = {
  inboxOf: (_request, segments) => (segments[0]?.startsWith("bot") ? segments[0].slice(3) : null),
  handle(request, segments) {
    const token = segments[0]?.slice(3) ?? "";
    if (!TELEGRAM_TOKEN.test(token) || segments[1] !== "sendMessage") return telegramError(404, "Not Found");
    const payload = parseJson(request.body);
    if (!payload) return telegramError(400, "Bad Request: message text is empty");
    const chatId = payload.chat_id;
    if (chatId === undefined || chatId === "") return telegramError(400, "Bad Request: chat_id is empty");
    if (!Number.isInteger(chatId) && !(isString(chatId) && /^(-?\d+|@\w{4,32})$/.test(chatId)))
      return telegramError(400, "Bad Request: chat not found");
    if (!isString(payload.text) || payload.text.trim() === "")
      return telegramError(400, "Bad Request: message text is empty");
    let message: { text: string; entities: TelegramEntity[] } = { text: payload.text, entities: [] };
    if (payload.parse_mode !== undefined) {
      if (payload.parse_mode !== "HTML") return telegramError(400, "Bad Request: unsupported parse_mode");
      const parsed = parseTelegramHtml(payload.text);
      if ("error" in parsed) return telegramError(400, parsed.error);
      message = parsed;
    }
    if (message.text.trim() === "") return telegramError(400, "Bad Request: message text is empty");
    if (message.text.length > 4096) return telegramError(400, "Bad Request: message is too long");
    telegramMessageId += 1;
    return json(200, {
      ok: true,
      result: {
        message_id: telegramMessageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: isString(chatId) && chatId.startsWith("@") ? "channel" : "group" },
        text: message.text,
        entities: message.entities,
      },
    });
  },
  failure(status) {
    if (status === 429)
      return telegramError(429, "Too Many Requests: retry after 5", { parameters: { retry_after: 5 } });
    const descriptions: Record<number, string> = {
      400: "Bad Request: chat not found",
      401: "Unauthorized",
      403: "Forbidden: bot was blocked by the user",
      404: "Not Found",
    };
    return telegramError(status, descriptions[status] ?? "Internal Server Error");
  },
};

// ---------------------------------------------------------------- ntfy (JSON publishing)

const ntfyError = (status: number, code: number, error: string) => json(status, { code, http: status, error });
const byteLength = (value: string) => Buffer.byteLength(value, "utf8");

const ntfy: Service = {
  inboxOf: (request, segments) => {
    const topic = parseJson(request.body)?.topic;
    return segments.join("") === "" && isString(topic) && topic !== "" ? topic : null;
  },
  handle(request, segments) {
    if (segments.join("") !== "") return ntfyError(404, 40401, "page not found");
    const auth = request.headers.authorization;
    if (auth !== undefined && !/^(Bearer tk_[A-Za-z0-9]+|Basic [A-Za-z0-9+/=]+)$/.test(auth))
      return ntfyError(401, 40101, "unauthorized");
    const payload = parseJson(request.body);
    if (!payload) return ntfyError(400, 40017, "invalid request: request body must be message JSON");
    if (!isString(payload.topic) || !/^[-_A-Za-z0-9]{1,64}$/.test(payload.topic))
      return ntfyError(400, 40009, "invalid request: topic invalid");
    const { title, message, priority, tags, click } = payload;
    if (priority !== undefined && !(Number.isInteger(priority) && priority >= 1 && priority <= 5))
      return ntfyError(400, 40007, "invalid priority");
    if (tags !== undefined && !(Array.isArray(tags) && tags.every(isString)))
      return ntfyError(400, 40017, "invalid request: request body must be message JSON");
    if (click !== undefined && !isHttpUrl(click)) return ntfyError(400, 40013, "invalid request: click URL is invalid");
    if ((title !== undefined && !isString(title)) || (message !== undefined && !isString(message)))
      return ntfyError(400, 40017, "invalid request: request body must be message JSON");
    // A real server turns a longer message into an attachment; this one has attachments turned off.
    if (isString(message) && byteLength(message) > 4096)
      return ntfyError(413, 41301, "invalid request: message too large, and attachments are not allowed");
    const time = Math.floor(Date.now() / 1000);
    return json(200, {
      id: crypto.randomUUID().slice(0, 12),
      time,
      expires: time + 43_200,
      event: "message",
      topic: payload.topic,
      ...(title ? { title } : {}),
      message: message || "triggered",
      ...(priority ? { priority } : {}),
      ...(tags ? { tags } : {}),
      ...(click ? { click } : {}),
    });
  },
  failure(status) {
    const answers: Record<number, [number, string]> = {
      400: [40009, "invalid request: topic invalid"],
      401: [40101, "unauthorized"],
      403: [40301, "forbidden"],
      404: [40401, "page not found"],
      429: [42901, "limit reached: too many requests"],
    };
    const [code, error] = answers[status] ?? [50001, "internal server error"];
    return ntfyError(status, code, error);
  },
};

// ---------------------------------------------------------------- PagerDuty (Events API v2)

function pagerDutyProblems(event: Record<string, any>): string[] {
  const problems: string[] = [];
  const { routing_key: key, event_action: action, dedup_key: dedupKey, payload, links } = event;
  if (!isString(key) || key === "") problems.push("'routing_key' is missing or blank");
  else if (key.length !== 32) problems.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!["trigger", "acknowledge", "resolve"].includes(action))
    problems.push("'event_action' is invalid (must be one of trigger, acknowledge or resolve)");
  if (dedupKey !== undefined && (!isString(dedupKey) || dedupKey.length > 255))
    problems.push("'dedup_key' must be a string of at most 255 characters");
  if (action !== "trigger" && !(isString(dedupKey) && dedupKey !== ""))
    problems.push("'dedup_key' is missing or blank");
  if (action === "trigger") {
    if (!isObject(payload)) return [...problems, "'payload' is missing or blank"];
    if (!isString(payload.summary) || payload.summary === "") problems.push("'payload.summary' is missing or blank");
    else if (payload.summary.length > 1024) problems.push("'payload.summary' is longer than 1024 characters");
    if (!isString(payload.source) || payload.source === "") problems.push("'payload.source' is missing or blank");
    if (!["critical", "error", "warning", "info"].includes(payload.severity))
      problems.push("'payload.severity' is invalid (must be one of critical, error, warning or info)");
    if (payload.timestamp !== undefined && Number.isNaN(Date.parse(payload.timestamp)))
      problems.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
  }
  if (links !== undefined && !(Array.isArray(links) && links.every((link) => isObject(link) && isString(link.href))))
    problems.push("'links' must be a list of objects with an href");
  return problems;
}

const pagerduty: Service = {
  inboxOf: (request) => {
    const key = parseJson(request.body)?.routing_key;
    return isString(key) && key !== "" ? key : null;
  },
  handle(request, segments) {
    if (segments.join("/") !== "v2/enqueue") return json(404, { status: "not found", message: "Not found" });
    const event = parseJson(request.body);
    if (!event)
      return json(400, { status: "invalid event", message: "Event object is invalid", errors: ["Invalid JSON"] });
    const errors = pagerDutyProblems(event);
    if (errors.length) return json(400, { status: "invalid event", message: "Event object is invalid", errors });
    const dedupKey = isString(event.dedup_key) ? event.dedup_key : crypto.randomUUID().replace(/-/g, "");
    return json(202, { status: "success", message: "Event processed", dedup_key: dedupKey });
  },
  failure(status) {
    if (status === 429)
      return json(429, {
        status: "throttle event",
        message: "Requests for this service are arriving too quickly. Please retry later.",
      });
    if (status === 400)
      return json(400, { status: "invalid event", message: "Event object is invalid", errors: ["forced by the test"] });
    return text(status, "");
  },
};

const SERVICES: Record<string, Service> = { slack, discord, telegram, ntfy, pagerduty };
