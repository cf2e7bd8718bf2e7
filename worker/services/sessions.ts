import { eq, lte, sql } from "drizzle-orm";
import { revokedSessions } from "../db/schema";
import type { Session } from "../domain/session";
import { batch, type Db } from "./db";

// Dashboard sessions are signed cookies (domain/session.ts); logging out must still end one for
// good, also in a copy of the cookie. A revoked session's id is kept until the session would have
// expired anyway, so the table holds at most the logouts of the last 12 hours.

/** Whether this session was ended by a logout. One indexed read per dashboard request. */
export async function isRevoked(db: Db, session: Session): Promise<boolean> {
  const row = await db
    .select({ one: sql<number>`1` })
    .from(revokedSessions)
    .where(eq(revokedSessions.sessionId, session.id))
    .get();
  return row !== undefined && row !== null;
}

/** Ends a session server-side, and forgets revocations of sessions that have expired meanwhile. */
export async function revokeSession(db: Db, session: Session, now: number): Promise<void> {
  await batch(db, [
    db
      .insert(revokedSessions)
      .values({ sessionId: session.id, expiresAt: session.expiresAt })
      .onConflictDoNothing({ target: revokedSessions.sessionId }),
    db.delete(revokedSessions).where(lte(revokedSessions.expiresAt, now)),
  ]);
}
