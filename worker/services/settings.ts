import { eq } from "drizzle-orm";
import { settings } from "../db/schema";
import type { Db } from "./db";

const PUBLIC_URL = "public_url";
let remembered: string | null = null; // per isolate: write only when the origin changes

/**
 * Without PUBLIC_URL, links in alerts sent by the cron sweep (which has no request) use the origin
 * the operator last reached the admin API on — on workers.dev that is the Worker's own URL.
 */
export async function rememberPublicUrl(db: Db, origin: string, now: number): Promise<void> {
  if (remembered === origin) return;
  await db
    .insert(settings)
    .values({ key: PUBLIC_URL, value: origin, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: origin, updatedAt: now } });
  remembered = origin;
}

export async function publicUrlOf(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured.replace(/\/+$/, "");
  const row = await db.query.settings.findFirst({ where: eq(settings.key, PUBLIC_URL) });
  return row?.value ?? "";
}
