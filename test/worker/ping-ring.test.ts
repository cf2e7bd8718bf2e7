import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { BASE, call, createCheck, fetchWorker, json } from "../helpers/api";
import { createAgentKey, sendSigned, signedRequest } from "../helpers/agent";
import { countingD1, rowTotals, type D1Call } from "../helpers/counting-d1";
import { runSweep } from "../../worker/services/sweep";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";

// Issue 18: the ping log is a ring of 100 slots per check, written in place; nonces are bucketed.
// These tests attack what the redesign must not lose: pings under concurrency, the order and
// numbering of the log, replays, and the rows-written budget itself.

const ping = (uuid: string, suffix = "", init: RequestInit = {}) =>
  fetchWorker(new Request(`${BASE}/ping/${uuid}${suffix}`, init));

async function ringOf(checkId: number) {
  const { results } = await env.DB.prepare("SELECT n, slot FROM pings WHERE check_id = ? ORDER BY n")
    .bind(checkId)
    .all<{
      n: number;
      slot: number;
    }>();
  return results;
}

async function checkRow(slug: string) {
  return (await env.DB.prepare("SELECT id, n_pings FROM checks WHERE slug = ?").bind(slug).first<{
    id: number;
    n_pings: number;
  }>())!;
}

/** The Worker's fetch with every D1 call it makes (its waitUntil work included) recorded in `calls`. */
async function countedFetch(calls: D1Call[], request: Request) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, DB: countingD1(env.DB, calls) }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("the ping ring", () => {
  it("keeps the last 100 pings of a check, numbered 1, 2, … per check, newest first", async () => {
    const check = await createCheck({ name: "ring order", slug: "ring-order", period_s: 60, grace_s: 60 });
    for (let i = 1; i <= 250; i++)
      expect((await ping(check.uuid, "", { method: "POST", body: `run ${i}` })).status).toBe(200);
    const row = await checkRow("ring-order");
    expect(row.n_pings).toBe(250);
    const ring = await ringOf(row.id);
    expect(ring.map((p) => p.n)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));
    for (const p of ring) expect(p.slot).toBe(p.n % 100);
    const listed = (await json(call("GET", "/api/v1/checks/ring-order/pings"))).pings;
    expect(listed.map((p: any) => p.n)).toEqual(ring.map((p) => p.n).reverse());
    expect(listed[0].body).toBe("run 250");
    expect(listed[99].body).toBe("run 151");
  });

  it("loses no ping when 300 are released together, across two checks", async () => {
    const a = await createCheck({ name: "ring a", slug: "ring-a", period_s: 60, grace_s: 60 });
    const b = await createCheck({ name: "ring b", slug: "ring-b", period_s: 60, grace_s: 60 });
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ping(i % 3 === 0 ? b.uuid : a.uuid, i % 7 === 0 ? "/start" : "")),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    for (const [slug, sent] of [
      ["ring-a", 200],
      ["ring-b", 100],
    ] as const) {
      const row = await checkRow(slug);
      expect(row.n_pings).toBe(sent);
      const ring = await ringOf(row.id);
      // The last 100 numbers, each once: nothing overwritten out of turn, nothing lost.
      expect(ring.map((p) => p.n)).toEqual(Array.from({ length: 100 }, (_, i) => sent - 99 + i));
    }
  });

  it("holds its invariants over random interleavings of concurrent pings (property)", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.constantFrom("", "/start", "/fail", "/log", "/0", "/1"), { minLength: 1, maxLength: 12 }),
          {
            minLength: 1,
            maxLength: 15,
          },
        ),
        async (waves) => {
          const slug = `ring-prop-${round++}`;
          const check = await createCheck({ name: slug, slug, period_s: 60, grace_s: 60 });
          let sent = 0;
          for (const wave of waves) {
            await Promise.all(wave.map((suffix) => ping(check.uuid, suffix)));
            sent += wave.length;
          }
          const row = await checkRow(slug);
          const ring = await ringOf(row.id);
          const kept = Math.min(sent, 100);
          return (
            row.n_pings === sent &&
            ring.length === kept &&
            ring.every((p, i) => p.n === sent - kept + 1 + i && p.slot === p.n % 100)
          );
        },
      ),
      { numRuns: 12 },
    );
  });

  it("writes at most 3 rows per unsigned success ping and 5 per signed one, nonce expiry included (issue 18)", async () => {
    const plain = await createCheck({ name: "rows plain", slug: "rows-plain", period_s: 60, grace_s: 60 });
    await createCheck({ name: "rows signed", slug: "rows-signed", period_s: 60, grace_s: 60 });
    await ping(plain.uuid); // up: the flip is not a steady ping's cost
    const unsigned: D1Call[] = [];
    for (let i = 0; i < 300; i++) await countedFetch(unsigned, new Request(`${BASE}/ping/${plain.uuid}`));
    expect(rowTotals(unsigned).rows_written / 300).toBeLessThanOrEqual(3);

    const key = await createAgentKey(["rows-signed"], ["ping"]);
    await sendSigned(key, "/v1/ping/rows-signed", { method: "POST", body: "" });
    const signed: D1Call[] = [];
    for (let i = 0; i < 300; i++) {
      const request = await signedRequest(key, "/v1/ping/rows-signed", { method: "POST", body: "" });
      expect((await countedFetch(signed, request)).status).toBe(200);
    }
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM nonces").first<{ n: number }>())!.n;
    const pruned = await env.DB.prepare("DELETE FROM nonces WHERE bucket < ?")
      .bind(Math.floor(Date.now() / 1000 / 600) + 10)
      .run();
    expect(pruned.meta.rows_written).toBe(before); // one row per nonce, nothing else
    expect((rowTotals(signed).rows_written + 300) / 300).toBeLessThanOrEqual(5);
  });
});

