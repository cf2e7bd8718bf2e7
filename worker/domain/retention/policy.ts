/**
 * How long a backup check's backups are kept: restic's `forget` vocabulary (keep the last N, the
 * newest per hour/day/ISO week/month/year for the N most recent ones, everything within a span)
 * plus two guards no rule can override. A null or 0 count turns its rule off; null fields take
 * the defaults, so a row straight from the database fits as it is.
 */
export type RetentionPolicy = {
  keepLast?: number | null;
  keepHourly?: number | null;
  keepDaily?: number | null;
  keepWeekly?: number | null;
  keepMonthly?: number | null;
  keepYearly?: number | null;
  /** Keep every good backup received within this many seconds of the newest good one. */
  keepWithinS?: number | null;
  /** Nothing younger than this many days (× 24 h) is deleted: the immutability window. */
  minAgeDays?: number | null;
};

export const DEFAULT_MIN_AGE_DAYS = 7;

/** The calendar rules, finest first: the order reasons are listed in. */
export const PERIODS = ["hourly", "daily", "weekly", "monthly", "yearly"] as const;
export type Period = (typeof PERIODS)[number];

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The policy with defaults filled in and every value checked: what the planner works from. */
export type Rules = {
  last: number;
  perPeriod: Record<Period, number>;
  withinMs: number;
  minAgeMs: number;
};

/** The keep rules, without the guard (minAgeDays): the fields whose absence means "retention off". */
export const KEEP_FIELDS = [
  "keepLast",
  "keepHourly",
  "keepDaily",
  "keepWeekly",
  "keepMonthly",
  "keepYearly",
  "keepWithinS",
] as const satisfies readonly (keyof RetentionPolicy)[];
export type KeepField = (typeof KEEP_FIELDS)[number];
/** The keep rules of a check, each a count (or a span) or null for off. */
export type KeepRules = Required<Pick<RetentionPolicy, KeepField>>;

const FIELDS = [...KEEP_FIELDS, "minAgeDays"] as const;

/** "keepWithinS" → "keep_within_s": the API's name of a field. */
export const snakeCase = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Why the policy cannot be applied, in words, or null when it is valid. */
export function retentionPolicyProblem(policy: RetentionPolicy): string | null {
  for (const field of FIELDS) {
    const value = policy[field];
    if (value === null || value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) return `${snakeCase(field)} must be a non-negative integer or null`;
  }
  return null;
}

/** False when every keep rule is off: only the guards (newest backup, immutability window) keep anything. */
export function hasKeepRule(policy: RetentionPolicy): boolean {
  return FIELDS.some((field) => field !== "minAgeDays" && (policy[field] ?? 0) > 0);
}

/**
 * Throws a RangeError for an invalid policy: a planner that guessed what a NaN or negative count
 * meant could delete backups nobody meant to lose, so it refuses instead.
 */
export function rulesOf(policy: RetentionPolicy): Rules {
  const problem = retentionPolicyProblem(policy);
  if (problem) throw new RangeError(`invalid retention policy: ${problem}`);
  return {
    last: policy.keepLast ?? 0,
    perPeriod: {
      hourly: policy.keepHourly ?? 0,
      daily: policy.keepDaily ?? 0,
      weekly: policy.keepWeekly ?? 0,
      monthly: policy.keepMonthly ?? 0,
      yearly: policy.keepYearly ?? 0,
    },
    withinMs: (policy.keepWithinS ?? 0) * 1000,
    minAgeMs: (policy.minAgeDays ?? DEFAULT_MIN_AGE_DAYS) * DAY_MS,
  };
}

/** The first moment the backup may be deleted, by retention or by hand (DELETE must respect it too). */
export function immutableUntil(receivedAt: number, policy: RetentionPolicy): number {
  return receivedAt + rulesOf(policy).minAgeMs;
}

/** A span in seconds as people write it: 604800 → "7d", 5400 → "1h30m". */
export function formatSpan(seconds: number): string {
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = seconds;
  let text = "";
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || "0s";
}
