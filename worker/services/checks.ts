import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { checks, flips, type CheckKind, type CheckRow } from "../db/schema";
import { pause, reschedule, resume, type CheckState } from "../domain/state";
import { DEFAULT_FLAP_THRESHOLD } from "../domain/alerts/rules";
import { AppError, notFound } from "../errors";
import { batch, isUniqueViolation, newRevision, type Db } from "./db";
import { dropRepository, youngestFile } from "./restic-files";

export type CheckInput = {
  name: string;
  slug: string;
  kind: CheckKind;
  periodS: number | null;
  cron: string | null;
  tz: string;
  graceS: number;
  tags: string[];
  desc: string;
  group: string;
  public: boolean;
  minDurationS: number | null;
  earlyS: number | null;
  failureThreshold: number;
  flapThreshold: number;
  minSizeFraction: number;
  expectChange: boolean;
  keepLast: number | null;
  keepHourly: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
  keepWithinS: number | null;
  minAgeDays: number;
  tombstoneDays: number;
  parentId: number | null;
  rpoS: number | null;
  drillEveryS: number | null;
  publicDetails: boolean;
  quotaBytes: number | null;
};

/** healthchecks' defaults: daily, one hour of grace, alert on the first failure. */
export const CHECK_DEFAULTS: Omit<CheckInput, "name" | "slug"> = {
  kind: "heartbeat",
  periodS: 86_400,
  cron: null,
  tz: "UTC",
  graceS: 3_600,
  tags: [],
  desc: "",
  group: "",
  public: false,
  minDurationS: null,
  earlyS: null,
  failureThreshold: 1,
  flapThreshold: DEFAULT_FLAP_THRESHOLD,
  minSizeFraction: 0.5,
  expectChange: false,
  keepLast: null,
  keepHourly: null,
  keepDaily: null,
  keepWeekly: null,
  keepMonthly: null,
  keepYearly: null,
  keepWithinS: null,
  minAgeDays: 7,
  tombstoneDays: 3,
  parentId: null,
  rpoS: null,
  drillEveryS: null,
  publicDetails: false,
  quotaBytes: null,
};

export type CheckFilter = { tag?: string; kind?: string; status?: string; after?: number; limit: number };

export async function createCheck(db: Db, input: CheckInput, now: number): Promise<CheckRow> {
  const [row] = await slugMustBeFree(input.slug, () =>
    db
      .insert(checks)
      .values({ ...input, uuid: crypto.randomUUID(), revision: newRevision(), createdAt: now, updatedAt: now })
      .returning(),
  );
  return row!;
}

/** Finds a check by uuid or slug; either may be used in API paths. */
export async function findCheck(db: Db, idOrSlug: string): Promise<CheckRow | undefined> {
  return db.query.checks.findFirst({ where: or(eq(checks.uuid, idOrSlug), eq(checks.slug, idOrSlug)) });
}

export async function findCheckById(db: Db, id: number): Promise<CheckRow | undefined> {
  return db.query.checks.findFirst({ where: eq(checks.id, id) });
}

export async function getCheck(db: Db, idOrSlug: string): Promise<CheckRow> {
  const row = await findCheck(db, idOrSlug);
  if (!row) throw notFound("check");
  return row;
}

export async function listChecks(db: Db, filter: CheckFilter): Promise<CheckRow[]> {
  const where: SQL[] = [];
  if (filter.after !== undefined) where.push(gt(checks.id, filter.after));
  if (filter.kind) where.push(eq(checks.kind, filter.kind as CheckRow["kind"]));
  if (filter.status) where.push(eq(checks.status, filter.status as CheckRow["status"]));
  if (filter.tag) where.push(sql`EXISTS (SELECT 1 FROM json_each(${checks.tags}) WHERE value = ${filter.tag})`);
  return db
    .select()
    .from(checks)
    .where(and(...where))
    .orderBy(asc(checks.id))
    .limit(filter.limit);
}

export async function updateCheck(db: Db, row: CheckRow, input: CheckInput, now: number): Promise<CheckRow> {
  if (row.kind === "restic" && input.kind !== "restic") await mustHoldNoResticFiles(db, row);
  const next = reschedule({ ...row, ...input });
  return slugMustBeFree(input.slug, () => writeCheck(db, row, { ...input, ...stateColumns(next) }, now));
}

/**
 * Pings go by foreign-key cascade; flips (no foreign key, see schema) and their outbox rows here.
 * A check that still has backups is refused: deleting a check must never be a way to lose them.
 * A restic repository goes with its check only once no file is inside its immutability window;
 * its files then enter the purge queue in the same batch.
 */
