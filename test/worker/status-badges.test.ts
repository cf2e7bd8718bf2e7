import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { badgeSvg, endpointJson } from "../../worker/domain/status/badge";
import { textWidth } from "../../worker/domain/status/text-width";
import { call, createCheck, READER } from "../helpers/api";
import { checkIdOf, exec, getPublic, HOUR, insertBackup, markUp } from "../helpers/status";

const HOSTILE = `<script>alert(1)</script> & "quotes" 'single'`;

describe("badge drawing", () => {
  it("escapes every text and grows with it", () => {
    const svg = badgeSvg({ label: HOSTILE, message: "up", color: "brightgreen" });
    expect(svg).not.toContain("<script");
    expect(svg).toContain("&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34; &#39;single&#39;");
    const short = Number(/width="(\d+)"/.exec(badgeSvg({ label: "a", message: "up", color: "red" }))![1]);
    const long = Number(
      /width="(\d+)"/.exec(badgeSvg({ label: "a much longer label", message: "up", color: "red" }))![1],
    );
    expect(long).toBeGreaterThan(short + 80);
  });

  it("estimates Verdana widths: narrow letters are narrower than wide ones", () => {
    expect(textWidth("iiii")).toBeLessThan(textWidth("MMMM") / 2);
    expect(textWidth("status")).toBeGreaterThan(30);
    expect(textWidth("日本")).toBe(22);
  });

  it("drops characters XML forbids, so a name cannot break the SVG", () => {
    expect(badgeSvg({ label: "a\u0001b\u0008", message: "up", color: "red" })).toContain(">ab<");
  });

  it("speaks shields.io's endpoint schema", () => {
    expect(endpointJson({ label: "x", message: "3 h ago", color: "yellow" })).toEqual({
      schemaVersion: 1,
      label: "x",
      message: "3 h ago",
      color: "yellow",
    });
  });
});

async function badgeKeyOf(uuid: string): Promise<string> {
  const row = await env.DB.prepare("SELECT badge_key FROM checks WHERE uuid = ?")
    .bind(uuid)
    .first<{ badge_key: string }>();
  return row!.badge_key;
}

