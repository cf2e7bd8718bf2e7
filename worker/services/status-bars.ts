import { sql } from "drizzle-orm";
import { dayBar, type CheckLife, type Colour, type DayBar } from "../domain/status/bars";
import { BAR_DAYS, dayOf, dayStart } from "../domain/status/days";
import { restoreHistory } from "../domain/status/rpo";
import { timelineOf, type StatusChange, type Timeline } from "../domain/status/timeline";
import type { StoredStatus } from "../domain/state";
import { statusBars } from "../db/schema";
import { col } from "./columns";
import type { Db } from "./db";
import { changesSince, idList, pointsSince, readAll, type ChangeRecord, type PointRecord } from "./status-queries";

/**
 * Finished days never change, so their bars are computed once and kept in status_bars. A render
 * fills the days missing since the last one (after midnight: one per check) and computes only
 * today live. The fill is bounded, so the first render after a check's 89 days of history
 * appear (the migration, or a check made public) cannot blow the CPU budget: the rest follows on
 * the next renders, shown as "not computed yet" meanwhile.
 */
export const MAX_FILL_CHECK_DAYS = 180;

export type Stored = { lastDay: number; days: DayBar[] };
export type FillCheck = CheckLife & { id: number; status: StoredStatus; pending: StatusChange | null };

const CODE: Record<Colour, string> = { green: "g", amber: "a", red: "r", grey: "n", unknown: "u" };
const COLOUR = Object.fromEntries(Object.entries(CODE).map(([colour, code]) => [code, colour])) as Record<
  string,
  Colour
>;

export function decodeBars(lastDay: number, text: string): Stored {
  const days = (JSON.parse(text) as [string, number | null][]).map(([code, value]) => ({
    colour: COLOUR[code] ?? "unknown",
    value,
  }));
  return { lastDay, days };
}

const encode = (days: DayBar[]) => JSON.stringify(days.map((d) => [CODE[d.colour], d.value]));

/** The finished days a check still needs, oldest first: none before it existed or before the 90. */
export function missingDays(check: Pick<CheckLife, "createdAt">, stored: Stored | undefined, today: number) {
  const first = Math.max(stored ? stored.lastDay + 1 : 0, today - (BAR_DAYS - 1), dayOf(check.createdAt));
  return { first, last: today - 1 };
}

/** The finished day `day` of a check from its memo: grey before it existed, `unknown` if not filled. */
export function storedDay(check: Pick<CheckLife, "createdAt">, stored: Stored | undefined, day: number): DayBar {
  if (day < dayOf(check.createdAt)) return { colour: "grey", value: null };
  if (!stored || day > stored.lastDay) return { colour: "unknown", value: null };
  return stored.days[stored.days.length - 1 - (stored.lastDay - day)] ?? { colour: "unknown", value: null };
}

/**
 * Computes and stores the missing finished days of as many checks as the budget allows, in one
 * read batch and one write batch. Returns the memo as it is now.
 */
export async function fillBars(
  db: Db,
  checks: FillCheck[],
  stored: Map<number, Stored>,
  now: number,
): Promise<Map<number, Stored>> {
  const today = dayOf(now);
  let budget = MAX_FILL_CHECK_DAYS;
  const work: { check: FillCheck; first: number; last: number }[] = [];
  for (const check of checks) {
    const { first, last } = missingDays(check, stored.get(check.id), today);
    if (first > last || budget <= 0) continue;
    const end = Math.min(last, first + budget - 1);
    budget -= end - first + 1;
    work.push({ check, first, last: end });
  }
  if (work.length === 0) return stored;

  const since = dayStart(Math.min(...work.map((w) => w.first)));
  const ids = work.map((w) => w.check.id);
  const ofKind = (kind: string) => idList(work.filter((w) => w.check.kind === kind).map((w) => w.check.id));
  const [changes, points] = await readAll<[ChangeRecord[], PointRecord[]]>(db, [
    changesSince(idList(ids), since),
    pointsSince({ backup: ofKind("backup"), restic: ofKind("restic") }, since),
  ]);

  const next = new Map(stored);
  const writes = work.map(({ check, first, last }) => {
    const timeline = timelineFor(check, changes);
    const history = restoreHistory(
      points.filter((p) => p.check_id === check.id).map((p) => ({ takenAt: p.taken_at, availableAt: p.available_at })),
      check.createdAt,
    );
    const previous = stored.get(check.id);
    const days: DayBar[] = [];
    // The window's finished days up to `last`: those before `first` come from the memo.
    for (let day = Math.max(today - (BAR_DAYS - 1), dayOf(check.createdAt)); day <= last; day++) {
      days.push(day >= first ? dayBar(check, day, timeline, history, now) : storedDay(check, previous, day));
    }
    next.set(check.id, { lastDay: last, days });
    // Raw: an upsert that keeps the newer memo, run in readAll's batch of raw statements.
    const [checkId, lastDay, daysColumn, updatedAt] = [
      col(statusBars, "checkId"),
      col(statusBars, "lastDay"),
      col(statusBars, "days"),
      col(statusBars, "updatedAt"),
    ];
    return sql`INSERT INTO ${statusBars} (${checkId}, ${lastDay}, ${daysColumn}, ${updatedAt})
      VALUES (${check.id}, ${last}, ${encode(days)}, ${now})
      ON CONFLICT (${checkId}) DO UPDATE SET ${lastDay} = excluded.${lastDay}, ${daysColumn} = excluded.${daysColumn},
        ${updatedAt} = excluded.${updatedAt}
      WHERE excluded.${lastDay} > ${statusBars.lastDay}`;
  });
  await readAll(db, writes);
  return next;
}

/**
 * A check's timeline from the change rows of a read (changesSince), plus the down change the sweep
 * has yet to record (status-rows.ts pendingChange), so a check down by the clock is down on the
 * page's bars and incidents exactly as it will be once the sweep wrote its flip.
 */
export function timelineFor(
  check: { id: number; status: StoredStatus; pending: StatusChange | null },
  rows: ChangeRecord[],
): Timeline {
  const own = rows.filter((r) => r.check_id === check.id);
  const before = own.find((r) => r.before === 1) ?? null;
  const inWindow: StatusChange[] = own.filter((r) => r.before === 0);
  return timelineOf(before, check.pending ? [...inWindow, check.pending] : inWindow, check.status);
}
