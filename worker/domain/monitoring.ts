// Who watches the watchman: whether the minutely sweep, which every alert depends on, is keeping
// up. Pure: the sweep's recorded heartbeat and the clock in, a verdict out (services/sweep-runs.ts
// reads and writes the heartbeat; /health, the status page, badges, /metrics and the dashboard
// show the verdict).

/** A sweep runs every minute; three minutes without a good one means monitoring is behind. */
export const SWEEP_LATE_MS = 3 * 60_000;
/** A sweep that started this long ago and never finished was cut off (CPU or time limit). */
export const SWEEP_CUT_OFF_MS = 2 * 60_000;
/** The dashboard's "last sweeps": a fixed ring, so the table never grows. */
export const SWEEP_RING = 10;

export type SweepHeartbeat = {
  installedAt: number;
  lastStartedAt: number | null;
  lastOkAt: number | null;
  lastErrorAt: number | null;
  lastError: string | null;
};

export type Monitoring = {
  /** No good sweep for longer than SWEEP_LATE_MS: states may be stale and alerts are not sent. */
  delayed: boolean;
  /** The end of the last good sweep (or the installation, before the first): "delayed since". */
  since: number;
  lastOkAt: number | null;
  ageS: number;
  /** Why the latest sweep failed, if the latest one did (or was cut off); null when it succeeded. */
  lastError: string | null;
};

/** The ring slot of a run: its minute, so a minutely sweep fills the ring in order. */
export const sweepSlot = (startedAt: number) => Math.floor(startedAt / 60_000) % SWEEP_RING;

export function monitoringOf(beat: SweepHeartbeat, now: number): Monitoring {
  const since = beat.lastOkAt ?? beat.installedAt;
  const ageMs = Math.max(0, now - since);
  const newest = Math.max(beat.lastOkAt ?? -Infinity, beat.lastErrorAt ?? -Infinity);
  let lastError = beat.lastErrorAt !== null && beat.lastErrorAt === newest ? beat.lastError : null;
  // A start newer than any end, long ago: the run died without reaching its own catch.
  if (beat.lastStartedAt !== null && beat.lastStartedAt > newest && now - beat.lastStartedAt > SWEEP_CUT_OFF_MS) {
    lastError = "the sweep started and never finished (cut off by a CPU or time limit?)";
  }
  return { delayed: ageMs > SWEEP_LATE_MS, since, lastOkAt: beat.lastOkAt, ageS: Math.round(ageMs / 1000), lastError };
}

export type HealthStatus = "ok" | "degraded" | "down";

/**
 * /health's verdict. Down: D1 cannot be read, so nothing works. Degraded: the sweep is behind or
 * its latest run failed (alerts are late or missing), or R2 cannot be reached (backups fail).
 */
export function healthStatus(parts: { d1: boolean; r2: boolean; monitoring: Monitoring | null }): HealthStatus {
  if (!parts.d1 || !parts.monitoring) return "down";
  if (!parts.r2 || parts.monitoring.delayed || parts.monitoring.lastError !== null) return "degraded";
  return "ok";
}

/**
 * An error as public pages may show it: its first line, cut short, with URLs left out (a fetch
 * error can name an endpoint, and SELF_PING_URL is itself a secret).
 */
export function publicError(message: string | null): string | null {
  if (message === null) return null;
  const line = message.split("\n")[0]!.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>");
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
