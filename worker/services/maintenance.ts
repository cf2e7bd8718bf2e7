import { asc, eq } from "drizzle-orm";
import { maintenanceWindows, type MaintenanceRow } from "../db/schema";
import { notFound } from "../errors";
import type { Db } from "./db";

export type MaintenanceInput = Omit<MaintenanceRow, "id" | "uuid" | "createdAt">;

export async function createWindow(db: Db, input: MaintenanceInput, now: number): Promise<MaintenanceRow> {
  const [row] = await db
    .insert(maintenanceWindows)
    .values({ ...input, uuid: crypto.randomUUID(), createdAt: now })
    .returning();
  return row!;
}

export async function updateWindow(db: Db, row: MaintenanceRow, input: MaintenanceInput): Promise<MaintenanceRow> {
  const [updated] = await db.update(maintenanceWindows).set(input).where(eq(maintenanceWindows.id, row.id)).returning();
  return updated!;
}

export async function getWindow(db: Db, uuid: string): Promise<MaintenanceRow> {
  const row = await db.query.maintenanceWindows.findFirst({ where: eq(maintenanceWindows.uuid, uuid) });
  if (!row) throw notFound("maintenance window");
  return row;
}

export async function deleteWindow(db: Db, row: MaintenanceRow): Promise<void> {
  await db.delete(maintenanceWindows).where(eq(maintenanceWindows.id, row.id));
}

/** Every window: a small table (an operator's schedule), read whole by the sweep. */
export async function listWindows(db: Db): Promise<MaintenanceRow[]> {
  return db.select().from(maintenanceWindows).orderBy(asc(maintenanceWindows.id));
}
