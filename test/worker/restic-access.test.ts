import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { BASE, call, createCheck, fetchWorker } from "../helpers/api";
import { createAgentKey, type AgentKey } from "../helpers/agent";
import { rowsWritten, snapshotDb } from "../helpers/db-state";
import { basic, fileOf, restic, resticObjects, upload } from "../helpers/restic";

// Who may do what to a restic repository, and that every refusal writes nothing, in D1 or R2.

const DAY = 86_400_000;
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

let appendOnly: AgentKey; // restic, for "vault"
let pruner: AgentKey; // restic + prune, for "vault"
let other: AgentKey; // restic, for "elsewhere" only
let pinger: AgentKey; // ping only, for "vault"

beforeAll(async () => {
  await createCheck({ name: "Vault", slug: "vault", kind: "restic" });
  await createCheck({ name: "Elsewhere", slug: "elsewhere", kind: "restic" });
  await createCheck({ name: "A heartbeat", slug: "beat" });
  appendOnly = await createAgentKey(["vault"], ["restic"]);
  pruner = await createAgentKey(["vault"], ["restic", "prune"]);
  other = await createAgentKey(["elsewhere", "beat"], ["restic"]);
  pinger = await createAgentKey(["vault"], ["ping"]);
});

/** Runs `request` and asserts it changed no row of any table and no R2 object. */
async function writesNothing<T>(request: () => Promise<T>): Promise<T> {
  const [db, objects] = [await snapshotDb(), await env.BUCKET.list({ limit: 1000 })];
  const result = await request();
  expect(rowsWritten(db, await snapshotDb())).toEqual({});
  expect((await env.BUCKET.list({ limit: 1000 })).objects.map((o) => o.key)).toEqual(objects.objects.map((o) => o.key));
  return result;
}

const errorOf = (response: { text: string }) => JSON.parse(response.text).error;

describe("authentication", () => {
  it("without credentials, with malformed ones or a wrong secret: 401 with a Basic challenge", async () => {
    const name = (await fileOf("x")).name;
    const cases = [
      { secret: null },
      { secret: "not-hex" },
      { secret: "0".repeat(64) },
      { secret: appendOnly.secret.slice(0, 63) + (appendOnly.secret.endsWith("0") ? "1" : "0") },
    ];
    for (const init of cases) {
      const response = await writesNothing(() =>
        restic(appendOnly, "POST", `vault/data/${name}`, { ...init, body: "x" }),
      );
      expect(response.status, JSON.stringify(init)).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="lifeboat restic"/);
    }
  });

  it("an unknown key id and a wrong secret get the same answer", async () => {
    const stranger = { key_id: "lbk_00000000000000000000", secret: appendOnly.secret };
    const unknown = await restic(stranger, "GET", "vault/config");
    const wrong = await restic(appendOnly, "GET", "vault/config", { secret: "f".repeat(64) });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.text).toBe(wrong.text);
  });

  it("a revoked key is refused", async () => {
    const revoked = await createAgentKey(["vault"], ["restic"]);
    expect((await call("DELETE", `/api/v1/keys/${revoked.key_id}`)).status).toBe(200);
    const response = await writesNothing(() => restic(revoked, "POST", "vault/?create=true"));
    expect(response.status).toBe(401);
    expect(errorOf(response).code).toBe("revoked_key");
  });

  it("a key without the restic scope is refused (403)", async () => {
    const response = await writesNothing(() => restic(pinger, "GET", "vault/snapshots/"));
    expect(response.status).toBe(403);
  });

  it("another key's repository answers exactly like one that does not exist (404)", async () => {
    const foreign = await writesNothing(() => restic(other, "GET", "vault/snapshots/"));
    const missing = await restic(other, "GET", "nowhere/snapshots/");
    const notRestic = await restic(other, "GET", "beat/snapshots/");
    expect([foreign.status, missing.status, notRestic.status]).toEqual([404, 404, 404]);
    expect(foreign.text).toBe(missing.text);
    expect(notRestic.text).toBe(missing.text);
    const file = await fileOf("into someone else's repository");
    await writesNothing(async () =>
      expect((await restic(other, "POST", `vault/data/${file.name}`, { body: file.bytes })).status).toBe(404),
    );
  });

  it("plain http is refused unless it comes to this machine", async () => {
    const response = await fetchWorker(
      new Request("http://lifeboat.test/restic/vault/config", { headers: { Authorization: basic(appendOnly) } }),
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as any).error.message).toContain("https");
    expect(BASE.startsWith("https:")).toBe(true);
  });
});