export async function deleteCheck(db: Db, row: CheckRow, now: number): Promise<void> {
  const kept = await db.get<{ n: number }>(
    sql`SELECT count(*) AS n FROM backups WHERE check_id = ${row.id} AND status != 'deleted'`,
  );
  if (kept && kept.n > 0) {
    throw new AppError(
      "conflict",
      `the check still has ${kept.n} backup(s); delete them first (DELETE /api/v1/backups/{id})`,
    );
  }
  const young = await youngestFile(db, row.id, now);
  if (young) {
    throw new AppError(
      "conflict",
      `the restic repository holds ${young.files} file(s) inside their immutability window; ` +
        `the check can be deleted after ${new Date(young.until).toISOString()}`,
    );
  }
  await batch(db, [
    ...dropRepository(row.id, now),
    db.delete(flips).where(eq(flips.checkId, row.id)),
    db.delete(checks).where(eq(checks.id, row.id)),
  ]);
}

export async function pauseCheck(db: Db, row: CheckRow, now: number): Promise<CheckRow> {
  if (row.status === "paused") return row;
  return writeCheck(
    db,
    row,
    { ...stateColumns(pause(row)), statusReason: "paused", statusDetail: "paused through the API" },
    now,
  );
}

export async function resumeCheck(db: Db, row: CheckRow, now: number): Promise<CheckRow> {
  if (row.status !== "paused") return row;
  const values = {
    ...stateColumns(resume(row)),
    statusReason: "resumed",
    statusDetail: "resumed; waiting for the next ping",
  };
  return writeCheck(db, row, values, now);
}

/** A restic check that holds files stays a restic check: another kind would hide its repository. */
async function mustHoldNoResticFiles(db: Db, row: CheckRow) {
  const held = await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM restic_files WHERE check_id = ${row.id}`);
  if (held && held.n > 0) {
    throw new AppError(
      "conflict",
      `the check holds a restic repository of ${held.n} file(s); it stays of kind restic (delete the check once its files are past their window)`,
    );
  }
}

/**
 * The parent a check may have: an existing check that is not the check itself and does not
 * (through its own parents) depend on it, so suppression can never go round in a circle.
 */
export async function resolveParent(db: Db, ref: string, child: CheckRow | null): Promise<number> {
  const parent = await findCheck(db, ref);
  if (!parent)
    throw new AppError("validation_failed", `invalid json: parent: no check "${ref}"`, [
      { field: "parent", message: `no check "${ref}"` },
    ]);
  for (let cursor: CheckRow | undefined = parent, depth = 0; cursor && depth < 50; depth++) {
    if (child && cursor.id === child.id) {
      throw new AppError("validation_failed", "invalid json: parent: a check cannot depend on itself", [
        { field: "parent", message: "a check cannot depend on itself" },
      ]);
    }
    cursor =
      cursor.parentId === null ? undefined : await db.query.checks.findFirst({ where: eq(checks.id, cursor.parentId) });
  }
  return parent.id;
}

export async function uuidOfCheck(db: Db, id: number | null): Promise<string | null> {
  if (id === null) return null;
  const row = await db.query.checks.findFirst({ where: eq(checks.id, id), columns: { uuid: true } });
  return row?.uuid ?? null;
}

/** The columns the state machine owns, ready for an UPDATE. */
export function stateColumns(state: CheckState) {
  return {
    status: state.status,
    lastPingAt: state.lastPingAt,
    lastStartAt: state.lastStartAt,
    lastStartRid: state.lastStartRid,
    lastDurationMs: state.lastDurationMs,
    nextDueAt: state.nextDueAt,
    alertAfter: state.alertAfter,
    consecutiveFailures: state.consecutiveFailures,
  };
}

async function writeCheck(db: Db, row: CheckRow, values: Partial<CheckRow>, now: number): Promise<CheckRow> {
  const [updated] = await db
    .update(checks)
    .set({ ...values, revision: newRevision(), updatedAt: now })
    .where(and(eq(checks.id, row.id), eq(checks.revision, row.revision)))
    .returning();
  if (!updated) throw new AppError("conflict", "the check changed while this request ran; try again");
  return updated;
}

/** The unique index is the arbiter (no check-then-insert race); its error becomes a clear 409. */
async function slugMustBeFree<T>(slug: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, "checks.slug")) {
      throw new AppError("conflict", `slug "${slug}" is already used by another check`);
    }
    throw error;
  }
}
