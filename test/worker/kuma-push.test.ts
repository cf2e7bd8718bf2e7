import { describe, expect, it } from "vitest";
import { call, createCheck, json, tableCounts } from "../helpers/api";

/**
 * Uptime Kuma push monitors, answered as Kuma's server/routers/api-router.js (`/api/push/:pushToken`)
 * answers them: any method, {"ok":true}, or 404 {"ok":false,"msg":…}.
 */

const push = (token: string, query = "", method = "GET") => call(method, `/api/push/${token}${query}`, { token: null });
const TOKEN = "Kq3VJwS7ZpXb1NmC8rT4yLd2hF6gA9eU"; // Kuma's form: 32 letters and digits
const pingsOf = async (uuid: string) => (await json(call("GET", `/api/v1/checks/${uuid}/pings`))).pings as any[];

describe("Kuma push URLs", () => {
  it("status=up is a success; status=down a failure with msg as body and detail; ping is the duration", async () => {
    const check = await createCheck({ name: "kuma", push_token: TOKEN });
    expect(check.push_url).toBe(`https://lifeboat.test/api/push/${TOKEN}`);
    const up = await push(TOKEN, "?status=up&msg=OK&ping=123.4");
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true });
    expect((await pingsOf(check.uuid))[0]).toMatchObject({ kind: "success", body: "OK", duration_s: 0.123 });

    const down = await push(TOKEN, "?status=down&msg=disk%20full", "POST");
    expect(await down.json()).toEqual({ ok: true });
    expect(await json(call("GET", `/api/v1/checks/${check.uuid}`))).toMatchObject({
      status: "down",
      status_reason: "fail",
    });
    expect((await pingsOf(check.uuid))[0]).toMatchObject({ kind: "fail", body: "disk full", method: "POST" });
    const [flip] = (await json(call("GET", `/api/v1/checks/${check.uuid}/flips`))).flips;
    expect(flip.detail).toBe("disk full");
  });

  it("takes Kuma's defaults: no status is up, no msg is OK, and any status but up is down", async () => {
    const check = await createCheck({ name: "kuma defaults" });
    await push(check.uuid); // the uuid works as a push token too
    expect((await pingsOf(check.uuid))[0]).toMatchObject({ kind: "success", body: "OK" });
    await push(check.uuid, "?status=0");
    expect((await pingsOf(check.uuid))[0].kind).toBe("fail");
  });

  it("refuses like Kuma, with 404 and its messages, and writes nothing", async () => {
    const check = await createCheck({ name: "kuma refusals", push_token: "pausedTokenAbc123" });
    await call("POST", `/api/v1/checks/${check.uuid}/pause`);
    const before = await tableCounts();
    for (const [path, msg] of [
      ["NoSuchToken12345", "Monitor not found or not active."],
      ["pausedTokenAbc123", "Monitor not found or not active."],
      ["NoSuchToken12345?ping=-5", "Invalid ping value. Must be between 0 and 100000000000 ms."],
      [`${check.uuid}?ping=100000000001`, "Invalid ping value. Must be between 0 and 100000000000 ms."],
    ]) {
      const response = await push(path!);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ ok: false, msg });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("a push token is unique and secret: a taken one is a 409 that does not echo it", async () => {
    await createCheck({ name: "token owner", push_token: "SharedTokenXyz789" });
    const response = await call("POST", "/api/v1/checks", {
      body: { name: "token thief", push_token: "SharedTokenXyz789" },
    });
    expect(response.status).toBe(409);
    expect(await response.text()).not.toContain("SharedTokenXyz789");
    expect((await call("POST", "/api/v1/checks", { body: { name: "short", push_token: "abc" } })).status).toBe(400);
  });
});
