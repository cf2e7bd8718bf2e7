import { describe, expect, it } from "vitest";
import {
  csrfTokenOf,
  csrfTokenValid,
  issueSession,
  LOGIN_WINDOW_MS,
  loginAllowed,
  readSession,
  recordLoginFailure,
  sameOriginRequest,
  SESSION_TTL_MS,
  type LoginThrottle,
} from "../../worker/domain/session";

// The pure session logic with an injected clock: expiry to the millisecond, CSRF binding, the
// origin rule and the login throttle's window.

const secrets = { masterKey: "m".repeat(32), adminToken: "admin-token", readToken: "read-token" };
const T0 = Date.UTC(2026, 10, 23, 3, 0, 0);

describe("sessions", () => {
  it("are valid until the last millisecond of their 12 hours", async () => {
    const { session, cookie } = await issueSession(secrets, "admin", T0, "0".repeat(32));
    expect(session).toEqual({ role: "admin", id: "0".repeat(32), issuedAt: T0, expiresAt: T0 + SESSION_TTL_MS });
    expect(await readSession(secrets, cookie, T0)).toEqual(session);
    expect(await readSession(secrets, cookie, T0 + SESSION_TTL_MS - 1)).toEqual(session);
    expect(await readSession(secrets, cookie, T0 + SESSION_TTL_MS)).toBeNull();
  });

  it("tolerate a minute of clock skew between issuing and reading, no more", async () => {
    const { cookie } = await issueSession(secrets, "admin", T0);
    expect(await readSession(secrets, cookie, T0 - 60_000)).not.toBeNull();
    expect(await readSession(secrets, cookie, T0 - 60_001)).toBeNull();
  });

  it("of the read role need the read token, and stop working when it changes", async () => {
    const { cookie } = await issueSession(secrets, "read", T0);
    expect((await readSession(secrets, cookie, T0))?.role).toBe("read");
    expect(await readSession({ ...secrets, readToken: "rotated" }, cookie, T0)).toBeNull();
    expect(await readSession({ ...secrets, readToken: undefined }, cookie, T0)).toBeNull();
    // An admin session does not depend on the read token.
    const admin = await issueSession(secrets, "admin", T0);
    expect(await readSession({ ...secrets, readToken: "rotated" }, admin.cookie, T0)).not.toBeNull();
  });

  it("get a fresh random id per login", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await issueSession(secrets, "admin", T0)).session.id);
    expect(ids.size).toBe(20);
  });
});

describe("CSRF tokens", () => {
  it("are bound to one session and compared exactly", async () => {
    const a = await issueSession(secrets, "admin", T0);
    const b = await issueSession(secrets, "admin", T0);
    const tokenA = await csrfTokenOf(secrets, a.session);
    expect(tokenA).toMatch(/^[0-9a-f]{64}$/);
    expect(await csrfTokenValid(secrets, a.session, tokenA)).toBe(true);
    expect(await csrfTokenValid(secrets, b.session, tokenA)).toBe(false);
    expect(await csrfTokenValid(secrets, a.session, tokenA.toUpperCase())).toBe(false);
    expect(await csrfTokenValid(secrets, a.session, undefined)).toBe(false);
    expect(await csrfTokenValid(secrets, a.session, [tokenA])).toBe(false);
    expect(await csrfTokenValid({ ...secrets, adminToken: "rotated" }, a.session, tokenA)).toBe(false);
  });
});

describe("the same-origin rule", () => {
  const allowed = ["https://lifeboat.example"];
  it.each([
    [{ origin: "https://lifeboat.example" }, true],
    [{ origin: "https://lifeboat.example", secFetchSite: "same-origin" }, true],
    [{}, true],
    [{ origin: "https://evil.example" }, false],
    [{ origin: "null" }, false],
    [{ origin: "https://lifeboat.example.evil.example" }, false],
    [{ secFetchSite: "cross-site" }, false],
    [{ secFetchSite: "same-site" }, false],
    [{ origin: "https://lifeboat.example", secFetchSite: "cross-site" }, false],
  ])("%j → %s", (headers, ok) => {
    expect(sameOriginRequest(headers, allowed)).toBe(ok);
  });
});

describe("the login throttle", () => {
  it("allows 10 failures per address per window, then none until the window ends", () => {
    const throttle: LoginThrottle = new Map();
    for (let i = 0; i < 10; i++) {
      expect(loginAllowed(throttle, "a", T0 + i)).toBe(true);
      recordLoginFailure(throttle, "a", T0 + i);
    }
    expect(loginAllowed(throttle, "a", T0 + 100)).toBe(false);
    expect(loginAllowed(throttle, "b", T0 + 100)).toBe(true);
    expect(loginAllowed(throttle, "a", T0 + LOGIN_WINDOW_MS - 1)).toBe(false);
    expect(loginAllowed(throttle, "a", T0 + LOGIN_WINDOW_MS)).toBe(true);
  });

  it("keeps its memory bounded", () => {
    const throttle: LoginThrottle = new Map();
    for (let i = 0; i < 5000; i++) recordLoginFailure(throttle, `10.0.${i >> 8}.${i & 255}`, T0);
    expect(throttle.size).toBeLessThanOrEqual(1000);
  });
});
