// A raw RFC 5322 message for Cloudflare's send_email binding (`new EmailMessage(from, to, raw)`),
// which takes the message as it goes on the wire. Plain text only, UTF-8, base64 body.

export type MimeMessage = {
  /** "alerts@example.com" or "Lifeboat <alerts@example.com>". */
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  /** The Date header (unix ms); the moment of sending when absent. */
  date?: number;
  /** Seeds the Message-ID; pass the delivery id so a retried send is recognisably the same mail. */
  messageId?: string;
};

const CRLF = "\r\n";
const ASCII_PRINTABLE = /^[\x20-\x7E]*$/;
// RFC 2047: an encoded-word is at most 75 characters. 42 bytes → 56 base64 characters → a 68
// character word, which also keeps "Subject: " + word within the 78 characters lines should keep to.
const ENCODED_WORD_BYTES = 42;
const BODY_LINE = 76;

export function rawEmail(message: MimeMessage): string {
  const to = (Array.isArray(message.to) ? message.to : [message.to]).map(headerSafe);
  const from = mailbox(message.from);
  const domain = from.address.split("@")[1] || "lifeboat.invalid";
  const headers = [
    `From: ${from.name ? `${phrase(from.name)} <${from.address}>` : from.address}`,
    `To: ${to.join(`,${CRLF} `)}`,
    `Subject: ${unstructured(message.subject)}`,
    `Date: ${rfc5322Date(message.date ?? Date.now())}`,
    `Message-ID: <${messageIdLocal(message.messageId ?? crypto.randomUUID())}@${domain}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    // Automatic mail (RFC 3834): vacation responders and Outlook stay quiet.
    "Auto-Submitted: auto-generated",
    "X-Auto-Response-Suppress: All",
  ];
  return headers.join(CRLF) + CRLF + CRLF + base64Lines(message.text.replace(/\r?\n/g, CRLF)) + CRLF;
}

/** Splits "Name <address>" (or a bare address) into its parts. */
function mailbox(value: string): { name: string; address: string } {
  const clean = headerSafe(value);
  const match = /^(.*?)\s*<([^<>\s]+)>$/.exec(clean);
  if (!match) return { name: "", address: clean };
  return { name: match[1]!.replace(/^"(.*)"$/, "$1"), address: match[2]! };
}

/** Nothing may start a new header line: CR and LF (and other controls) become spaces. */
const headerSafe = (value: string) => value.replace(/[\u0000-\u001F\u007F]+/g, " ").trim();

/** "Tue, 24 Nov 2026 03:45:00 +0000". */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, "+0000");
}

/** Free text for Subject: as is when plain ASCII (folded at spaces), else RFC 2047 encoded-words. */
export function unstructured(value: string): string {
  const clean = headerSafe(value);
  // "=?" in plain text would be read as the start of an encoded-word, so such text is encoded too.
  if (ASCII_PRINTABLE.test(clean) && !clean.includes("=?")) return foldAtSpaces(clean);
  return encodedWords(clean);
}

/** A display name: a quoted string when ASCII, else encoded-words (allowed in a phrase). */
function phrase(value: string): string {
  const clean = headerSafe(value);
  if (ASCII_PRINTABLE.test(clean) && !clean.includes("=?")) return `"${clean.replace(/(["\\])/g, "\\$1")}"`;
  return encodedWords(clean);
}

function encodedWords(value: string): string {
  const encoder = new TextEncoder();
  const chunks: number[][] = [];
  let chunk: number[] = [];
  // Split by code point, so no word ends inside a character's UTF-8 bytes.
  for (const char of value) {
    const bytes = encoder.encode(char);
    if (chunk.length + bytes.length > ENCODED_WORD_BYTES) {
      chunks.push(chunk);
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length) chunks.push(chunk);
  return chunks.map((bytes) => `=?UTF-8?B?${base64(Uint8Array.from(bytes))}?=`).join(`${CRLF} `);
}

function foldAtSpaces(value: string, width = 66): string {
  const lines: string[] = [];
  let line = "";
  for (const word of value.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  // Folding puts a CRLF before a space; the space stays part of the value when unfolded.
  return lines.join(`${CRLF} `);
}

function messageIdLocal(seed: string): string {
  return `lifeboat.${seed.replace(/[^A-Za-z0-9_-]+/g, ".").replace(/^\.+|\.+$/g, "")}`;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64Lines(text: string): string {
  const encoded = base64(new TextEncoder().encode(text));
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += BODY_LINE) lines.push(encoded.slice(i, i + BODY_LINE));
  return lines.join(CRLF);
}
