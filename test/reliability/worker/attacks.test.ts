import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../../worker/errors";
import { BASE, call, createCheck, fetchWorker, READER } from "../../helpers/api";
import { createAgentKey, signedJson, signedRequest, type AgentKey, type SignOptions } from "../../helpers/agent";
import { bytesOf, manifestOf, putPart, split, uploadBackup } from "../../helpers/backups";
import { isErrorShape, r2Keys, rowsWritten, snapshotDb, total } from "../../helpers/db-state";

/**
 * Reliability 1 (docs/RELIABILITY.md): every hostile request against every signed and admin route
 * is refused with a 4xx JSON error that names what is wrong, and writes nothing: no D1 row inserted,
 * updated or deleted in any table, no R2 object added or removed. Hostile means: a body, signature
 * or path changed after signing, a timestamp 10 minutes off, a replayed nonce, a revoked or unknown
 * key, another host's check, and path tricks (.., %2e%2e, encoded slashes, overlong, unicode, NUL)
 * in every id of every route, signed with a key that may touch every check.
 */

const PART = 1024;
const now = () => Math.floor(Date.now() / 1000);

type Outcome = {
  what: string;
  status: number;
  body: string;
  rows: Record<string, number>;
  objects: number;
  /** Dot segments took the request off its route (`/v1/backups/../..` is `/`): any non-5xx answer that writes nothing. */
  escapedTo?: string;
};
const outcomes: Outcome[] = [];

/** Sends one hostile request and records what it answered and what it wrote. */
async function attack(what: string, send: () => Promise<Response>, escapedTo?: string) {
  const rowsBefore = await snapshotDb();
  const objectsBefore = await r2Keys();
  const response = await send();
  const body = new TextDecoder().decode(await response.arrayBuffer());
  const rowsAfter = await snapshotDb();
  const objectsAfter = await r2Keys();
  const objects =
    objectsAfter.filter((k) => !objectsBefore.includes(k)).length +
    objectsBefore.filter((k) => !objectsAfter.includes(k)).length;
  outcomes.push({ what, status: response.status, body, rows: rowsWritten(rowsBefore, rowsAfter), objects, escapedTo });
}

/** A refusal is a 4xx whose JSON body is { error: { code, message } } with the code's own status. */
function refusalProblem(o: Outcome): string | null {
  if (total(o.rows) > 0) return `wrote rows ${JSON.stringify(o.rows)}`;
  if (o.objects > 0) return `wrote ${o.objects} R2 object(s)`;
  if (o.status < 400 || o.status > 499) return `HTTP ${o.status}`;
  let parsed: any;
  try {
    parsed = JSON.parse(o.body);
  } catch {
    return "body is not JSON";
  }
  if (!isErrorShape(parsed)) return "body is not { error: { code, message } }";
  const code = parsed.error.code as keyof typeof ERROR_STATUS;
  if (ERROR_STATUS[code] !== o.status) return `code ${code} answered with HTTP ${o.status}`;
  return null;
}

/** Dot segments may carry a request off its route to a public one (`/v1/backups/../..` is `GET /`): fine if it wrote nothing. */
const escapedHarmlessly = (o: Outcome) =>
  o.escapedTo !== undefined && o.status < 500 && total(o.rows) === 0 && o.objects === 0;

// ------------------------------------------------------------------------------------- fixtures

let hostA: AgentKey; // may touch atk-a and atk-hb, every scope
let hostB: AgentKey; // another host: atk-b only
let revoked: AgentKey; // was hostA's twin, now revoked
let everything: AgentKey; // "*" and every scope: path tricks get as far as they can
let complete: string; // a complete backup of atk-a
let uploading: string; // an atk-a backup waiting for its parts
let uploadingChunks: Uint8Array[];

async function newUploading(seed: number) {
  const data = bytesOf(3 * PART - 100, seed);
  const s = await split(data, PART);
  const created = await signedJson(hostA, "POST", "/v1/backups", manifestOf("atk-a", data, s, PART));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id as string, chunks: s.chunks };
}

