import { formatBytes } from "./bytes";

export type BackupFacts = { size: number; sha256: string };

export type AnomalyPolicy = {
  /** A backup smaller than this fraction of the recent median is suspicious (default 0.5). */
  minSizeFraction: number;
  /** The source changes between runs, so an identical backup means nothing new was captured. */
  expectChange: boolean;
};

/** How many recent good backups the size median is taken over. */
export const MEDIAN_OF = 7;

/**
 * Why a just-completed backup looks wrong, in words, or an empty list. `previous` are the most
 * recent good (complete, not suspicious) backups of the check, newest first. This is the check
 * that catches the "backups held only metadata.db" failure: the artifact arrived, but it is tiny.
 */
export function anomaliesOf(backup: BackupFacts, previous: BackupFacts[], policy: AnomalyPolicy): string[] {
  const reasons: string[] = [];
  if (backup.size === 0) reasons.push("empty: the backup is 0 bytes");

  const recent = previous.slice(0, MEDIAN_OF).map((b) => b.size);
  if (backup.size > 0 && recent.length > 0) {
    const typical = median(recent);
    if (typical > 0 && backup.size < policy.minSizeFraction * typical) {
      const shrank = Math.floor((1 - backup.size / typical) * 100);
      reasons.push(`shrank ${shrank} %: ${formatBytes(typical)} → ${formatBytes(backup.size)}`);
    }
  }
  const last = previous[0];
  if (policy.expectChange && last && last.sha256 === backup.sha256) {
    reasons.push(
      `identical to the previous backup (sha256 ${backup.sha256.slice(0, 12)}…) though its source should change`,
    );
  }
  return reasons;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
