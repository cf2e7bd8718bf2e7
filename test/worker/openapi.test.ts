import { describe, expect, it } from "vitest";
import { ADMIN, BASE, call, createCheck, fetchWorker, json, READER } from "../helpers/api";

/**
 * The OpenAPI document is what generated clients are built from: every operation needs a real
 * name (operationId), a summary, and every status it can answer declared, or the client throws
 * on an answer it was told could not happen.
 */

const METHODS = ["get", "post", "put", "patch", "delete"];
const HC_RW = "hc-rw-key-0123456789abcdef012345";
const HC_RO = "hcr_ro-key-0123456789abcdef01234";
const ZERO_UUID = "00000000-0000-4000-8000-000000000000";

type Operation = { method: string; path: string; url: string; declared: string[]; compat: boolean };

async function operations(): Promise<{ doc: any; ops: Operation[] }> {
  const doc = await json(call("GET", "/api/openapi.json", { token: null }));
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    const server: string = item.servers?.[0]?.url ?? doc.servers[0].url;
    for (const method of METHODS.filter((m) => item[m])) {
      ops.push({
        method,
        path,
        url: server + path,
        declared: Object.keys(item[method].responses),
        compat: Boolean(item.servers),
      });
    }
  }
  return { doc, ops };
}

const fill = (url: string, ids: Record<string, string>) =>
  url.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? "x");

function send(op: Operation, url: string, auth: "none" | "admin" | "reader", body?: string) {
  const headers: Record<string, string> = {};
  if (auth !== "none") {
    if (op.compat) headers["X-Api-Key"] = auth === "admin" ? HC_RW : HC_RO;
    else headers.Authorization = `Bearer ${auth === "admin" ? ADMIN : READER}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetchWorker(new Request(url, { method: op.method.toUpperCase(), headers, body }));
}

describe("the OpenAPI document", () => {
  it("names and summarises every operation, each operationId once", async () => {
    const { doc, ops } = await operations();
    const ids = new Set<string>();
    for (const op of ops) {
      const operation = doc.paths[op.path][op.method];
      expect(operation.operationId, `${op.method} ${op.path}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(operation.summary, `${op.method} ${op.path}`).toBeTruthy();
      expect(ids.has(operation.operationId), operation.operationId).toBe(false);
      ids.add(operation.operationId);
    }
    expect(ops.length).toBeGreaterThan(45);
    // The compat APIs are in it, each path item with the bare origin as its server.
    for (const path of ["/api/v3/checks/", "/api/v3/checks/{uuid}/flips/", "/api/push/{token}"]) {
      expect(doc.paths[path].servers).toEqual([{ url: BASE }]);
    }
  });

  it("declares every status the routes answer: without a key, with a weak one, unknown ids, bad bodies, real ids", async () => {
    const { ops } = await operations();
    const check = await createCheck({ name: "probe", slug: "probe", push_token: "ProbeToken123456" });
    const channel = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", name: "probe", url: "http://127.0.0.1:9/x" } }),
    );
    const unknown = { id: ZERO_UUID, uuid: ZERO_UUID, key_id: "lbk_nosuchkey", n: "1", token: "NoSuchToken12345" };
    const real = { id: "probe", uuid: check.uuid, key_id: "lbk_nosuchkey", n: "1", token: "ProbeToken123456" };
    const undeclared: string[] = [];
    let probes = 0;
    // The restic server (Basic auth with agent keys) is probed status by status in restic-access.test.ts.
    for (const op of ops.filter((o) => !o.path.startsWith("/restic/"))) {
      const write = op.method !== "get";
      const attempts: [string, "none" | "admin" | "reader", string | undefined][] = [
        [fill(op.url, unknown), "none", write ? "{}" : undefined],
        [fill(op.url, unknown), "reader", write ? "{}" : undefined],
        [fill(op.url, unknown), "admin", write ? "{" : undefined],
        [fill(op.url, unknown), "admin", write ? '{"name": 5}' : undefined],
      ];
      // Real ids only for reads: a probe must not delete or pause what the next probe reads.
      if (!write)
        attempts.push([
          fill(op.url.replace("{id}", op.path.startsWith("/channels") ? channel.uuid : "{id}"), real),
          "admin",
          undefined,
        ]);
      for (const [url, auth, body] of attempts) {
        const response = await send(op, url, auth, body);
        probes++;
        if (!op.declared.includes(String(response.status))) {
          undeclared.push(
            `${op.method.toUpperCase()} ${op.path} (${auth}) answered ${response.status}, declares ${op.declared.join(",")}`,
          );
        }
      }
    }
    expect(undeclared).toEqual([]);
    expect(probes).toBeGreaterThan(200);
  });

  it("declares the statuses other tests see from specific routes", async () => {
    const { doc } = await operations();
    // [method, path, status, the test that sees it answered]
    const seen: [string, string, string, string][] = [
      ["get", "/backups/{id}/content", "206", "backups.test.ts: Range downloads"],
      ["get", "/backups/{id}/content", "416", "backups.test.ts: an unsatisfiable Range"],
      ["post", "/checks", "201", "checks-api.test.ts"],
      ["delete", "/checks/{id}", "409", "backups.test.ts: a check that still has backups"],
      ["post", "/api/v3/checks/", "201", "hc-api.test.ts: test_it_works"],
      ["post", "/api/v3/checks/", "409", "hc-api.test.ts: a given slug that is taken"],
      ["post", "/api/v3/checks/{uuid}/resume", "409", "hc-api.test.ts: test_it_handles_not_paused_checks"],
      ["post", "/api/v3/checks/{uuid}", "405", "hc-api.test.ts: test_it_rejects_post_unique_key"],
      ["get", "/api/push/{token}", "404", "kuma-push.test.ts: refusals"],
    ];
    for (const [method, path, status, where] of seen) {
      const responses = doc.paths[path]?.[method]?.responses ?? {};
      expect(Object.keys(responses), `${method} ${path} ${status} (${where})`).toContain(status);
    }
  });
});
