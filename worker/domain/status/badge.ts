import { textWidth } from "./text-width";
import { oneLine } from "../alerts/text";

/** shields.io's named colours and the hex they draw, so the SVG and the endpoint JSON agree. */
export const BADGE_COLOURS = {
  brightgreen: "#4c1",
  yellow: "#dfb317",
  red: "#e05d44",
  lightgrey: "#9f9f9f",
  blue: "#007ec6",
} as const;
export type BadgeColour = keyof typeof BADGE_COLOURS;

export type Badge = { label: string; message: string; color: BadgeColour };

/** Labels and messages longer than this are cut: a badge is one glance, and its width is ours to bound. */
const MAX_TEXT = 60;

// Characters XML 1.0 forbids outright (no escape makes them legal), and halves of surrogate pairs.
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for XML (SVG, Atom): markup characters escaped, forbidden characters dropped. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The shields.io endpoint schema (https://shields.io/badges/endpoint-badge). */
export const endpointJson = (badge: Badge) => ({
  schemaVersion: 1,
  label: clean(badge.label),
  message: clean(badge.message),
  color: badge.color,
});

const clean = (text: string) => oneLine(text, MAX_TEXT);

/**
 * A flat shields-style badge. Text is drawn at 10× and scaled down, as shields does, so widths in
 * tenths of a pixel stay integers; every piece of text is escaped.
 */
export function badgeSvg(badge: Badge): string {
  const label = clean(badge.label);
  const message = clean(badge.message);
  const labelWidth = Math.round(textWidth(label) + 10);
  const messageWidth = Math.round(textWidth(message) + 10);
  const width = labelWidth + messageWidth;
  const title = escapeXml(`${label}: ${message}`);
  const text = (content: string, centre: number, length: number) =>
    `<text aria-hidden="true" x="${centre * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${length * 10}">${escapeXml(content)}</text>` +
    `<text x="${centre * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${length * 10}">${escapeXml(content)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}"><title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="#555"/><rect x="${labelWidth}" width="${messageWidth}" height="20" fill="${BADGE_COLOURS[badge.color]}"/><rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(label, labelWidth / 2, labelWidth - 10) +
    text(message, labelWidth + messageWidth / 2, messageWidth - 10) +
    `</g></svg>`
  );
}
