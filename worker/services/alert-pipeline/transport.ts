import { EmailMessage } from "cloudflare:email";
import type { Delivery } from "../../domain/alerts/alert";
import { emailRecipients } from "../../domain/alerts/email";
import { rawEmail } from "../../domain/alerts/mime";
import { oneLine } from "../../domain/alerts/text";

export const SEND_TIMEOUT_MS = 10_000;

export type Mailer = { binding?: SendEmail; from?: string };

export type TransmitResult =
  | { ok: true; status: number | null }
  | { ok: false; status: number | null; body: string; message: string; permanent?: boolean };

/** Sends one rendered delivery: an HTTP POST with a timeout, or an email through the send_email binding. */
export async function transmit(delivery: Delivery, mailer: Mailer): Promise<TransmitResult> {
  return delivery.transport === "http" ? post(delivery.url, delivery.headers, delivery.body) : mail(delivery, mailer);
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<TransmitResult> {
  try {
    // Never follow a redirect: it could lead a credential-bearing request to any host, internal
    // ones included, past the egress rules that judged only the configured URL.
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    // The answer matters only for the error message and the failure class; keep 2 kB of it.
    const text = (await response.text()).slice(0, 2048);
    if (response.status >= 300 && response.status < 400) {
      const location = oneLine(response.headers.get("Location") ?? "", ANSWER_EXCERPT);
      const message = `receiver answered HTTP ${response.status}, a redirect${location ? ` to ${location}` : ""}; redirects are not followed: configure the final URL`;
      return { ok: false, status: response.status, body: text, message, permanent: true };
    }
    if (response.ok) return { ok: true, status: response.status };
    const detail = oneLine(text, ANSWER_EXCERPT);
    return {
      ok: false,
      status: response.status,
      body: text,
      message: `receiver answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`,
    };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    // An error may quote the URL, and a URL may hold a credential (a bot token, a webhook path).
    const reason = oneLine(describe(error).split(url).join("<the channel URL>"), ANSWER_EXCERPT);
    const message = timedOut ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : `could not connect: ${reason}`;
    return { ok: false, status: null, body: "", message };
  }
}

/**
 * How much of a receiver's answer (or of a redirect's Location) the test result and the delivery
 * log repeat: one line, control characters removed (oneLine), cut to this many characters.
 */
export const ANSWER_EXCERPT = 200;

async function mail(delivery: Extract<Delivery, { transport: "email" }>, mailer: Mailer): Promise<TransmitResult> {
  if (!mailer.binding || !mailer.from) {
    const message = "email is not configured: add a send_email binding named EMAIL and set EMAIL_FROM";
    return { ok: false, status: null, body: "", message, permanent: true };
  }
  try {
    for (const to of emailRecipients(delivery)) {
      const raw = rawEmail({ from: mailer.from, to, subject: delivery.subject, text: delivery.text });
      await mailer.binding.send(new EmailMessage(mailer.from, to, raw));
    }
    return { ok: true, status: null };
  } catch (error) {
    // Cloudflare refuses unverified destinations for good; other errors may pass.
    const message = `email not sent: ${oneLine(describe(error), ANSWER_EXCERPT)}`;
    return { ok: false, status: null, body: "", message, permanent: /verified|not allowed|destination/i.test(message) };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