describe("badge URLs", () => {
  it("every check gets its own unguessable key, listed in the API", async () => {
    const a = await createCheck({ name: "badge a" });
    const b = await createCheck({ name: "badge b" });
    expect(a.badges.state_svg).toMatch(/^https:\/\/lifeboat\.test\/badge\/[0-9a-f]{32}\/state\.svg$/);
    expect(a.badges.state_svg).not.toBe(b.badges.state_svg);
    expect(a.badges.state_svg).not.toContain(a.uuid);
    expect(a.badges.rpo_json).toBe(a.badges.state_svg.replace("state.svg", "rpo.json"));
  });

  it("a check inserted without drizzle still gets a key (the trigger)", async () => {
    await exec(
      `INSERT INTO checks (uuid, slug, name, grace_s, period_s, revision, created_at, updated_at) VALUES (?, 'raw-insert', 'raw', 60, 60, 'r', 0, 0)`,
      crypto.randomUUID(),
    );
    const row = await env.DB.prepare("SELECT badge_key FROM checks WHERE slug = 'raw-insert'").first<{
      badge_key: string;
    }>();
    expect(row!.badge_key).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a private check's badge shows its one value and not its name", async () => {
    const check = await createCheck({ name: "Top secret payroll", kind: "backup", public: false });
    const key = await badgeKeyOf(check.uuid);
    await insertBackup(await checkIdOf(check.uuid), Date.now() - 3 * HOUR);
    const svg = await getPublic(`/badge/${key}/rpo.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get("Content-Type")).toBe("image/svg+xml; charset=utf-8");
    expect(svg.headers.get("Cache-Control")).toBe("public, max-age=60");
    const text = await svg.text();
    expect(text).toContain("last good backup: 3 h ago");
    expect(text).not.toMatch(/payroll|secret-host|123456789|[0-9a-f]{8}-[0-9a-f]{4}/i);
    const json = await (await getPublic(`/badge/${key}/state.json`)).json();
    expect(json).toEqual({
      schemaVersion: 1,
      label: "status",
      message: "waiting for the first backup",
      color: "lightgrey",
    });
  });

  it("a public check's badge carries its (escaped) name; ?label= replaces it", async () => {
    const check = await createCheck({ name: HOSTILE, public: true });
    const key = await badgeKeyOf(check.uuid);
    await markUp(await checkIdOf(check.uuid));
    const svg = await (await getPublic(`/badge/${key}/state.svg`)).text();
    expect(svg).not.toContain("<script");
    expect(svg).toContain("&#60;script&#62;");
    expect(svg).toContain(">operational<");
    const labelled = await (
      await getPublic(`/badge/${key}/state.json?label=${encodeURIComponent("<b>web</b>")}`)
    ).json<any>();
    expect(labelled).toMatchObject({ label: "<b>web</b>", message: "operational", color: "brightgreen" });
    const tooLong = await getPublic(`/badge/${key}/state.svg?label=${"x".repeat(61)}`);
    expect(tooLong.status).toBe(400);
  });

  it("restore drills: never, passed (green within drill_every_s), failed (red)", async () => {
    const check = await createCheck({ name: "drilled", kind: "backup", drill_every_s: 7 * 86_400 });
    expect(check.drill_every_s).toBe(7 * 86_400);
    const key = await badgeKeyOf(check.uuid);
    const id = await checkIdOf(check.uuid);
    expect(await (await getPublic(`/badge/${key}/drill.json`)).json()).toMatchObject({
      message: "never",
      color: "lightgrey",
    });
    const backup = await insertBackup(id, Date.now() - 10 * HOUR);
    await exec(
      `INSERT INTO drills (backup_id, check_id, ok, duration_ms, reported_at) VALUES (?, ?, 1, 5000, ?)`,
      backup,
      id,
      Date.now() - 2 * 86_400_000,
    );
    expect(await (await getPublic(`/badge/${key}/drill.json`)).json()).toMatchObject({
      message: "2 d ago",
      color: "brightgreen",
    });
    await exec(
      `INSERT INTO drills (backup_id, check_id, ok, duration_ms, reported_at) VALUES (?, ?, 0, 5000, ?)`,
      backup,
      id,
      Date.now() - HOUR,
    );
    expect(await (await getPublic(`/badge/${key}/drill.json`)).json()).toMatchObject({
      message: "failed 60 min ago",
      color: "red",
    });
  });

  it("an unknown key, a malformed key or an unknown badge is the 404 of any unknown path", async () => {
    const check = await createCheck({ name: "exists" });
    const key = await badgeKeyOf(check.uuid);
    const unknownPath = await (await getPublic("/no/such/path")).text();
    for (const path of [
      `/badge/${"0".repeat(32)}/state.svg`,
      `/badge/${key.toUpperCase()}/state.svg`,
      `/badge/${check.uuid}/state.svg`,
      `/badge/${key}/size.svg`,
      `/badge/${key}/state.png`,
      `/badge/${key}`,
    ]) {
      const response = await getPublic(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toBe(unknownPath);
    }
  });

  it("a new key makes the old badge URLs unknown", async () => {
    const check = await createCheck({ name: "leaked badge" });
    const response = await call("POST", `/api/v1/checks/${check.uuid}/badge-key`);
    expect(response.status).toBe(200);
    const rotated = await response.json<any>();
    expect(rotated.badges.state_svg).not.toBe(check.badges.state_svg);
    const path = (url: string) => new URL(url).pathname;
    expect((await getPublic(path(check.badges.state_svg))).status).toBe(404);
    expect((await getPublic(path(rotated.badges.state_svg))).status).toBe(200);
    expect((await call("POST", `/api/v1/checks/${check.uuid}/badge-key`, { token: READER })).status).toBe(403);
  });
});