beforeAll(async () => {
  await createCheck({ name: "attack a", slug: "atk-a", kind: "backup", period_s: 86400 });
  await createCheck({ name: "attack b", slug: "atk-b", kind: "backup", period_s: 86400 });
  await createCheck({ name: "attack heartbeat", slug: "atk-hb", period_s: 3600 });
  const all = ["ping", "upload", "read"];
  hostA = await createAgentKey(["atk-a", "atk-hb"], all);
  hostB = await createAgentKey(["atk-b"], all);
  revoked = await createAgentKey(["atk-a", "atk-hb"], all);
  everything = await createAgentKey("*", all);
  expect((await call("DELETE", `/api/v1/keys/${revoked.key_id}`)).status).toBe(200);
  complete = (await uploadBackup(hostA, "atk-a", bytesOf(3 * PART, 7), PART)).id;
  ({ id: uploading, chunks: uploadingChunks } = await newUploading(8));
  await uploadBackup(hostB, "atk-b", bytesOf(2 * PART, 9), PART);
});

// --------------------------------------------------------------------------- the signed routes

type SignedRoute = {
  name: string;
  method: string;
  /** The route's path for a backup id (ignored by routes without one). */
  path: (backup: string) => string;
  body?: () => string | Uint8Array;
  headers?: () => Record<string, string>;
  /** A fresh target for a request that must succeed once before it is replayed (default: `uploading`). */
  fresh?: () => Promise<string>;
};

const manifestBody = async () => {
  const data = bytesOf(2 * PART, 11);
  return JSON.stringify(manifestOf("atk-a", data, await split(data, PART), PART));
};
let manifestJson: string;

const SIGNED: SignedRoute[] = [
  { name: "ping", method: "POST", path: () => "/v1/ping/atk-hb", body: () => "log line" },
  { name: "ping exit status", method: "POST", path: () => "/v1/ping/atk-hb/3", body: () => "" },
  { name: "create backup", method: "POST", path: () => "/v1/backups", body: () => manifestJson },
  { name: "backup status", method: "GET", path: (id) => `/v1/backups/${id}` },
  {
    name: "put part",
    method: "PUT",
    path: (id) => `/v1/backups/${id}/parts/0`,
    body: () => uploadingChunks[0]!,
    headers: () => ({ "Content-Length": String(PART) }),
    fresh: async () => {
      const fresh = await newUploading(100 + outcomes.length);
      uploadingChunks = fresh.chunks;
      return fresh.id;
    },
  },
  {
    name: "complete",
    method: "POST",
    path: (id) => `/v1/backups/${id}/complete`,
    fresh: async () => {
      const fresh = await newUploading(200 + outcomes.length);
      for (const [i, chunk] of fresh.chunks.entries())
        expect((await putPart(hostA, fresh.id, i, chunk)).status).toBe(201);
      return fresh.id;
    },
  },
  {
    name: "fail",
    method: "POST",
    path: (id) => `/v1/backups/${id}/fail`,
    body: () => JSON.stringify({ log: "pg_dump: out of memory" }),
    fresh: async () => (await newUploading(300 + outcomes.length)).id,
  },
  {
    name: "drill report",
    method: "POST",
    path: (id) => `/v1/backups/${id}/drills`,
    body: () => JSON.stringify({ ok: true, duration_s: 12 }),
    fresh: async () => complete,
  },
  { name: "list backups", method: "GET", path: () => "/v1/checks/atk-a/backups", fresh: async () => complete },
  { name: "download", method: "GET", path: (id) => `/v1/backups/${id}/content`, fresh: async () => complete },
];

const targetOf = (route: SignedRoute) =>
  route.name === "drill report" || route.name === "download" ? complete : uploading;

function send(key: AgentKey, route: SignedRoute, id: string, options: SignOptions = {}) {
  return signedRequest(key, route.path(id), {
    method: route.method,
    body: route.body?.(),
    headers: route.headers?.(),
    ...options,
  }).then(fetchWorker);
}

