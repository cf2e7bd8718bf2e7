import { eq } from "drizzle-orm";
import { z } from "zod";
import { settings as settingsTable } from "../db/schema";
import type { Db } from "./db";
import { STATUS_PAGE_SETTING } from "./status-queries";

/** The status page's own settings, kept as one JSON row in `settings`. */
export const PageSettingsSchema = z.object({
  title: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500),
});
export type PageSettings = z.infer<typeof PageSettingsSchema>;

export const DEFAULT_TITLE = "Status";

/** The stored settings, else STATUS_PAGE_TITLE, else "Status". A damaged row falls back, never a 500. */
export function pageSettingsOf(stored: string | undefined, envTitle: string | undefined): PageSettings {
  const fallback = { title: envTitle?.trim() || DEFAULT_TITLE, description: "" };
  if (!stored) return fallback;
  try {
    const parsed = PageSettingsSchema.partial().safeParse(JSON.parse(stored));
    return parsed.success ? { ...fallback, ...parsed.data } : fallback;
  } catch {
    return fallback;
  }
}

export async function readPageSettings(db: Db, envTitle: string | undefined): Promise<PageSettings> {
  const row = await db
    .select({ value: settingsTable.value })
    .from(settingsTable)
    .where(eq(settingsTable.key, STATUS_PAGE_SETTING))
    .get();
  return pageSettingsOf(row?.value, envTitle);
}

export async function writePageSettings(db: Db, settings: PageSettings, now: number): Promise<void> {
  const value = JSON.stringify(settings);
  await db
    .insert(settingsTable)
    .values({ key: STATUS_PAGE_SETTING, value, updatedAt: now })
    .onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: now } });
}
