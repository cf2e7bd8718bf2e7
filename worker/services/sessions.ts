import { sql } from "drizzle-orm";
import type { Session } from "../domain/session";
import { batch, type Db } from "./db";

// Dashboard sessions are signed cookies (domain/session.ts); logging out must still end one for
// good, also in a copy of the cookie. A revoked session's id is kept until the session would have
// expired anyway, so the table holds at most the logouts of the last 12 hours.

/** Whether this session was ended by a logout. One indexed read per dashboard request. */
export async function isRevoked(db: Db, session: Session): Promise<boolean> {
  const row = await db.get<{ one: number }>(
    sql`SELECT 1 AS one FROM revoked_sessions WHERE session_id = ${session.id}`,
  );
  return row !== undefined && row !== null;
}

/** Ends a session server-side, and forgets revocations of sessions that have expired meanwhile. */
export async function revokeSession(db: Db, session: Session, now: number): Promise<void> {
  await batch(db, [
    sql`INSERT INTO revoked_sessions (session_id, expires_at) VALUES (${session.id}, ${session.expiresAt})
        ON CONFLICT (session_id) DO NOTHING`,
    sql`DELETE FROM revoked_sessions WHERE expires_at <= ${now}`,
  ]);
}
