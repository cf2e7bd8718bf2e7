import { desc, eq } from "drizzle-orm";
import { flips, type FlipRow } from "../db/schema";
import type { Db } from "./db";

export async function listFlips(db: Db, checkId: number, limit = 100): Promise<FlipRow[]> {
  return db.select().from(flips).where(eq(flips.checkId, checkId)).orderBy(desc(flips.id)).limit(limit);
}