describe("append-only keys", () => {
  it("add files but cannot delete or overwrite any, except locks", async () => {
    const names: Record<string, string> = {};
    for (const type of ["data", "keys", "snapshots", "index", "locks"])
      names[type] = await upload(appendOnly, "vault", type, `${type} of vault`);
    for (const type of ["data", "keys", "snapshots", "index"]) {
      const response = await writesNothing(() => restic(appendOnly, "DELETE", `vault/${type}/${names[type]}`));
      expect(response.status, type).toBe(403);
      expect(errorOf(response).details).toEqual({ reason: "append_only" });
      const again = await writesNothing(() =>
        restic(appendOnly, "POST", `vault/${type}/${names[type]}`, { body: `${type} of vault` }),
      );
      expect(again.status, type).toBe(403);
    }
    expect((await restic(appendOnly, "DELETE", `vault/locks/${names.locks}`)).status).toBe(200);
    expect(JSON.parse((await restic(appendOnly, "GET", "vault/locks/")).text)).not.toContain(names.locks);
    // Deleting a lock that is gone succeeds again (restic retries deletes); other types stay refused.
    expect((await restic(appendOnly, "DELETE", `vault/locks/${names.locks}`)).status).toBe(200);
    expect((await restic(appendOnly, "DELETE", `vault/data/${"e".repeat(64)}`)).status).toBe(403);
  });

  it("a tampered upload (the content is not its name's sha256) is 400 and stores nothing", async () => {
    const genuine = await fileOf("the pack restic meant to send");
    const response = await writesNothing(() =>
      restic(appendOnly, "POST", `vault/data/${genuine.name}`, { body: "a pack with other bytes in it" }),
    );
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toContain("nothing was stored");
    expect((await restic(appendOnly, "HEAD", `vault/data/${genuine.name}`)).status).toBe(404);
  });
});

describe("prune keys and immutability", () => {
  it("a file inside its window is refused with the date; past it, deleted and purged by the sweep", async () => {
    const name = await upload(pruner, "vault", "data", "an old pack");
    const young = await writesNothing(() => restic(pruner, "DELETE", `vault/data/${name}`));
    expect(young.status).toBe(403);
    const until = await env.DB.prepare("SELECT immutable_until AS t, received_at AS r FROM restic_files WHERE name = ?")
      .bind(name)
      .first<{ t: number; r: number }>();
    expect(until!.t - until!.r).toBe(7 * DAY); // the check's min_age_days, 7 by default
    expect(errorOf(young).message).toContain(new Date(until!.t).toISOString());
    expect(errorOf(young).details).toEqual({ reason: "immutable" });

    // The window passes (the file's clock moves back instead of the server's).
    await env.DB.prepare("UPDATE restic_files SET immutable_until = ? WHERE name = ?")
      .bind(Date.now() - 1, name)
      .run();
    const [object] = (await resticObjects()).filter((k) => k.includes(name));
    await sweepAt(Date.now()); // purges what earlier tests deleted, so only this file moves the total
    const storedBefore = await storedBytes();
    expect((await restic(pruner, "DELETE", `vault/data/${name}`)).status).toBe(200);
    expect((await restic(pruner, "HEAD", `vault/data/${name}`)).status).toBe(404);
    expect(JSON.parse((await restic(pruner, "GET", "vault/data/")).text)).not.toContain(name);
    expect(await repoBytes("vault")).toBe(storedBefore.repo - "an old pack".length);
    expect(await env.BUCKET.head(object!)).not.toBeNull(); // the purge queue deletes it
    await sweepAt(Date.now() + 1000);
    expect(await env.BUCKET.head(object!)).toBeNull();
    expect((await storedBytes()).total).toBe(storedBefore.total - "an old pack".length);
  });

  it("snapshots and keys keep their window against a prune key too", async () => {
    for (const type of ["snapshots", "keys"]) {
      const name = await upload(pruner, "vault", type, `young ${type}`);
      const response = await writesNothing(() => restic(pruner, "DELETE", `vault/${type}/${name}`));
      expect(response.status).toBe(403);
    }
  });

  it("a young index is hidden from restic at once, its bytes kept in R2 until its window ends", async () => {
    const name = await upload(pruner, "vault", "index", "an index prune replaces");
    const [object] = (await resticObjects()).filter((k) => k.includes(name));
    expect((await restic(pruner, "DELETE", `vault/index/${name}`)).status).toBe(200);
    expect((await restic(pruner, "GET", `vault/index/${name}`)).status).toBe(404);
    expect(JSON.parse((await restic(pruner, "GET", "vault/index/")).text)).not.toContain(name);
    await sweepAt(Date.now() + 6 * DAY);
    expect(await env.BUCKET.head(object!)).not.toBeNull();
    await sweepAt(Date.now() + 7 * DAY + 60_000);
    expect(await env.BUCKET.head(object!)).toBeNull();
  });
});

