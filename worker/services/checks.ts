import { and, asc, count, eq, exists, gt, lt, max, ne, notExists, or, sql, type SQL } from "drizzle-orm";
import { backups, checks, flips, resticFiles, type CheckRow } from "../db/schema";
import type { CheckInput } from "../domain/check-fields/columns";
import { pause, reschedule, resume, type CheckState } from "../domain/state";
import { AppError, notFound } from "../errors";
import { DAY_MS } from "../domain/retention/policy";
import { batch, isUniqueViolation, newRevision, type Db } from "./db";
import { unitOfWork } from "./unit-of-work";
import { dropRepository, youngestFile } from "./restic-files";

export type { CheckInput } from "../domain/check-fields/columns";

export type CheckFilter = { tag?: string; kind?: string; status?: string; after?: number; limit: number };

/**
 * Statements to run in the same batch as a check's write, each applying only if that write did:
 * `applied` is an EXISTS over the check with its new revision (e.g. the healthchecks API's
 * channel assignments, routes/hc-api).
 */
export type AlongWithCheck = (applied: SQL) => SQL[];

export async function createCheck(db: Db, input: CheckInput, now: number, along?: AlongWithCheck): Promise<CheckRow> {
  const uuid = crypto.randomUUID();
  const revision = newRevision();
  const insert = db
    .insert(checks)
    .values({ ...input, uuid, revision, createdAt: now, updatedAt: now })
    .returning();
  const extra = along?.(appliedGuard(uuid, revision)) ?? [];
  if (extra.length === 0) return (await slugMustBeFree(input.slug, () => insert))[0]!;
  await slugMustBeFree(input.slug, () => batch(db, [insert, ...extra]));
  return (await findCheck(db, uuid))!;
}

// Raw: a condition built without a Db, for statements the caller adds to the batch.
const appliedGuard = (uuid: string, revision: string) =>
  sql`EXISTS (SELECT 1 FROM ${checks} WHERE ${checks.uuid} = ${uuid} AND ${checks.revision} = ${revision})`;

/** Finds a check by uuid, slug or unique_key; any of them may be used in API and dashboard paths. */
export async function findCheck(db: Db, idOrSlug: string): Promise<CheckRow | undefined> {
  return db.query.checks.findFirst({
    where: or(eq(checks.uuid, idOrSlug), eq(checks.slug, idOrSlug), eq(checks.uniqueKey, idOrSlug)),
  });
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
  // Raw: json_each over the tags column (drizzle has no JSON array operator).
  if (filter.tag) where.push(sql`EXISTS (SELECT 1 FROM json_each(${checks.tags}) WHERE value = ${filter.tag})`);
  return db
    .select()
    .from(checks)
    .where(and(...where))
    .orderBy(asc(checks.id))
    .limit(filter.limit);
}

/**
 * Saves an edit as one unit guarded by the revision it was read with. Raising min_age_days extends
 * the window of the backups already received, in the same unit (as S3 Object Lock lets a retention
 * period be extended); lowering it applies only to backups received afterwards: no window is ever
 * shortened (docs/RETENTION.md).
 */
export async function updateCheck(
  db: Db,
  row: CheckRow,
  input: CheckInput,
  now: number,
  along?: AlongWithCheck,
): Promise<CheckRow> {
  if (row.kind === "restic" && input.kind !== "restic") await mustHoldNoResticFiles(db, row);
  const next = reschedule({ ...row, ...input });
  const revision = newRevision();
  const unit = unitOfWork(db)
    .guard(
      "check unchanged",
      exists(
        one(db)
          .from(checks)
          .where(and(eq(checks.id, row.id), eq(checks.revision, row.revision))),
      ),
    )
    .write(
      db
        .update(checks)
        .set({ ...input, ...stateColumns(next), revision, updatedAt: now })
        .where(eq(checks.id, row.id)),
    );
  if (input.minAgeDays > row.minAgeDays) {
    const window = input.minAgeDays * DAY_MS;
    const extended = sql`${backups.receivedAt} + ${window}`;
    unit.write(
      db
        .update(backups)
        .set({ immutableUntil: extended })
        .where(and(eq(backups.checkId, row.id), ne(backups.status, "deleted"), lt(backups.immutableUntil, extended))),
    );
  }
  unit.write(...(along?.(appliedGuard(row.uuid, revision)) ?? []));
  const result = await slugMustBeFree(input.slug, () => unit.commit());
  if (!result.applied) throw changedMeanwhile();
  return (await findCheckById(db, row.id))!;
}

