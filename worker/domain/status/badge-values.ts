import type { Status } from "../state";
import type { Badge, BadgeColour } from "./badge";
import { agoWords } from "./days";
import { rpoRag, type Rag } from "./rpo";
import { displayState, type Level } from "./state-words";
import type { CheckKind } from "../../db/schema";
import { keepsRestorePoints } from "../kinds";

/** What one check's badges may say: one value each, nothing else about the check. */
export type BadgeFacts = {
  name: string;
  public: boolean;
  kind: CheckKind;
  status: Status;
  maintenance: boolean;
  createdAt: number;
  rpoS: number;
  /** Backup checks: the newest good backup's data time; heartbeats: the last success. */
  newestGoodAt: number | null;
  drillEveryS: number | null;
  lastDrill: { at: number; ok: boolean } | null;
  /** The sweep is behind (domain/monitoring.ts): the state badge cannot vouch for "operational". */
  monitoringDelayed: boolean;
};

export const BADGE_KINDS = ["state", "rpo", "drill"] as const;
export type BadgeKind = (typeof BADGE_KINDS)[number];

const RAG_COLOUR: Record<Rag, BadgeColour> = { green: "brightgreen", amber: "yellow", red: "red" };
const LEVEL_COLOUR: Record<Level, BadgeColour> = {
  ok: "brightgreen",
  warn: "yellow",
  bad: "red",
  off: "lightgrey",
  maint: "blue",
};

/**
 * The badge of one kind. A private check's name is never on it (the label is generic unless the
 * check is public or the URL asks for its own label), so a leaked badge URL reveals one value.
 */
export function badgeOf(kind: BadgeKind, facts: BadgeFacts, now: number, label?: string): Badge {
  if (kind === "state") {
    const rpo = keepsRestorePoints(facts.kind)
      ? rpoRag(now - (facts.newestGoodAt ?? facts.createdAt), facts.rpoS)
      : null;
    const state = displayState(facts.status, { kind: facts.kind, maintenance: facts.maintenance, rpo });
    // While the sweep is behind nothing marks a silent check down: say so, and do not show green.
    const delayed = facts.monitoringDelayed;
    return {
      label: label ?? (facts.public ? facts.name : "status"),
      message: delayed ? `${state.words.toLowerCase()}, monitoring delayed` : state.words.toLowerCase(),
      color: delayed && state.level === "ok" ? LEVEL_COLOUR.warn : LEVEL_COLOUR[state.level],
    };
  }
  if (kind === "rpo") {
    const since = facts.newestGoodAt ?? facts.createdAt;
    return {
      label: label ?? (keepsRestorePoints(facts.kind) ? "last good backup" : "last success"),
      message: facts.newestGoodAt === null ? "none yet" : agoWords(facts.newestGoodAt, now),
      color: RAG_COLOUR[rpoRag(now - since, facts.rpoS)],
    };
  }
  return { label: label ?? "restore verified", ...drillMessage(facts, now) };
}

function drillMessage(facts: BadgeFacts, now: number): Pick<Badge, "message" | "color"> {
  const every = facts.drillEveryS;
  const drill = facts.lastDrill;
  if (drill && !drill.ok) return { message: `failed ${agoWords(drill.at, now)}`, color: "red" };
  if (!drill) {
    const overdue = every !== null && now - facts.createdAt > every * 1000;
    return { message: "never", color: overdue ? "red" : "lightgrey" };
  }
  return {
    message: agoWords(drill.at, now),
    color: every === null ? "brightgreen" : RAG_COLOUR[rpoRag(now - drill.at, every)],
  };
}