describe("quotas", () => {
  it("an upload past the repository's quota is 507 and stores nothing; racing uploads cannot both pass", async () => {
    const check = await createCheck({ name: "Small", slug: "small", kind: "restic", quota_bytes: 1000 });
    expect(check.quota_bytes).toBe(1000);
    const key = await createAgentKey(["small"], ["restic"]);
    await upload(key, "small", "data", "x".repeat(600));
    const over = await fileOf("y".repeat(500));
    const refused = await writesNothing(() => restic(key, "POST", `small/data/${over.name}`, { body: over.bytes }));
    expect(refused.status).toBe(507);
    expect(errorOf(refused).message).toMatch(/quota is 1 kB and it holds 600 B/);
    // A lock still goes in: without one, restic could not run the forget --prune that frees space.
    await upload(key, "small", "locks", "l".repeat(500));

    // Two uploads that each fit alone, released together: exactly one is stored.
    await call("PATCH", "/api/v1/checks/small", { body: { quota_bytes: 2000 } });
    const [a, b] = [await fileOf("a".repeat(600)), await fileOf("b".repeat(600))];
    const results = await Promise.all([
      restic(key, "POST", `small/data/${a.name}`, { body: a.bytes }),
      restic(key, "POST", `small/data/${b.name}`, { body: b.bytes }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 507]);
    expect(await repoBytes("small")).toBe(1700);
    expect((await resticObjects()).filter((k) => k.includes(a.name) || k.includes(b.name))).toHaveLength(1);
    const queue = await env.DB.prepare("SELECT count(*) AS n FROM purge_queue WHERE size = 0").first<{ n: number }>();
    expect(queue!.n).toBe(0); // no upload journal left behind
  });

  it("the same file uploaded twice at once is stored once; the other is told it exists", async () => {
    const file = await fileOf("sent twice by a retry");
    const results = await Promise.all(
      [1, 2, 3].map(() => restic(appendOnly, "POST", `vault/data/${file.name}`, { body: file.bytes })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403]);
    expect((await resticObjects()).filter((k) => k.includes(file.name))).toHaveLength(1);
  });
});

describe("deleting a restic check", () => {
  it("is refused while a file is inside its window, then hands every file to the purge queue", async () => {
    const check = await createCheck({ name: "Gone", slug: "gone", kind: "restic" });
    const key = await createAgentKey(["gone"], ["restic"]);
    const name = await upload(key, "gone", "data", "a pack of a repository about to go");
    const refused = await call("DELETE", `/api/v1/checks/${check.uuid}`);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("immutability window");
    await env.DB.prepare("UPDATE restic_files SET immutable_until = 0 WHERE name = ?").bind(name).run();
    expect((await call("DELETE", `/api/v1/checks/${check.uuid}`)).status).toBe(200);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM restic_files WHERE name = ?")
      .bind(name)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
    await sweepAt(Date.now() + 1000);
    expect((await resticObjects()).filter((k) => k.includes(name))).toEqual([]);
  });
});

async function repoBytes(slug: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT r.stored_bytes AS n FROM restic_repos r JOIN checks c ON c.id = r.check_id WHERE c.slug = ?",
  )
    .bind(slug)
    .first<{ n: number }>();
  return row!.n;
}

async function storedBytes() {
  const total = await env.DB.prepare(
    "SELECT CAST(value AS INTEGER) AS n FROM settings WHERE key = 'stored_bytes'",
  ).first<{ n: number }>();
  return { total: total!.n, repo: await repoBytes("vault") };
}
