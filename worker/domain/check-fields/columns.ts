import type { CheckRow } from "../../db/schema";

/**
 * The columns the state machine, pings and bookkeeping own. Every other column of `checks` is a
 * field a user sets, described once in ./index.ts (which fails the typecheck when a
 * settable column has no field there).
 */
type OwnedColumn =
  | "id"
  | "uuid"
  | "badgeKey"
  | "uniqueKey"
  | "retentionCheckedAt"
  | "retentionProblem"
  | "status"
  | "statusReason"
  | "statusDetail"
  | "lastPingAt"
  | "lastStartAt"
  | "lastStartRid"
  | "lastDurationMs"
  | "nextDueAt"
  | "alertAfter"
  | "nPings"
  | "consecutiveFailures"
  | "revision"
  | "createdAt"
  | "updatedAt";

/** A check's settable columns, complete: what createCheck inserts and updateCheck sets. */
export type CheckInput = Omit<CheckRow, OwnedColumn>;

// A renamed owned column must fail the typecheck too, not silently become settable.
const ownedColumnsExist: Exclude<OwnedColumn, keyof CheckRow> extends never ? true : never = true;
void ownedColumnsExist;
