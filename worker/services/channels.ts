import { desc, eq } from "drizzle-orm";
import { channels, type ChannelRow } from "../db/schema";
import { hmacSha256, toHex } from "../domain/signing";
import { notFound } from "../errors";
import type { Db } from "./db";

export type NewChannel = { kind: "webhook"; name: string; url: string };

export async function createChannel(db: Db, input: NewChannel, now: number): Promise<ChannelRow> {
  const [row] = await db
    .insert(channels)
    .values({
      uuid: crypto.randomUUID(),
      kind: input.kind,
      name: input.name,
      config: { url: input.url },
      createdAt: now,
    })
    .returning();
  return row!;
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

/** The webhook signing secret is derived, never stored: HMAC(master key, "channel:" + uuid). */
export async function channelSecret(masterKey: string, channel: Pick<ChannelRow, "uuid">): Promise<string> {
  return `whsec_${toHex(await hmacSha256(masterKey, `channel:${channel.uuid}`))}`;
}
