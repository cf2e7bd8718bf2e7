import type { Monitoring } from "../monitoring";
import type { Status } from "../state";
import { timeLabel } from "./days";
import type { Rag } from "./rpo";
import type { CheckKind } from "../../db/schema";
import { keepsRestorePoints } from "../kinds";

/** How serious a state is; the page's colours and the banner follow it. */
export type Level = "ok" | "warn" | "bad" | "off" | "maint";

/** A state as people read it: words and an icon, so it never depends on colour alone. */
export type DisplayState = { key: string; words: string; icon: string; level: Level };

const STATES: Record<string, DisplayState> = {
  up: { key: "up", words: "Operational", icon: "✓", level: "ok" },
  started: { key: "running", words: "Running", icon: "▶", level: "ok" },
  late: { key: "late", words: "Late", icon: "!", level: "warn" },
  down: { key: "down", words: "Down", icon: "✕", level: "bad" },
  paused: { key: "paused", words: "Paused", icon: "‖", level: "off" },
  maintenance: { key: "maintenance", words: "Under maintenance", icon: "⚙", level: "maint" },
  overRpo: { key: "over_rpo", words: "Backup overdue", icon: "!", level: "warn" },
  farOverRpo: { key: "over_rpo", words: "Backup far overdue", icon: "✕", level: "bad" },
};

/**
 * What the page says about a check. A backup check that reports "up" but whose newest good backup
 * is older than its RPO is not fine: recoverability is what this page is about.
 */
export function displayState(
  status: Status,
  context: { kind: CheckKind; maintenance: boolean; rpo: Rag | null },
): DisplayState {
  if (context.maintenance && status !== "paused") return STATES.maintenance!;
  if (status === "new") {
    return {
      key: "new",
      words: `Waiting for the first ${FIRST_WORD[context.kind]}`,
      icon: "○",
      level: "off",
    };
  }
  if (
    keepsRestorePoints(context.kind) &&
    (status === "up" || status === "started") &&
    context.rpo &&
    context.rpo !== "green"
  ) {
    return context.rpo === "amber" ? STATES.overRpo! : STATES.farOverRpo!;
  }
  return STATES[status]!;
}

/** What a new check of each kind waits for. */
const FIRST_WORD: Record<CheckKind, string> = { heartbeat: "ping", backup: "backup", restic: "snapshot" };

export type Banner = { level: Level; words: string };

/** The one line at the top of the page: the worst thing happening, counted. */
export function overallBanner(states: readonly DisplayState[], maintenanceActive: boolean): Banner {
  if (states.length === 0) return { level: "off", words: "No public checks yet" };
  const bad = states.filter((s) => s.level === "bad").length;
  const warn = states.filter((s) => s.level === "warn").length;
  if (bad > 0) {
    if (bad === states.length) return { level: "bad", words: "Major outage: every check is failing" };
    return { level: "bad", words: `${bad} of ${states.length} checks ${bad === 1 ? "is" : "are"} failing` };
  }
  if (warn > 0)
    return { level: "warn", words: `Degraded: ${warn} ${warn === 1 ? "check needs" : "checks need"} attention` };
  if (maintenanceActive || states.some((s) => s.level === "maint"))
    return { level: "maint", words: "Maintenance in progress" };
  return { level: "ok", words: "All systems operational" };
}

/**
 * When the sweep is behind, the page cannot vouch for "operational": nothing marks a silent check
 * down and no alert goes out. The banner says so instead (issue 21), or adds it to a failure count.
 */
export function withMonitoring(banner: Banner, monitoring: Monitoring | null): Banner {
  if (!monitoring?.delayed) return banner;
  const delayed = `Monitoring delayed since ${timeLabel(monitoring.since)}`;
  if (banner.level === "bad") return { level: "bad", words: `${banner.words} · ${delayed}` };
  return { level: "warn", words: `${delayed}: states may be out of date` };
}
