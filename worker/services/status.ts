import { covers, occurrenceAt } from "../domain/maintenance";
import type { Status } from "../domain/state";
import { announcedWindows, type StatusMaintenance } from "../domain/status/announce";
import { BAR_DAYS, DAY_MS, dayOf } from "../domain/status/days";
import { dayBar, type DayBar } from "../domain/status/bars";
import { INCIDENT_DAYS, incidentsOf, type Incident } from "../domain/status/incidents";
import { effectiveRpoS, restoreHistory, rpoRag } from "../domain/status/rpo";
import { monitoringOf, type Monitoring } from "../domain/monitoring";
import {
  displayState,
  overallBanner,
  withMonitoring,
  type Banner,
  type DisplayState,
} from "../domain/status/state-words";
import type { Db } from "./db";
import { decodeBars, fillBars, storedDay, timelineFor, type Stored } from "./status-bars";
import * as q from "./status-queries";
import { pendingChange, statusNow, windowOf } from "./status-rows";

export type { StatusMaintenance };
import { pageSettingsOf, type PageSettings } from "./status-settings";
import type { CheckKind } from "../db/schema";
import { keepsRestorePoints } from "../domain/kinds";

/** Everything the public page, status.json and the feed show; nothing a check did not make public. */
export type StatusSnapshot = PageSettings & {
  now: number;
  banner: Banner;
  /** Whether the sweep keeps up (null: no heartbeat row, a database without migration 0010). */
  monitoring: Monitoring | null;
  groups: { name: string; checks: StatusCheck[] }[];
  incidents: StatusIncident[];
  maintenance: StatusMaintenance[];
};

export type StatusCheck = {
  id: number;
  name: string;
  group: string;
  kind: CheckKind;
  /** Shown only when the check opted in with public_details; "" otherwise. */
  description: string;
  publicDetails: boolean;
  status: Status;
  state: DisplayState;
  rpoS: number;
  drillEveryS: number | null;
  lastSuccessAt: number | null;
  newestGood: { takenAt: number; size: number } | null;
  lastDrill: { at: number; ok: boolean } | null;
  lastOkDrillAt: number | null;
  /** BAR_DAYS bars, oldest first; the last is today so far. */
  bars: DayBar[];
  firstDay: number;
};

export type StatusIncident = Incident & { id: string; check: string; group: string };

/** The snapshot in two D1 round trips at most: one batch of reads, and a fill after midnight. */
export async function loadStatus(db: Db, envTitle: string | undefined, now: number): Promise<StatusSnapshot> {
  const today = dayOf(now);
  const since = now - INCIDENT_DAYS * DAY_MS;
  const [settings, checks, bars, changes, points, drills, windows, heartbeat] = await q.readAll<
    [
      q.SettingRecord[],
      q.CheckRecord[],
      q.BarsRecord[],
      q.ChangeRecord[],
      q.PointRecord[],
      q.DrillRecord[],
      q.WindowRecord[],
      q.HeartbeatRecord[],
    ]
  >(db, [
    q.statusSetting,
    q.publicChecks,
    q.storedBars,
    q.changesSince(q.PUBLIC_IDS, since),
    q.pointsSince({ backup: q.PUBLIC_BACKUP_IDS, restic: q.PUBLIC_RESTIC_IDS }, today * DAY_MS),
    q.latestDrills,
    q.allWindows,
    q.sweepHeartbeat,
  ]);
  const monitoring = heartbeat[0] ? monitoringOf(heartbeat[0], now) : null;

  const lives = checks.map((c) => ({
    id: c.id,
    kind: c.kind,
    status: c.status,
    pending: pendingChange(c, now),
    createdAt: c.created_at,
    rpoS: effectiveRpoS({ periodS: c.period_s, cron: c.cron, tz: c.tz, graceS: c.grace_s, rpoS: c.rpo_s }, now),
  }));
  const stored = await fillBars(db, lives, new Map(bars.map((b) => [b.check_id, decodeBars(b.last_day, b.days)])), now);
  const maintenance = windows.map(windowOf);

  const statusChecks = checks.map((c, i): StatusCheck => {
    const life = lives[i]!;
    const timeline = timelineFor(life, changes);
    const own = points.filter((p) => p.check_id === c.id);
    const history = restoreHistory(
      own.map((p) => ({ takenAt: p.taken_at, availableAt: p.available_at })),
      c.created_at,
    );
    const newest = own.reduce<q.PointRecord | null>((a, p) => (!a || p.taken_at > a.taken_at ? p : a), null);
    const drill = drills.find((d) => d.check_id === c.id);
    const status = statusNow(c, now);
    const inMaintenance = maintenance.some(
      (w) => covers(w, { slug: c.slug, tags: JSON.parse(c.tags) }) && occurrenceAt(w, now),
    );
    const rpo = keepsRestorePoints(c.kind) ? rpoRag(now - (newest?.taken_at ?? c.created_at), life.rpoS) : null;
    return {
      id: c.id,
      name: c.name,
      group: c.group_name,
      kind: c.kind,
      description: c.public_details ? c.desc : "",
      publicDetails: Boolean(c.public_details),
      status,
      state: displayState(status, { kind: c.kind, maintenance: inMaintenance, rpo }),
      rpoS: life.rpoS,
      drillEveryS: c.drill_every_s,
      lastSuccessAt: keepsRestorePoints(c.kind) ? (newest?.available_at ?? null) : c.last_success_at,
      newestGood: newest ? { takenAt: newest.taken_at, size: newest.size } : null,
      lastDrill: drill ? { at: drill.last_at, ok: drill.ok === 1 } : null,
      lastOkDrillAt: drill?.ok_at ?? null,
      bars: barsOf(life, stored.get(c.id), today, dayBar(life, today, timeline, history, now)),
      firstDay: today - (BAR_DAYS - 1),
    };
  });

  const incidents = checks.flatMap((c, i) =>
    incidentsOf(timelineFor(lives[i]!, changes), since).map((incident) => ({
      ...incident,
      id: `${c.id}-${incident.start}`,
      check: c.name,
      group: c.group_name,
      detail: c.public_details ? incident.detail : "",
    })),
  );
  const shownWindows = announcedWindows(
    maintenance,
    checks.map((c) => ({ slug: c.slug, tags: JSON.parse(c.tags) as string[] })),
    now,
  );
  return {
    ...pageSettingsOf(settings[0]?.value, envTitle),
    now,
    banner: withMonitoring(
      overallBanner(
        statusChecks.map((c) => c.state),
        shownWindows.some((w) => w.active),
      ),
      monitoring,
    ),
    monitoring,
    groups: groupsOf(statusChecks),
    incidents: incidents.sort((a, b) => b.start - a.start),
    maintenance: shownWindows,
  };
}

function barsOf(check: { createdAt: number }, stored: Stored | undefined, today: number, live: DayBar): DayBar[] {
  const bars: DayBar[] = [];
  for (let day = today - (BAR_DAYS - 1); day < today; day++) bars.push(storedDay(check, stored, day));
  bars.push(live);
  return bars;
}

/** Groups in name order, the unnamed group first; checks keep the query's order (by name). */
function groupsOf(checks: StatusCheck[]) {
  const groups = new Map<string, StatusCheck[]>();
  for (const check of checks) groups.set(check.group, [...(groups.get(check.group) ?? []), check]);
  return [...groups].map(([name, list]) => ({ name, checks: list }));
}
