import { describe, expect, it } from "vitest";
import { call, createCheck, json } from "../helpers/api";

describe("smoke", () => {
  it("creates a check and pings it", async () => {
    const check = await createCheck({ name: "Nightly", period_s: 3600 });
    expect(check.status).toBe("new");
    const ping = await call("GET", `/ping/${check.uuid}`, { token: null });
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe("OK");
    const after = await json(call("GET", `/api/v1/checks/${check.slug}`));
    expect(after.status).toBe("up");
  });
});
