// PagerDuty Events API v2. One dedup_key per check, so a down alert opens an incident, reminders and
// flapping add to it, and the up alert resolves it. PagerDuty shows every field as plain text.
import { z } from "zod";
import type { Alert } from "./alert";
import { classifyHttp, defineKind, httpUrl, jsonPost } from "./channel";
import {
  alsoDownWords,
  flappingWords,
  headline,
  isoUtc,
  keepHead,
  keepTail,
  lastPingWords,
  logText,
  MAX_NAME,
  oneLine,
  reasonWords,
  reminderWords,
  stateWords,
  whenWords,
} from "./text";

// PagerDuty: summary ≤ 1024 characters; a whole event ≤ 512 KB, so the log is capped well below.
const MAX_SUMMARY = 1024;
const MAX_LOG = 10_000;
const MAX_CHILDREN = 100;

const SEVERITIES = ["critical", "error", "warning", "info"] as const;

const config = z.strictObject({
  routing_key: z
    .string({ error: "routing_key is required" })
    .regex(/^[a-zA-Z0-9]{32}$/, { error: "routing_key must be the 32-character integration key (letters and digits)" }),
  events_url: httpUrl("events_url").default("https://events.pagerduty.com/v2/enqueue"),
  severity: z.enum(SEVERITIES, { error: "severity must be one of critical, error, warning, info" }).default("critical"),
});

export const pagerduty = defineKind({
  kind: "pagerduty",
  config,
  secretFields: ["routing_key"],
  destinationFields: ["events_url"],
  async render(alert, config, ctx) {
    const test = alert.kind === "test";
    // A test opens an incident of its own, so it can never resolve or merge with a real one.
    // Tests and retention shortfalls are incidents of their own, apart from the check's up/down one.
    const suffix = test ? "test/" : "";
    const topic = alert.kind === "retention" || alert.kind === "drill" ? `/${alert.kind}` : "";
    const dedupKey = `lifeboat/${suffix}${alert.check.uuid}${topic}`;
    const common = {
      routing_key: config.routing_key,
      dedup_key: dedupKey,
      client: "Lifeboat",
      client_url: alert.check.url,
    };
    if (alert.kind === "up") return jsonPost(config.events_url, { ...common, event_action: "resolve" });

    const log = logText(alert);
    const hint = test ? " (a test: resolve it by hand)" : "";
    return jsonPost(config.events_url, {
      ...common,
      event_action: "trigger",
      payload: {
        summary: keepHead(`${headline(alert)}: ${reasonWords(alert)}${hint}`, MAX_SUMMARY),
        source: "lifeboat",
        // A test should not wake anyone whose service pages on critical.
        severity: test ? "info" : alert.kind === "retention" ? "warning" : config.severity,
        timestamp: new Date(alert.since).toISOString(),
        component: alert.check.slug,
        class: alert.reason,
        custom_details: {
          check: oneLine(alert.check.name, MAX_NAME),
          state: stateWords(alert),
          since: whenWords(alert.since, ctx.now),
          reason: alert.reason,
          reason_text: reasonWords(alert),
          last_ping_at: alert.lastPingAt === null ? null : isoUtc(alert.lastPingAt),
          last_ping: lastPingWords(alert, ctx.now),
          log_excerpt: log ? keepTail(log, MAX_LOG) : null,
          ...(alert.children.length ? childrenDetail(alert) : {}),
          ...(alert.kind === "flapping"
            ? { flapping: flappingWords(alert), flips_last_hour: alert.flipsLastHour }
            : {}),
          ...(alert.changesSinceFlapping !== null
            ? { flapping: flappingWords(alert), changes_since_flapping: alert.changesSinceFlapping }
            : {}),
          ...(alert.kind === "reminder"
            ? { reminder: reminderWords(alert, ctx.now), reminder_number: alert.reminderNumber }
            : {}),
          tags: alert.check.tags,
          delivery_id: alert.deliveryId,
        },
      },
      links: [{ href: alert.check.url, text: "Open the check in Lifeboat" }],
    });
  },
  // 202 is success; 400 (invalid event) is final, 429 and 5xx pass: the common table.
  classify: (status) => classifyHttp(status),
  describeTarget: (config) => `PagerDuty integration …${config.routing_key.slice(-4)}`,
});

/** The dependent checks: in words for people, as a list (capped) for anything that reads the JSON. */
function childrenDetail(alert: Alert) {
  const hidden = alert.children.length - MAX_CHILDREN;
  return {
    also_down: alsoDownWords(alert),
    children: alert.children.slice(0, MAX_CHILDREN).map((child) => ({ ...child, name: oneLine(child.name, MAX_NAME) })),
    ...(hidden > 0 ? { children_not_listed: hidden } : {}),
  };
}