/**
 * Pings go by foreign-key cascade; flips (no foreign key, see schema) and their outbox rows here.
 * A check that still has backups is refused — deleting a check must never be a way to lose them —
 * and the refusal says until when they are immutable. One unit, guarded by there being no backups,
 * so a backup registered meanwhile is never orphaned (createBackup is guarded by the check existing).
 * A restic repository goes with its check only once no file is inside its immutability window
 * (guarded the same way); its files then enter the purge queue in the same unit.
 */
export async function deleteCheck(db: Db, row: CheckRow, now: number): Promise<void> {
  const young = await youngestFile(db, row.id, now);
  if (young) throw youngFilesRefusal(young);
  const unit = unitOfWork(db)
    .guard("no backups", notExists(one(db).from(backups).where(liveBackupsOf(row.id))))
    .guard(
      "no young restic files",
      notExists(
        one(db)
          .from(resticFiles)
          .where(and(eq(resticFiles.checkId, row.id), gt(resticFiles.immutableUntil, now))),
      ),
    )
    .write(
      ...dropRepository(row.id, now),
      db.delete(flips).where(eq(flips.checkId, row.id)),
      db.delete(checks).where(eq(checks.id, row.id)),
    );
  if ((await unit.commit()).applied) return;
  if ((await unit.failedGuard()) === "no young restic files") {
    const raced = await youngestFile(db, row.id, now);
    if (raced) throw youngFilesRefusal(raced);
  }
  const held = await db
    .select({ n: count(), until: max(backups.immutableUntil) })
    .from(backups)
    .where(liveBackupsOf(row.id))
    .get();
  const until = held?.until && held.until > now ? `, immutable until ${new Date(held.until).toISOString()}` : "";
  throw new AppError(
    "conflict",
    `the check still has ${held?.n ?? 0} backup(s)${until}; delete them first (DELETE /api/v1/backups/{id})`,
  );
}

const one = (db: Db) => db.select({ one: sql`1` });
const liveBackupsOf = (checkId: number) => and(eq(backups.checkId, checkId), ne(backups.status, "deleted"));

function youngFilesRefusal(young: { files: number; until: number }): AppError {
  return new AppError(
    "conflict",
    `the restic repository holds ${young.files} file(s) inside their immutability window; ` +
      `the check can be deleted after ${new Date(young.until).toISOString()}`,
  );
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
  const held = await db.select({ n: count() }).from(resticFiles).where(eq(resticFiles.checkId, row.id)).get();
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

/** A check's uuid and unique_key (for naming a parent), or null. */
export async function idsOfCheck(db: Db, id: number | null): Promise<{ uuid: string; uniqueKey: string } | null> {
  if (id === null) return null;
  const row = await db.query.checks.findFirst({
    where: eq(checks.id, id),
    columns: { uuid: true, uniqueKey: true },
  });
  return row ? { uuid: row.uuid, uniqueKey: row.uniqueKey ?? "" } : null;
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
  if (!updated) throw changedMeanwhile();
  return updated;
}

const changedMeanwhile = () => new AppError("conflict", "the check changed while this request ran; try again");

/** The unique indexes are the arbiter (no check-then-insert race); their errors become a clear 409. */
async function slugMustBeFree<T>(slug: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, checks.slug)) {
      throw new AppError("conflict", `slug "${slug}" is already used by another check`);
    }
    // The token itself is not echoed: it is a secret of the other check.
    if (isUniqueViolation(error, checks.pushToken)) {
      throw new AppError("conflict", "that push_token is already used by another check");
    }
    throw error;
  }
}
