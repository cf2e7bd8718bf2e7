import { covers, nextOccurrence, type MaintenanceWindow } from "../maintenance";

/** A maintenance window as the public page announces it: its current or next occurrence. */
export type StatusMaintenance = {
  id: number;
  name: string;
  start: number;
  end: number;
  active: boolean;
  createdAt: number;
};

/** Maintenance starting within this is announced; a weekly window is therefore always listed. */
export const ANNOUNCE_MS = 7 * 86_400_000;

/**
 * Windows that touch a public check and are on now or start within ANNOUNCE_MS. A window that
 * covers only private checks stays private: its name could tell what they are.
 */
export function announcedWindows(
  windows: (MaintenanceWindow & { createdAt: number })[],
  publicChecks: { slug: string; tags: string[] }[],
  now: number,
): StatusMaintenance[] {
  const shown: StatusMaintenance[] = [];
  for (const w of windows) {
    if (!publicChecks.some((check) => covers(w, check))) continue;
    const next = nextOccurrence(w, now);
    if (!next || next.start > now + ANNOUNCE_MS) continue;
    shown.push({
      id: w.id,
      name: w.name,
      start: next.start,
      end: next.end,
      active: next.start <= now,
      createdAt: w.createdAt,
    });
  }
  return shown.sort((a, b) => a.start - b.start);
}
