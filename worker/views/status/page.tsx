import { raw } from "hono/html";
import { agoWords, shortDuration } from "../../domain/status/days";
import type { StatusIncident, StatusMaintenance, StatusSnapshot } from "../../services/status";
import { CheckItem } from "./check";
import { reasonWords, spanLabel, timeLabel } from "./format";
import { STATUS_CSS } from "./style";

/** Incidents listed on the page; the feed and status.json carry more. */
export const PAGE_INCIDENTS = 20;

const BANNER_ICON = { ok: "✓", warn: "!", bad: "✕", off: "○", maint: "⚙" } as const;

/** The public status page: landmarks, headings, no JavaScript, every user string escaped by JSX. */
export function StatusPage(props: { snapshot: StatusSnapshot }) {
  const s = props.snapshot;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <title>{s.title}</title>
          <link rel="alternate" type="application/atom+xml" title={`${s.title}: incidents`} href="/feed.atom" />
          <style dangerouslySetInnerHTML={{ __html: STATUS_CSS }} />
        </head>
        <body>
          <a class="sk" href="#main">
            Skip to content
          </a>
          <header>
            <h1>{s.title}</h1>
            {s.description ? <p class="mu">{s.description}</p> : null}
          </header>
          <main id="main">
            <p class={`bn ${s.banner.level}`} role="status">
              <span aria-hidden="true">{BANNER_ICON[s.banner.level]} </span>
              {s.banner.words}
            </p>
            {s.maintenance.length > 0 ? <Maintenance windows={s.maintenance} now={s.now} /> : null}
            {s.groups.map((group, i) => (
              <section aria-labelledby={`g${i}`}>
                <h2 id={`g${i}`}>{group.name || "Checks"}</h2>
                <div class="ax" aria-hidden="true">
                  <span>90 days ago</span>
                  <span>today</span>
                </div>
                <ul class="c">
                  {group.checks.map((check) => (
                    <CheckItem check={check} now={s.now} />
                  ))}
                </ul>
              </section>
            ))}
            <Incidents incidents={s.incidents} now={s.now} />
          </main>
          <footer>
            <p>
              Updated <time datetime={new Date(s.now).toISOString()}>{timeLabel(s.now)}</time> · Days are UTC ·{" "}
              <a href="/status.json">JSON</a> · <a href="/feed.atom">Atom feed</a>
            </p>
          </footer>
        </body>
      </html>
    </>
  );
}

function Maintenance(props: { windows: StatusMaintenance[]; now: number }) {
  return (
    <section aria-labelledby="mt">
      <h2 id="mt">Maintenance</h2>
      <ul class="i">
        {props.windows.map((w) => (
          <li>
            <span class="maint">{w.active ? "In progress: " : "Scheduled: "}</span>
            <b>{w.name}</b> · {spanLabel(w.start, w.end)}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Incidents(props: { incidents: StatusIncident[]; now: number }) {
  const shown = props.incidents.slice(0, PAGE_INCIDENTS);
  const more = props.incidents.length - shown.length;
  return (
    <section aria-labelledby="in">
      <h2 id="in">Incidents in the last 14 days</h2>
      {shown.length === 0 ? <p class="mu">No incidents.</p> : null}
      {shown.length === 0 ? null : (
        <ol class="i">
          {shown.map((incident) => (
            <li>
              <b>{incident.check}</b> {reasonWords(incident.reason)}
              {incident.detail ? `: ${incident.detail}` : ""}
              <br />
              <span class="mu">{incidentSpan(incident, props.now)}</span>
            </li>
          ))}
        </ol>
      )}
      {more > 0 ? <p class="mu">{`and ${more} earlier (see the Atom feed)`}</p> : null}
    </section>
  );
}

function incidentSpan(incident: StatusIncident, now: number): string {
  if (incident.end === null) return `Ongoing since ${timeLabel(incident.start)} (${agoWords(incident.start, now)})`;
  const ended = incident.endedBy === "up" ? "resolved" : "ended (check paused)";
  return `${spanLabel(incident.start, incident.end)} · down ${shortDuration(incident.end - incident.start)}, ${ended}`;
}
