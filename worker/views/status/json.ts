import { runsOf, runWords } from "../../domain/status/bars";
import { isoDay } from "../../domain/status/days";
import type { StatusCheck, StatusSnapshot } from "../../services/status";
import { reasonWords } from "./format";
import { keepsRestorePoints } from "../../domain/kinds";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** /status.json: what the page shows, for scripts and other dashboards. Nothing the page hides. */
export function statusJson(s: StatusSnapshot) {
  return {
    title: s.title,
    description: s.description,
    updated_at: iso(s.now),
    status: { level: s.banner.level, description: s.banner.words },
    // Whether the minutely sweep keeps up: while it is delayed, states may be stale and no alert goes out.
    monitoring: s.monitoring && {
      delayed: s.monitoring.delayed,
      since: iso(s.monitoring.since),
      last_sweep_at: iso(s.monitoring.lastOkAt),
      sweep_age_s: s.monitoring.ageS,
    },
    groups: s.groups.map((group) => ({ name: group.name, checks: group.checks.map(checkJson) })),
    incidents: s.incidents.map((incident) => ({
      id: incident.id,
      check: incident.check,
      group: incident.group,
      reason: reasonWords(incident.reason),
      detail: incident.detail || null,
      started_at: iso(incident.start),
      ended_at: iso(incident.end),
      duration_s: incident.end === null ? null : Math.round((incident.end - incident.start) / 1000),
    })),
    maintenance: s.maintenance.map((w) => ({
      name: w.name,
      starts_at: iso(w.start),
      ends_at: iso(w.end),
      active: w.active,
    })),
  };
}

function checkJson(check: StatusCheck) {
  return {
    name: check.name,
    kind: check.kind,
    state: check.state.key,
    state_words: check.state.words,
    level: check.state.level,
    last_success_at: iso(check.lastSuccessAt),
    ...(keepsRestorePoints(check.kind)
      ? {
          last_good_backup_at: iso(check.newestGood?.takenAt ?? null),
          rpo_s: check.rpoS,
          restore_verified_at: iso(check.lastOkDrillAt),
          last_drill_ok: check.lastDrill ? check.lastDrill.ok : null,
          drill_every_s: check.drillEveryS,
        }
      : {}),
    ...(check.publicDetails
      ? { description: check.description, last_good_backup_size: check.newestGood?.size ?? null }
      : {}),
    days: runsOf(check.bars, check.firstDay, check.kind).map((run) => ({
      from: isoDay(run.first),
      to: isoDay(run.last),
      colour: run.colour,
      summary: runWords(run, check.kind),
    })),
  };
}
