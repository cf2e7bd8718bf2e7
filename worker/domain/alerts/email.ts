// Email: a plain-text message. The transport wraps it with mime.ts and hands it to Cloudflare's
// send_email binding, which takes one recipient per message; see emailRecipients.
import { z } from "zod";
import type { EmailDelivery } from "./alert";
import { defineKind } from "./channel";
import { facts, headline, keepHead, keepTail, logText } from "./text";

const MAX_RECIPIENTS = 10;
const MAX_SUBJECT = 200;
const MAX_LOG = 10_000;

const address = z
  .string({ error: "to must be an email address or a list of them" })
  .max(254, { error: "to: an email address is at most 254 characters" })
  .pipe(z.email({ error: "to must contain only email addresses (name@example.com)" }));

const config = z.strictObject({
  to: z.union([address, z.array(address).min(1).max(MAX_RECIPIENTS)], {
    // zod reports a failed union as "Invalid input"; say what is wrong with the list instead.
    error: (issue) => recipientsProblem(issue.input),
  }),
});

function recipientsProblem(input: unknown): string {
  if (input === undefined) return "to is required";
  if (!Array.isArray(input)) return "to must be an email address or a list of them";
  if (input.length === 0) return "to needs at least one address";
  if (input.length > MAX_RECIPIENTS) return `to lists at most ${MAX_RECIPIENTS} addresses`;
  return "to must contain only email addresses (name@example.com)";
}

const recipientList = (to: string | string[]) => (Array.isArray(to) ? to : [to]);

/** The addresses of a rendered email: `to` is the To header's value, addresses joined by ", ". */
export const emailRecipients = (delivery: EmailDelivery) => delivery.to.split(", ");

export const email = defineKind({
  kind: "email",
  config,
  secretFields: [],
  destinationFields: ["to"],
  async render(alert, config, ctx): Promise<EmailDelivery> {
    const rows = facts(alert, ctx.now);
    const width = Math.max(...rows.map((fact) => fact.label.length)) + 2;
    const log = logText(alert);
    const text = [
      headline(alert),
      "",
      ...rows.map((fact) => `${`${fact.label}:`.padEnd(width)}${fact.value}`),
      ...(log ? ["", "Last output:", "", keepTail(log, MAX_LOG)] : []),
      "",
      `Open the check: ${alert.check.url}`,
      "",
      "-- ",
      `Sent by Lifeboat (delivery ${alert.deliveryId}).`,
    ].join("\n");
    return {
      transport: "email",
      to: recipientList(config.to).join(", "),
      // headline() is one line (CR/LF removed), so nothing in a check's name can start a header.
      subject: keepHead(`[Lifeboat] ${headline(alert)}`, MAX_SUBJECT),
      text,
    };
  },
  // Unused: the send_email binding throws instead of answering with a status.
  classify: () => "retry",
  describeTarget: (config) => {
    const list = recipientList(config.to);
    return list.length > 1 ? `email ${list[0]} and ${list.length - 1} more` : `email ${list[0]}`;
  },
});