const flipHex = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);

describe("signed requests that were tampered with, are stale, replayed or not this key's", () => {
  beforeAll(async () => {
    manifestJson = await manifestBody();
  });

  it.each(SIGNED.map((r) => [r.name, r] as const))("%s", async (_, route) => {
    const id = targetOf(route);
    const original = route.body?.() ?? "";
    const tamperedBody =
      typeof original === "string" ? `${original} ` : Uint8Array.from(original, (b, i) => (i === 5 ? b ^ 1 : b));

    if (route.method === "GET") {
      // No body to change in transit: signed as if it had one, sent without.
      await attack(`${route.name}: tampered body`, () => send(hostA, { ...route, body: () => "x" }, id));
    } else {
      await attack(`${route.name}: tampered body`, () => send(hostA, route, id, { tamper: { body: tamperedBody } }));
    }
    await attack(`${route.name}: tampered signature`, async () => {
      const request = await signedRequest(hostA, route.path(id), {
        method: route.method,
        body: route.body?.(),
        headers: route.headers?.(),
      });
      const headers = new Headers(request.headers);
      headers.set("X-Lifeboat-Signature", flipHex(headers.get("X-Lifeboat-Signature")!));
      return fetchWorker(new Request(request, { headers }));
    });
    await attack(`${route.name}: tampered path`, () =>
      send(hostA, route, id, { tamper: { path: route.path(id).replace("atk-", "atk_") + "?x=1" } }),
    );
    await attack(`${route.name}: timestamp 10 min old`, () => send(hostA, route, id, { timestamp: now() - 600 }));
    await attack(`${route.name}: timestamp 10 min ahead`, () => send(hostA, route, id, { timestamp: now() + 600 }));
    await attack(`${route.name}: revoked key`, () => send(revoked, route, id));
    await attack(`${route.name}: unknown key`, () => send({ ...hostA, key_id: "lbk_0123456789abcdef0123" }, route, id));
    await attack(`${route.name}: wrong secret`, () => send({ ...hostA, secret: "ab".repeat(32) }, route, id));
    await attack(`${route.name}: another host's key`, () => send(hostB, route, id));
    await attack(`${route.name}: unsigned`, () =>
      fetchWorker(
        new Request(`${BASE}${route.path(id)}`, {
          method: route.method,
          body: route.method === "GET" ? undefined : route.body?.(),
        }),
      ),
    );

    // Replay: the first request is accepted (it may write), the identical copy must not be.
    const freshId = route.fresh ? await route.fresh() : id;
    const first = await signedRequest(hostA, route.path(freshId), {
      method: route.method,
      body: route.body?.(),
      headers: route.headers?.(),
    });
    const copy = first.clone();
    const accepted = await fetchWorker(first);
    expect(accepted.status, `${route.name}: the original request: ${await accepted.clone().text()}`).toBeLessThan(300);
    await accepted.arrayBuffer();
    await attack(`${route.name}: replayed nonce`, () => fetchWorker(copy));
  });
});

// ------------------------------------------------------------------------------- path tricks

/** Values put in place of an id; each is sent raw (the URL parser may normalise dots, as a real edge does). */
function tricks(real: string): string[] {
  const all = [
    "..",
    "../..",
    "%2e%2e",
    ".%2e",
    "%2E%2E%2F%2E%2E%2Fkeys",
    "..%2f..%2fkeys",
    "..%2F..%2F..%2Fapi%2Fv1%2Fkeys",
    "%252e%252e%252f",
    "a%2fb",
    "%2F",
    "..%5c..%5ckeys",
    "%c0%ae%c0%ae",
    "x".repeat(5000),
    `${real}${"0".repeat(300)}`,
    "%EF%BD%81%EF%BD%94%EF%BD%8B", // fullwidth "atk"
    encodeURIComponent("ünïcödé-✓-😀"),
    "%E2%80%AE" + real, // right-to-left override
    "%00",
    `${real}%00`,
    `${real}%00.json`,
    `${real}%0a`,
    `${real}%20`,
    real.toUpperCase(),
    `${real}%2f`,
    `${real};x=1`,
    "*",
    "%",
    "%zz",
  ];
  return all.filter((trick) => trick !== real);
}

