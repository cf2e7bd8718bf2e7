import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalRequest, sha256Hex, signRequest } from "../../../worker/domain/signing";
import { startLifeboat, type Lifeboat } from "../../helpers/e2e";
import { frozenWorkerConfig } from "../../helpers/frozen-worker";

/**
 * Reliability 5 (docs/RELIABILITY.md): 5,000 pings at 64 in flight against a real `wrangler dev`,
 * half of them healthchecks-style URL pings (GET and POST /ping/<uuid>, some with a body or a run
 * id), half signed agent pings (POST /v1/ping/<slug>), spread over 100 checks (50 each, under the
 * 100 pings a check keeps). None may be lost: every one answered 200, and per check the Worker's
 * n_pings counter, its ping log and what was sent agree exactly (by source, too).
 */

const PINGS = 5000;
const CONCURRENCY = 64;
const CHECKS = 100;

let lifeboat: Lifeboat;
let checks: { uuid: string; slug: string }[];
let key: { key_id: string; secret: string };

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-rel-flood-",
    config: (dir) => frozenWorkerConfig(join(dir, "worker")),
    tmpdirInside: true,
  });
  checks = [];
  for (let i = 0; i < CHECKS; i++) {
    const created = await lifeboat.api("POST", "/api/v1/checks", { name: `flood ${i}`, slug: `flood-${i}` });
    if (created.status !== 201) throw await lifeboat.serverError("create check", created);
    checks.push({ uuid: created.body.uuid, slug: created.body.slug });
  }
  const made = await lifeboat.api("POST", "/api/v1/keys", { host: "flood", checks: "*", scopes: ["ping"] });
  if (made.status !== 201) throw await lifeboat.serverError("create key", made);
  key = made.body;
});

afterAll(async () => {
  await lifeboat?.stop();
});

type Ping = { check: number; signed: boolean };

async function send(ping: Ping, n: number): Promise<{ status: number; text: string }> {
  const check = checks[ping.check]!;
  const url = lifeboat.dev.url;
  if (!ping.signed) {
    const rid = n % 5 === 0 ? `?rid=${randomUUID()}` : "";
    const post = n % 2 === 0;
    const response = await fetch(`${url}/ping/${check.uuid}${rid}`, {
      method: post ? "POST" : "GET",
      body: post ? `flood ping ${n}` : undefined,
    });
    return { status: response.status, text: await response.text() };
  }
  const path = `/v1/ping/${check.slug}`;
  const body = `signed flood ping ${n}`;
  const headers = {
    keyId: key.key_id,
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: randomBytes(16).toString("hex"),
    contentSha256: await sha256Hex(body),
    signature: "",
  };
  headers.signature = await signRequest(key.secret, canonicalRequest("POST", path, headers));
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    body,
    headers: {
      "X-Lifeboat-Key": headers.keyId,
      "X-Lifeboat-Timestamp": headers.timestamp,
      "X-Lifeboat-Nonce": headers.nonce,
      "X-Lifeboat-Content-SHA256": headers.contentSha256,
      "X-Lifeboat-Signature": headers.signature,
    },
  });
  return { status: response.status, text: await response.text() };
}

describe("a flood of pings", () => {
  it(`${PINGS} pings at ${CONCURRENCY} in flight: none lost`, async () => {
    // Every check gets PINGS / CHECKS pings, half URL and half signed, in a shuffled order.
    const pings: Ping[] = [];
    for (let i = 0; i < PINGS; i++) pings.push({ check: i % CHECKS, signed: Math.floor(i / CHECKS) % 2 === 1 });
    for (let i = pings.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [pings[i], pings[j]] = [pings[j]!, pings[i]!];
    }
    const failures: string[] = [];
    let next = 0;
    let ok = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < pings.length) {
          const n = next++;
          const ping = pings[n]!;
          try {
            const { status, text } = await send(ping, n);
            if (status === 200) ok++;
            else failures.push(`${ping.signed ? "signed" : "url"} ping ${n}: HTTP ${status} ${text.slice(0, 200)}`);
          } catch (error) {
            failures.push(`${ping.signed ? "signed" : "url"} ping ${n}: ${String(error)}`);
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    let counted = 0;
    let logged = 0;
    const mismatched: string[] = [];
    for (const [i, check] of checks.entries()) {
      const view = await lifeboat.api("GET", `/api/v1/checks/${check.uuid}`);
      const log = await lifeboat.api("GET", `/api/v1/checks/${check.uuid}/pings`);
      expect(view.status).toBe(200);
      expect(log.status).toBe(200);
      const sent = pings.filter((p) => p.check === i);
      const bySource = (source: string) => log.body.pings.filter((p: any) => p.source === source).length;
      counted += view.body.n_pings;
      logged += log.body.pings.length;
      const expected = {
        n: sent.length,
        url: sent.filter((p) => !p.signed).length,
        signed: sent.filter((p) => p.signed).length,
      };
      const got = { n: view.body.n_pings, url: bySource("url"), signed: bySource("signed") };
      if (JSON.stringify(got) !== JSON.stringify(expected) || log.body.pings.length !== sent.length)
        mismatched.push(
          `${check.slug}: sent ${JSON.stringify(expected)}, n_pings/log ${JSON.stringify(got)}, log ${log.body.pings.length}`,
        );
    }
    console.log(
      `ping flood: ${PINGS} sent (${PINGS / 2} URL, ${PINGS / 2} signed) at ${CONCURRENCY} in flight over ${CHECKS} checks ` +
        `in ${seconds.toFixed(1)} s (${Math.round(PINGS / seconds)}/s): ${ok} answered 200, ${failures.length} failed; ` +
        `n_pings total ${counted}, ping log total ${logged}, ${mismatched.length} checks disagreeing`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(mismatched.slice(0, 10)).toEqual([]);
    expect(counted).toBe(PINGS);
    expect(logged).toBe(PINGS);
  });
});
