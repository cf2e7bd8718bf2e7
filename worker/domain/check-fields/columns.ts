import type { CheckRow } from "../../db/schema";

/**
 * The columns the state machine, pings and bookkeeping own. Every other column of `checks` is a
 * field a user sets, described once in ./index.ts (which fails the typecheck when a
 * settable column has no field there).
 */
export const OWNED_COLUMNS = [
  "id",
  "uuid",
  "badgeKey",
  "uniqueKey",
  "retentionCheckedAt",
  "retentionProblem",
  "status",
  "statusReason",
  "statusDetail",
  "lastPingAt",
  "lastStartAt",
  "lastStartRid",
  "lastDurationMs",
  "nextDueAt",
  "alertAfter",
  "nPings",
  "consecutiveFailures",
  "revision",
  "createdAt",
  "updatedAt",
] as const satisfies readonly (keyof CheckRow)[];

/** A check's settable columns, complete: what createCheck inserts and updateCheck sets. */
export type CheckInput = Omit<CheckRow, (typeof OWNED_COLUMNS)[number]>;