/** Where a raw path lands when dot segments take it off its route's surface, else undefined. */
function escapeOf(raw: string, surface: string): string | undefined {
  const seen = new URL(`${BASE}${raw}`).pathname;
  return seen.startsWith(surface) ? undefined : seen;
}

/** Where each signed route has an id: the path with `$` in its place, and the real value there. */
const SIGNED_IDS: { method: string; path: string; real: () => string; body?: () => string; scope?: string }[] = [
  { method: "POST", path: "/v1/ping/$", real: () => "atk-hb" },
  { method: "POST", path: "/v1/ping/atk-hb/$", real: () => "log" },
  { method: "GET", path: "/v1/backups/$", real: () => uploading },
  { method: "PUT", path: "/v1/backups/$/parts/0", real: () => uploading },
  { method: "PUT", path: "/v1/backups/UP/parts/$", real: () => "0" },
  { method: "POST", path: "/v1/backups/$/complete", real: () => uploading },
  { method: "POST", path: "/v1/backups/$/fail", real: () => uploading, body: () => '{"log":"x"}' },
  { method: "POST", path: "/v1/backups/$/drills", real: () => complete, body: () => '{"ok":false,"duration_s":1}' },
  { method: "GET", path: "/v1/checks/$/backups", real: () => "atk-a" },
  { method: "GET", path: "/v1/backups/$/content", real: () => complete },
];

/** The path the Worker will see (after the URL parser's dot-segment rules), which is what gets signed. */
const seenPath = (raw: string) => {
  const url = new URL(`${BASE}${raw}`);
  return url.pathname + url.search;
};

describe("path tricks in every id", () => {
  it("of every signed route, signed with a key for every check", async () => {
    for (const route of SIGNED_IDS) {
      for (const trick of tricks(route.real())) {
        const raw = route.path.replace("UP", uploading).replace("$", trick);
        const body = route.method === "PUT" ? uploadingChunks[0]! : (route.body?.() ?? "");
        await attack(
          `${route.method} ${route.path} with ${trick.slice(0, 40)}`,
          async () =>
            fetchWorker(
              await signedRequest(everything, seenPath(raw), {
                method: route.method,
                body,
                headers: route.method === "PUT" ? { "Content-Length": String(body.length) } : {},
                tamper: { path: raw },
              }),
            ),
          escapeOf(raw, "/v1/"),
        );
      }
    }
  });

  it("of every admin route in the OpenAPI document, with the admin token", async () => {
    const doc = await (await fetchWorker(new Request(`${BASE}/api/openapi.json`))).json<any>();
    const ids: Record<string, string> = {
      check: "atk-a",
      backup: complete,
      key: hostA.key_id,
    };
    let routes = 0;
    for (const [path, item] of adminPaths(doc)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      if (params.length === 0) continue;
      const real = path.startsWith("/backups") ? ids.backup! : path.startsWith("/keys") ? ids.key! : ids.check!;
      for (const method of Object.keys(item).filter((m) => ["get", "post", "patch", "put", "delete"].includes(m))) {
        routes++;
        for (const trick of tricks(real)) {
          const raw = `/api/v1${path.replace(/\{\w+\}/g, trick)}`;
          const body = ["post", "patch", "put"].includes(method) ? { name: "pwned" } : undefined;
          await attack(
            `${method.toUpperCase()} /api/v1${path} with ${trick.slice(0, 40)}`,
            () => call(method.toUpperCase(), raw, { body }),
            escapeOf(raw, "/api/v1/"),
          );
        }
      }
    }
    expect(routes).toBeGreaterThanOrEqual(20);
  });

  it("admin routes without a token, with a wrong one, and writes with the read-only token", async () => {
    const doc = await (await fetchWorker(new Request(`${BASE}/api/openapi.json`))).json<any>();
    for (const [path, item] of adminPaths(doc)) {
      const concrete = `/api/v1${path.replace(/\{\w+\}/g, path.startsWith("/keys") ? hostA.key_id : path.startsWith("/backups") ? complete : "atk-a")}`;
      for (const method of Object.keys(item).filter((m) => ["get", "post", "patch", "put", "delete"].includes(m))) {
        const M = method.toUpperCase();
        const body = ["POST", "PATCH", "PUT"].includes(M) ? { name: "pwned" } : undefined;
        await attack(`${M} ${path} without a token`, () => call(M, concrete, { body, token: null }));
        await attack(`${M} ${path} with a wrong token`, () => call(M, concrete, { body, token: "test-admin-tokem" }));
        if (M !== "GET")
          await attack(`${M} ${path} with the read token`, () => call(M, concrete, { body, token: READER }));
      }
    }
  });
});

