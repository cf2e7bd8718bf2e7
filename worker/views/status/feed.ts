import { escapeXml } from "../../domain/status/badge";
import { dayOf, isoDay, shortDuration } from "../../domain/status/days";
import type { StatusSnapshot } from "../../services/status";
import { reasonWords, spanLabel } from "./format";

const iso = (ms: number) => new Date(ms).toISOString();

type Entry = { id: string; title: string; updated: number; published: number; text: string };

/**
 * /feed.atom: incidents and maintenance as Atom 1.0. Ids are tag: URIs (RFC 4151) built from what
 * never changes about an entry, so a reader shows an incident once and updates it when it ends.
 */
export function statusFeed(s: StatusSnapshot, baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  const tag = (at: number, what: string) => `tag:${host},${isoDay(dayOf(at))}:${what}`;
  const entries: Entry[] = [
    ...s.incidents.map((incident) => ({
      id: tag(incident.start, `incident:${incident.id}`),
      title:
        incident.end === null
          ? `Down: ${incident.check}`
          : `Resolved: ${incident.check} (down ${shortDuration(incident.end - incident.start)})`,
      updated: incident.end ?? incident.start,
      published: incident.start,
      text:
        `${incident.check} ${reasonWords(incident.reason)}${incident.detail ? `: ${incident.detail}` : ""}. ` +
        (incident.end === null ? "Ongoing." : `${spanLabel(incident.start, incident.end)}.`),
    })),
    ...s.maintenance.map((w) => ({
      id: tag(w.createdAt, `maintenance:${w.id}-${w.start}`),
      title: `${w.active ? "Maintenance in progress" : "Scheduled maintenance"}: ${w.name}`,
      updated: w.createdAt,
      published: w.createdAt,
      text: `${w.name}: ${spanLabel(w.start, w.end)}.`,
    })),
  ].sort((a, b) => b.updated - a.updated);
  // With nothing to report the feed still needs a stable `updated`: the start of the day.
  const updated = entries[0]?.updated ?? Math.floor(s.now / 86_400_000) * 86_400_000;
  const x = escapeXml;
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">` +
    `<title>${x(s.title)}: incidents and maintenance</title><id>${x(tag(0, "status-feed"))}</id><updated>${iso(updated)}</updated>` +
    `<link rel="self" type="application/atom+xml" href="${x(`${baseUrl}/feed.atom`)}"/>` +
    `<link rel="alternate" type="text/html" href="${x(`${baseUrl}/`)}"/><author><name>${x(s.title)}</name></author>` +
    entries
      .map(
        (e) =>
          `<entry><id>${x(e.id)}</id><title>${x(e.title)}</title><published>${iso(e.published)}</published><updated>${iso(e.updated)}</updated>` +
          `<link rel="alternate" type="text/html" href="${x(`${baseUrl}/`)}"/><content type="text">${x(e.text)}</content></entry>`,
      )
      .join("") +
    `</feed>\n`
  );
}
