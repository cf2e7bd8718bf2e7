import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/domain/signing";
import { call, json } from "../helpers/api";

describe("installing the agent", () => {
  it("serves the installer with this server's URL filled in", async () => {
    const response = await call("GET", "/install.sh", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/x-shellscript");
    const script = await response.text();
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toContain('LIFEBOAT_URL="${LIFEBOAT_URL:-https://lifeboat.test}"');
    expect(script.trimEnd().endsWith('main "$@" || exit 1')).toBe(true);
  });

  it("a new key comes with its install one-liner, and the secret is not in it", async () => {
    const key = await json(call("POST", "/api/v1/keys", { body: { host: "vps", checks: "*", scopes: ["ping"] } }));
    expect(key.install).toBe(`curl -fsSL https://lifeboat.test/install.sh | LIFEBOAT_KEY_ID=${key.key_id} sh`);
    expect(key.install).not.toContain(key.secret);
  });
});

describe("serving the agent", () => {
  it("serves the agent script and its sha256", async () => {
    const response = await call("GET", "/agent/lifeboat", { token: null });
    expect(response.status).toBe(200);
    const script = await response.text();
    expect(script.startsWith("#!/bin/sh")).toBe(true);
    const sha = (await (await call("GET", "/agent/lifeboat.sha256", { token: null })).text()).split(" ")[0];
    expect(sha).toBe(await sha256Hex(script));
  });
});

it("every answer carries a Date header (the agent's doctor measures clock skew from it)", async () => {
  const response = await call("GET", "/api/v1/checks");
  const date = Date.parse(response.headers.get("Date") ?? "");
  expect(Math.abs(date - Date.now())).toBeLessThan(5_000);
});
