import { describe, expect, it } from "vitest";
import { call, tableCounts } from "../helpers/api";
import { createAgentKey, signedJson } from "../helpers/agent";

// `lifeboat doctor` proves the server is Lifeboat and the key works with GET /v1/whoami.
describe("GET /v1/whoami", () => {
  it("answers a signed request with the key as the server knows it", async () => {
    const key = await createAgentKey(["db", "media"], ["upload", "read"]);
    const answer = await signedJson(key, "GET", "/v1/whoami");
    expect(answer).toEqual({
      status: 200,
      body: {
        lifeboat: true,
        key_id: key.key_id,
        host: "test-host",
        scopes: ["upload", "read"],
        checks: ["db", "media"],
      },
    });
  });

  it("refuses an unsigned request, a wrong secret, and a revoked key, writing nothing", async () => {
    const key = await createAgentKey("*", ["ping"]);
    const before = await tableCounts();
    expect((await call("GET", "/v1/whoami", { token: null })).status).toBe(401);
    expect((await signedJson({ ...key, secret: "0".repeat(64) }, "GET", "/v1/whoami")).status).toBe(401);
    expect(await tableCounts()).toEqual(before);
    await call("DELETE", `/api/v1/keys/${key.key_id}`);
    expect((await signedJson(key, "GET", "/v1/whoami")).status).toBe(401);
  });
});
