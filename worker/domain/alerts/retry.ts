/** Exponential backoff between delivery attempts: 30 s, 1 min, 2 min, … capped at one hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** After this long an undelivered notification is given up (the receiver has been down a day). */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
