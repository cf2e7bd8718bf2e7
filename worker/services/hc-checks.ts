import { and, asc, eq, ne, sql, type SQL } from "drizzle-orm";
import { channels, checks, type CheckRow } from "../db/schema";
import type { ChannelChange, ChannelRef } from "../domain/hc-compat";
import type { CheckInput } from "./checks";
import { col } from "./columns";
import type { Db } from "./db";

/** The channels as healthchecks' channel assignment sees them (domain/hc-compat.ts). */
export async function channelRefs(db: Db): Promise<ChannelRef[]> {
  return db
    .select({
      id: channels.id,
      uuid: channels.uuid,
      name: channels.name,
      filterTags: channels.filterTags,
      filterChecks: channels.filterChecks,
    })
    .from(channels)
    .orderBy(asc(channels.id));
}

/**
 * A channel (un)assignment as one statement on the channel's filter, run in the check's batch and
 * only if the check's write applied. json_each keeps it a set, whatever a concurrent edit did.
 */
export function channelStatements(changes: ChannelChange[], slug: string, applied: SQL): SQL[] {
  // Raw: json_insert / json_each on the column in place, built without a Db for the caller's batch.
  const filter = col(channels, "filterChecks");
  return changes.map(({ channelId, change }) =>
    change === "add"
      ? sql`UPDATE ${channels} SET ${filter} = json_insert(${channels.filterChecks}, '$[#]', ${slug})
            WHERE ${channels.id} = ${channelId} AND ${applied}
              AND NOT EXISTS (SELECT 1 FROM json_each(${channels.filterChecks}) WHERE value = ${slug})`
      : sql`UPDATE ${channels} SET ${filter} = (
              SELECT json_group_array(value) FROM json_each(${channels.filterChecks}) WHERE value <> ${slug})
            WHERE ${channels.id} = ${channelId} AND ${applied}`,
  );
}

/** The check an upsert (`unique`) finds: the oldest whose listed fields all equal the request's. */
export async function findUnique(
  db: Db,
  match: Partial<Pick<CheckInput, "name" | "slug" | "tags" | "periodS" | "graceS">>,
): Promise<CheckRow | undefined> {
  const where: SQL[] = [];
  if (match.name !== undefined) where.push(eq(checks.name, match.name));
  if (match.slug !== undefined) where.push(eq(checks.slug, match.slug));
  if (match.tags !== undefined) where.push(sql`${checks.tags} = ${JSON.stringify(match.tags)}`);
  if (match.periodS != null) where.push(eq(checks.periodS, match.periodS));
  if (match.graceS !== undefined) where.push(eq(checks.graceS, match.graceS));
  const [row] = await db
    .select()
    .from(checks)
    .where(and(...where))
    .orderBy(asc(checks.id))
    .limit(1);
  return row;
}

/** Whether another check than `selfId` has this slug (slugs are unique in Lifeboat). */
export async function slugTaken(db: Db, slug: string, selfId: number | null): Promise<boolean> {
  const where = selfId === null ? eq(checks.slug, slug) : and(eq(checks.slug, slug), ne(checks.id, selfId));
  const [row] = await db.select({ id: checks.id }).from(checks).where(where).limit(1);
  return row !== undefined;
}

/**
 * A check by its unique_key (the stored column, migration 0009): it names a check to a read-only
 * key without giving away the uuid, which is the check's ping secret. healthchecks derives it from
 * the uuid; clients only ever read it back, so Lifeboat's one stored key serves both APIs.
 */
export async function findByUniqueKey(db: Db, uniqueKey: string): Promise<CheckRow | undefined> {
  const [row] = await db.select().from(checks).where(eq(checks.uniqueKey, uniqueKey)).limit(1);
  return row;
}

/** healthchecks' list filters: a slug, and every one of the given tags. */
export async function listHcChecks(db: Db, filter: { slug?: string; tags: string[] }): Promise<CheckRow[]> {
  const where: SQL[] = [];
  if (filter.slug) where.push(eq(checks.slug, filter.slug));
  for (const tag of filter.tags) {
    where.push(sql`EXISTS (SELECT 1 FROM json_each(${checks.tags}) WHERE value = ${tag})`);
  }
  return db
    .select()
    .from(checks)
    .where(and(...where))
    .orderBy(asc(checks.id));
}