describe("healthchecks' run ids (issue 16.1)", () => {
  async function lastPings(slug: string, count: number) {
    return (await json(call("GET", `/api/v1/checks/${slug}/pings`))).pings.slice(0, count).reverse();
  }
  const R1 = "11111111-1111-4111-8111-111111111111";
  const R2 = "22222222-2222-4222-8222-222222222222";

  it("a success with another rid leaves the open run open; its own finish measures it", async () => {
    const check = await createCheck({ name: "rid a", slug: "rid-a", period_s: 3600, grace_s: 3600 });
    await ping(check.uuid, `/start?rid=${R1}`);
    await ping(check.uuid, `?rid=${R2}`);
    expect((await json(call("GET", "/api/v1/checks/rid-a"))).status).toBe("started");
    await ping(check.uuid, `?rid=${R1}`);
    const [, other, own] = await lastPings("rid-a", 3);
    expect(other.duration_s).toBeNull();
    expect(own.duration_s).not.toBeNull();
    expect((await json(call("GET", "/api/v1/checks/rid-a"))).last_duration_s).not.toBeNull();
  });

  it("overlapping runs each get their own duration", async () => {
    const check = await createCheck({ name: "rid b", slug: "rid-b", period_s: 3600, grace_s: 3600 });
    await ping(check.uuid, `/start?rid=${R1}`);
    await ping(check.uuid, `/start?rid=${R2}`);
    await ping(check.uuid, `?rid=${R1}`);
    await ping(check.uuid, `?rid=${R2}`);
    const [, , first, second] = await lastPings("rid-b", 4);
    expect(first.rid).toBe(R1);
    expect(first.duration_s).not.toBeNull();
    expect(second.duration_s).not.toBeNull();
  });

  it("a success without a rid after a start with one measures nothing and ends the run", async () => {
    const check = await createCheck({ name: "rid c", slug: "rid-c", period_s: 3600, grace_s: 3600 });
    await ping(check.uuid, `/start?rid=${R1}`);
    await ping(check.uuid);
    const [last] = await lastPings("rid-c", 1);
    expect(last.duration_s).toBeNull();
    expect((await json(call("GET", "/api/v1/checks/rid-c"))).status).toBe("up");
  });
});

describe("bodies that are not UTF-8 (issue 16.4)", () => {
  it("are kept byte for byte: healthchecks' body endpoint returns the bytes sent, pages show U+FFFD", async () => {
    const check = await createCheck({ name: "raw body", slug: "raw-body", period_s: 3600, grace_s: 3600 });
    const bytes = new Uint8Array([0x6f, 0x6b, 0x20, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x3c, 0x62, 0x3e]);
    expect((await ping(check.uuid, "/log", { method: "POST", body: bytes })).status).toBe(200);
    const [listed] = (await json(call("GET", "/api/v1/checks/raw-body/pings"))).pings;
    expect(listed.body).toContain("\uFFFD");
    const n = listed.n;
    const body = await fetchWorker(
      new Request(`${BASE}/api/v3/checks/${check.uuid}/pings/${n}/body`, {
        headers: { "X-Api-Key": "test-admin-token" },
      }),
    );
    expect(body.status).toBe(200);
    expect(new Uint8Array(await body.arrayBuffer())).toEqual(bytes);
    // A valid UTF-8 body is stored as text only.
    await ping(check.uuid, "/log", { method: "POST", body: "plain é" });
    const stored = await env.DB.prepare(
      "SELECT body_base64 FROM pings WHERE check_id = (SELECT id FROM checks WHERE slug = 'raw-body') ORDER BY n DESC LIMIT 1",
    ).first<{ body_base64: string | null }>();
    expect(stored!.body_base64).toBeNull();
  });
});

describe("bucketed nonces", () => {
  it("refuses a replay until the window has passed, and the sweep prunes the bucket only after", async () => {
    await createCheck({ name: "nonce", slug: "nonce-check", period_s: 3600, grace_s: 3600 });
    const key = await createAgentKey(["nonce-check"], ["ping"]);
    const first = await signedRequest(key, "/v1/ping/nonce-check", { method: "POST", body: "" });
    const replay = first.clone();
    expect((await fetchWorker(first)).status).toBe(200);
    await runSweep(sweepContext(env, BASE, Date.now() + 4 * 60_000));
    const refused = await fetchWorker(replay);
    expect(refused.status).toBe(401);
    expect((await refused.json<any>()).error.code).toBe("replayed_nonce");
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM nonces WHERE key_id = ?")
        .bind(key.key_id)
        .first<{ n: number }>())!.n;
    expect(await count()).toBe(1);
    await runSweep(sweepContext(env, BASE, Date.now() + 16 * 60_000));
    expect(await count()).toBe(0);
  });
});
