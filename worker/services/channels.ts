import { desc, eq, sql } from "drizzle-orm";
import { channels, type ChannelRow } from "../db/schema";
import { seal, unseal } from "../domain/seal";
import { hmacSha256, toHex } from "../domain/signing";
import { notFound } from "../errors";
import { col } from "./columns";
import type { Db } from "./db";

export type ChannelKind = ChannelRow["kind"];

export type ChannelInput = {
  kind: ChannelKind;
  name: string;
  config: Record<string, unknown>;
  target: string;
  filterTags: string[];
  filterChecks: string[];
  repeatEveryS: number | null;
};

export async function createChannel(db: Db, masterKey: string, input: ChannelInput, now: number): Promise<ChannelRow> {
  const [row] = await db
    .insert(channels)
    .values({
      ...input,
      uuid: crypto.randomUUID(),
      config: await seal(masterKey, input.config),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

/** Replaces the channel's settings; a new config also clears a "broken" mark (the user fixed it). */
export async function updateChannel(
  db: Db,
  masterKey: string,
  row: ChannelRow,
  input: ChannelInput,
  configChanged: boolean,
  now: number,
): Promise<ChannelRow> {
  const repaired = configChanged ? { status: "ok" as const, brokenReason: null, brokenAt: null } : {};
  const [updated] = await db
    .update(channels)
    .set({ ...input, ...repaired, config: await seal(masterKey, input.config), updatedAt: now })
    .where(eq(channels.id, row.id))
    .returning();
  return updated!;
}

export async function listChannels(db: Db): Promise<ChannelRow[]> {
  return db.select().from(channels).orderBy(desc(channels.id));
}

export async function getChannel(db: Db, uuid: string): Promise<ChannelRow> {
  const row = await db.query.channels.findFirst({ where: eq(channels.uuid, uuid) });
  if (!row) throw notFound("channel");
  return row;
}

export async function deleteChannel(db: Db, row: ChannelRow): Promise<void> {
  await db.delete(channels).where(eq(channels.id, row.id));
}

export function channelConfig<T = Record<string, unknown>>(masterKey: string, row: Pick<ChannelRow, "config">) {
  return unseal<T>(masterKey, row.config);
}

export async function markBroken(db: Db, channelId: number, reason: string, now: number): Promise<void> {
  await db.run(brokenStatement(channelId, reason, now));
}

/** A receiver answered for good: the channel stops sending, and says why, until someone fixes it. */
export function brokenStatement(channelId: number, reason: string, now: number) {
  // Raw: a statement without a Db, for the sender's batch (services/alert-pipeline/send.ts).
  return sql`UPDATE ${channels} SET ${col(channels, "status")} = 'broken', ${col(channels, "brokenReason")} = ${reason},
    ${col(channels, "brokenAt")} = ${now} WHERE ${col(channels, "id")} = ${channelId}`;
}

export async function markWorking(db: Db, channelId: number): Promise<void> {
  await db.update(channels).set({ status: "ok", brokenReason: null, brokenAt: null }).where(eq(channels.id, channelId));
}

/** The webhook signing secret is derived, never stored: HMAC(master key, "channel:" + uuid). */
export async function channelSecret(masterKey: string, channel: Pick<ChannelRow, "uuid">): Promise<string> {
  return `whsec_${toHex(await hmacSha256(masterKey, `channel:${channel.uuid}`))}`;
}
