import { sql } from "drizzle-orm";
import { z } from "zod";
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
  const row = await db.get<{ value: string } | undefined>(
    sql`SELECT value FROM settings WHERE key = ${STATUS_PAGE_SETTING}`,
  );
  return pageSettingsOf(row?.value, envTitle);
}

export async function writePageSettings(db: Db, settings: PageSettings, now: number): Promise<void> {
  const value = JSON.stringify(settings);
  await db.run(sql`INSERT INTO settings (key, value, updated_at) VALUES (${STATUS_PAGE_SETTING}, ${value}, ${now})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
}
