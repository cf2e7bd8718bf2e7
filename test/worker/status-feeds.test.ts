import { describe, expect, it } from "vitest";
import { call, createCheck } from "../helpers/api";
import { checkIdOf, DAY, getPublic, HOUR, insertBackup, insertFlip, markUp } from "../helpers/status";
import { childrenNamed, childText, parseXml } from "../helpers/xml";

const HOSTILE = '<script>alert(1)</script> & "quotes" \u0001';

async function seed() {
  const web = await createCheck({ name: `Web ${HOSTILE}`, public: true, group: `Front ${HOSTILE}` });
  const db = await createCheck({
    name: "Orders DB",
    kind: "backup",
    public: true,
    group: "Data",
    drill_every_s: 86_400 * 30,
  });
  const secret = await createCheck({ name: "Payroll (private)", public: false });
  const [webId, dbId, secretId] = [await checkIdOf(web.uuid), await checkIdOf(db.uuid), await checkIdOf(secret.uuid)];
  const now = Date.now();
  await insertFlip(webId, "new", "up", now - 5 * DAY, "ping");
  await insertFlip(webId, "up", "down", now - 2 * DAY, "timeout");
  await insertFlip(webId, "down", "up", now - 2 * DAY + 90 * 60_000, "ping");
  await insertFlip(secretId, "up", "down", now - DAY, "timeout");
  await markUp(webId);
  await insertBackup(dbId, now - 2 * HOUR);
  await markUp(dbId, now - 2 * HOUR);
  await call("POST", "/api/v1/maintenance", {
    body: {
      name: `Upgrade ${HOSTILE}`,
      starts_at: new Date(now + HOUR).toISOString(),
      ends_at: new Date(now + 2 * HOUR).toISOString(),
    },
  });
  return { web, db, secret };
}

describe("/status.json", () => {
  it("carries checks by group, incidents and maintenance, and nothing private", async () => {
    const { web, secret } = await seed();
    const response = await getPublic("/status.json");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.status).toEqual({ level: "ok", description: "All systems operational" });
    expect(body.groups.map((g: any) => g.name)).toEqual(["Data", `Front ${HOSTILE}`]);
    const db = body.groups[0].checks[0];
    expect(db).toMatchObject({
      name: "Orders DB",
      kind: "backup",
      state: "up",
      rpo_s: 90_000,
      restore_verified_at: null,
      drill_every_s: 2_592_000,
    });
    expect(Date.now() - Date.parse(db.last_good_backup_at)).toBeGreaterThan(2 * HOUR - 1000);
    expect(db.days.at(-1)).toMatchObject({ colour: "green" });
    expect(body.incidents).toEqual([
      expect.objectContaining({
        check: `Web ${HOSTILE}`,
        reason: "did not report in time",
        duration_s: 5400,
        detail: null,
      }),
    ]);
    expect(body.maintenance).toEqual([expect.objectContaining({ name: `Upgrade ${HOSTILE}`, active: false })]);
    for (const leak of ["Payroll", web.uuid, secret.uuid, "secret-host", "123456789", "badge"])
      expect(text).not.toContain(leak);
    // JSON's own escaping keeps the hostile name a string.
    expect(text).toContain('"Web <script>alert(1)</script> & \\"quotes\\" \\u0001"');
  });
});

describe("/feed.atom", () => {
  it("is well-formed Atom 1.0 with stable ids, escaped text and no private check", async () => {
    const response = await getPublic("/feed.atom");
    expect(response.headers.get("Content-Type")).toBe("application/atom+xml; charset=utf-8");
    const xml = await response.text();
    const feed = parseXml(xml);
    expect(feed.name).toBe("feed");
    expect(feed.attrs.xmlns).toBe("http://www.w3.org/2005/Atom");
    expect(childText(feed, "title")).toBe("Status: incidents and maintenance");
    expect(childText(feed, "id")).toMatch(/^tag:lifeboat\.test,/);
    expect(childrenNamed(feed, "link").map((l) => l.attrs.rel)).toEqual(["self", "alternate"]);
    const entries = childrenNamed(feed, "entry");
    const titles = entries.map((e) => childText(e, "title"));
    // The control character is dropped: XML 1.0 has no way to carry it.
    expect(titles).toContain(`Resolved: Web <script>alert(1)</script> & "quotes"  (down 90 min)`);
    expect(titles).toContain(`Scheduled maintenance: Upgrade <script>alert(1)</script> & "quotes" `);
    expect(titles.join()).not.toContain("Payroll");
    for (const entry of entries) {
      expect(childText(entry, "id")).toMatch(/^tag:lifeboat\.test,\d{4}-\d{2}-\d{2}:(incident|maintenance):/);
      expect(Date.parse(childText(entry, "updated")!)).not.toBeNaN();
    }
    // The feed's updated is its newest entry's; the ids do not change from one render to the next.
    const newest = Math.max(...entries.map((e) => Date.parse(childText(e, "updated")!)));
    expect(Date.parse(childText(feed, "updated")!)).toBe(newest);
    const again = childrenNamed(parseXml(await (await getPublic("/feed.atom")).text()), "entry");
    expect(again.map((e) => childText(e, "id"))).toEqual(entries.map((e) => childText(e, "id")));
  });

  it("an incident keeps its id when it ends; only its title and updated change", async () => {
    const check = await createCheck({ name: "Ends later", public: true });
    const id = await checkIdOf(check.uuid);
    const start = Date.now() - HOUR;
    await insertFlip(id, "up", "down", start, "fail");
    const entryOf = async () =>
      childrenNamed(parseXml(await (await getPublic("/feed.atom")).text()), "entry").find((e) =>
        childText(e, "title")!.includes("Ends later"),
      )!;
    const open = await entryOf();
    expect(childText(open, "title")).toBe("Down: Ends later");
    await insertFlip(id, "down", "up", start + 30 * 60_000, "ping");
    const closed = await entryOf();
    expect(childText(closed, "id")).toBe(childText(open, "id"));
    expect(childText(closed, "title")).toBe("Resolved: Ends later (down 30 min)");
    expect(Date.parse(childText(closed, "updated")!)).toBe(start + 30 * 60_000);
  });
});