/**
 * The admin API's paths (under /api/v1). The document also describes the restic REST server at
 * /restic/ (its own server, HTTP Basic keys), whose refusals test/worker/restic-access.test.ts attacks.
 */
function adminPaths(doc: { paths: Record<string, any> }) {
  // The compat APIs (own server, own auth: hc-api.test.ts, kuma-push.test.ts) and the restic server
  // (Basic auth: restic-access.test.ts) are attacked in their own tests.
  return Object.entries<any>(doc.paths).filter(([path, item]) => !item.servers && !path.startsWith("/restic/"));
}

describe("an authenticated request refused later", () => {
  // The signature checks pass, then the route refuses: the nonce is released and the key's
  // last_used_at is left alone (it is written only after a success), so nothing changes.
  it("completing a backup with parts missing (409) leaves every table as it was", async () => {
    const fresh = await createAgentKey(["atk-a"], ["upload"]);
    const before = await snapshotDb();
    const response = await fetchWorker(await signedRequest(fresh, `/v1/backups/${uploading}/complete`));
    expect(response.status).toBe(409);
    expect(rowsWritten(before, await snapshotDb())).toEqual({});
  });
});

describe("the tally", () => {
  it("every attack was refused with a 4xx JSON error and wrote nothing", async () => {
    const refused = outcomes.filter((o) => refusalProblem(o) === null);
    const escaped = outcomes.filter((o) => refusalProblem(o) !== null && escapedHarmlessly(o));
    const rows = outcomes.reduce((sum, o) => sum + total(o.rows), 0);
    const objects = outcomes.reduce((sum, o) => sum + o.objects, 0);
    console.log(
      `attacks: ${outcomes.length} sent, ${refused.length} rejected 4xx, ` +
        `${escaped.length} carried by dot segments to a public route (${escaped.map((o) => `${o.escapedTo} → ${o.status}`).join(", ") || "none"}), ` +
        `${rows} rows written, ${objects} objects written`,
    );
    const problems = outcomes
      .map((o) => ({ o, problem: refusalProblem(o) }))
      .filter((p) => p.problem !== null && !escapedHarmlessly(p.o))
      .map(({ o, problem }) => `${o.what}: ${problem} — ${o.status} ${o.body.slice(0, 200)}`);
    expect(problems).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(1000);
    // Every kind of refusal the security model names was seen at least once.
    expect(refused.length + escaped.length).toBe(outcomes.length);
    expect(escaped.length).toBeLessThanOrEqual(2);
    const codes = new Set(refused.map((o) => JSON.parse(o.body).error.code));
    for (const code of [
      "bad_signature",
      "clock_skew",
      "replayed_nonce",
      "revoked_key",
      "unknown_key",
      "forbidden",
      "not_found",
      "unauthorized",
    ])
      expect(codes).toContain(code);
  });
});
