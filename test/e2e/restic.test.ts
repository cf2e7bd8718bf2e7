import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLifeboat, type Lifeboat } from "../helpers/e2e";
import { frozenWorkerConfig } from "../helpers/frozen-worker";

/**
 * The real restic client (Debian's restic 0.14) against a real `wrangler dev`: init, backups,
 * snapshots, check --read-data, restore, forget and prune with a prune key, and every refusal the
 * way restic meets it. The repository URL holds the key's secret and the password is restic's own,
 * so both travel in the environment (RESTIC_REPOSITORY, RESTIC_PASSWORD), never in argv.
 */

const MiB = 1024 * 1024;
const PASSWORD = "correct horse battery staple";
const V2 = "application/vnd.x.restic.rest.v2";

let lifeboat: Lifeboat<true>;
type Key = { key_id: string; secret: string };
const keys: Record<string, Key> = {};
const running = new Set<ChildProcess>();

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-e2e-restic-",
    // A snapshot of the Worker: an edit under worker/ meanwhile would restart it mid-upload.
    config: (dir) => frozenWorkerConfig(join(dir, "worker")),
    withReceiver: true,
    tmpdirInside: true,
    vars: { ALLOW_INSECURE_CHANNELS: "true" }, // the receiver is plain http on loopback
  });
  const create = async (body: Record<string, unknown>) => {
    const check = await lifeboat.api("POST", "/api/v1/checks", { kind: "restic", period_s: 86_400, ...body });
    if (check.status !== 201) throw await lifeboat.serverError("create check", check);
  };
  await create({ name: "Files", slug: "files" }); // the default 7-day immutability window
  await create({ name: "Scratch", slug: "scratch", min_age_days: 0 }); // no window: prune frees at once
  await create({ name: "Other", slug: "other" });
  for (const [name, checks, scopes] of [
    ["appendOnly", ["files"], ["restic"]],
    ["prune", ["files"], ["restic", "prune"]],
    ["scratchPrune", ["scratch"], ["restic", "prune"]],
    ["other", ["other"], ["restic"]],
  ] as const) {
    const key = await lifeboat.api("POST", "/api/v1/keys", { host: `e2e-${name}`, checks, scopes });
    if (key.status !== 201) throw await lifeboat.serverError("create key", key);
    keys[name] = key.body;
  }
  makeTree(join(lifeboat.dir, "src"), 7);
}, 240_000);

afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  await lifeboat?.stop();
});

// ---------------------------------------------------------------------------------------------

/** A directory of incompressible files (1–4 MiB) and small text files, from a seeded generator. */
function makeTree(dir: string, seed: number) {
  mkdirSync(join(dir, "docs"), { recursive: true });
  let state = seed;
  const random = (n: number) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) {
      const block = createHash("sha256").update(String(state++)).digest();
      block.copy(out, i, 0, Math.min(32, n - i));
    }
    return out;
  };
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `blob-${i}.bin`), random((1 + (i % 4)) * MiB));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, "docs", `note-${i}.txt`), `note ${i}\n`.repeat(200 + i));
}

const repositoryOf = (key: Key, slug: string, secret = key.secret) =>
  `rest:${lifeboat.dev.url.replace("://", `://${key.key_id}:${secret}@`)}/restic/${slug}/`;

type Run = { code: number; stdout: string; stderr: string; ms: number };

/** restic with the repository and password in its environment; its cache inside the test's dir. */
function restic(args: string[], key: Key, slug: string, options: { secret?: string; timeoutMs?: number } = {}) {
  const env = {
    ...process.env,
    RESTIC_REPOSITORY: repositoryOf(key, slug, options.secret),
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: join(lifeboat.dir, "restic-cache"),
  };
  const child = spawn("restic", args, { cwd: lifeboat.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const started = Date.now();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 150_000);
  const done = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { child, done };
}

const run = (args: string[], key: Key, slug: string, options?: { secret?: string; timeoutMs?: number }) =>
  restic(args, key, slug, options).done;

async function ok(args: string[], key: Key, slug: string) {
  const result = await run(args, key, slug);
  expect(result.code, `restic ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

/** A raw request to the REST server, as curl would send it. */
async function rest(key: Key, method: string, path: string, body?: Buffer, accept = V2) {
  const response = await fetch(`${lifeboat.dev.url}/restic/${path}`, {
    method,
    body,
    headers: { Authorization: `Basic ${btoa(`${key.key_id}:${key.secret}`)}`, Accept: accept },
  });
  return { status: response.status, text: await response.text() };
}

const TYPES = ["data", "index", "keys", "locks", "snapshots"] as const;

/** Every file restic can see in a repository, by type: the v2 listing, sorted, as JSON. */
async function listing(key: Key, slug: string): Promise<Record<(typeof TYPES)[number], string>> {
  const all = { data: "", index: "", keys: "", locks: "", snapshots: "" };
  for (const type of TYPES) {
    const got = await rest(key, "GET", `${slug}/${type}/`);
    expect(got.status).toBe(200);
    const files = JSON.parse(got.text) as { name: string }[];
    all[type] = JSON.stringify(files.sort((a, b) => a.name.localeCompare(b.name)));
  }
  return all;
}

const repo = async (slug: string) => (await lifeboat.api("GET", `/api/v1/checks/${slug}/restic`)).body;

function treeHash(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        out.set(
          path,
          createHash("sha256")
            .update(readFileSync(join(dir, path)))
            .digest("hex"),
        );
    }
  };
  walk("");
  return out;
}

// ---------------------------------------------------------------------------------------------

describe("restic against Lifeboat", () => {
  let firstAdded = 0;

  it("init and a first backup of a directory; the snapshot is the check's success", async () => {
    const init = await ok(["init"], keys.appendOnly!, "files");
    expect(init.stdout).toContain("created restic repository");
    const backup = await ok(["backup", "src"], keys.appendOnly!, "files");
    expect(backup.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    const stats = await repo("files");
    expect(stats.snapshots).toBe(1);
    firstAdded = stats.latest_snapshots[0].added_bytes;
    expect(firstAdded).toBeGreaterThan(13 * MiB); // 13 MiB of incompressible files, packed and encrypted
    const check = await lifeboat.api("GET", "/api/v1/checks/files");
    expect(check.body.status).toBe("up");
  });

  it("a second backup after a small change sends only the change", async () => {
    const before = (await repo("files")).received_bytes;
    writeFileSync(join(lifeboat.dir, "src/docs/note-3.txt"), "changed\n".repeat(1000));
    writeFileSync(join(lifeboat.dir, "src/new.txt"), "a new file\n".repeat(5000));
    await ok(["backup", "src"], keys.appendOnly!, "files");
    const after = await repo("files");
    const sent = after.received_bytes - before;
    // ~63 kB of changed files (compressed by restic) plus trees, an index and the snapshot.
    expect(sent).toBeLessThan(200_000);
    expect(sent).toBeLessThan(firstAdded / 50);
    expect(after.latest_snapshots[0].added_bytes).toBe(sent);
    console.log(`restic second backup: ${sent} bytes received by the server (first: ${firstAdded})`);
  });

  it("snapshots, check --read-data and a byte-identical restore", async () => {
    const snapshots = JSON.parse((await ok(["snapshots", "--json"], keys.appendOnly!, "files")).stdout);
    expect(snapshots).toHaveLength(2);
    const check = await ok(["check", "--read-data"], keys.appendOnly!, "files");
    expect(check.stdout).toContain("no errors were found");
    await ok(["restore", "latest", "--target", "restored"], keys.appendOnly!, "files");
    expect(treeHash(join(lifeboat.dir, "restored/src"))).toEqual(treeHash(join(lifeboat.dir, "src")));
  });

  it("an append-only key cannot forget --prune: restic fails and nothing is deleted", async () => {
    const before = await listing(keys.appendOnly!, "files");
    const result = await run(["forget", "--keep-last", "1", "--prune"], keys.appendOnly!, "files");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("403 Forbidden");
    const after = await listing(keys.appendOnly!, "files");
    expect({ ...after, locks: "" }).toEqual({ ...before, locks: "" });
    expect(JSON.parse(after.snapshots)).toHaveLength(2);
  }, 180_000);

  it("a prune key cannot forget a snapshot inside the immutability window either", async () => {
    await ok(["unlock"], keys.prune!, "files"); // the failed forget's lock, if restic left one
    const before = await listing(keys.prune!, "files");
    const result = await run(["forget", "--keep-last", "1"], keys.prune!, "files");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("403 Forbidden");
    // The documented way: keep everything inside the window, forget the rest.
    const within = await ok(["forget", "--keep-within", "8d", "--prune"], keys.prune!, "files");
    expect(within.stdout).toContain("keep 2 snapshots");
    expect({ ...(await listing(keys.prune!, "files")), locks: "" }).toEqual({ ...before, locks: "" });
  }, 180_000);

  it("a prune key rewrites the index of a young repository: young index files are hidden, check is clean", async () => {
    const indexBefore = JSON.parse((await listing(keys.prune!, "files")).index) as { name: string }[];
    await ok(["rebuild-index"], keys.prune!, "files");
    const indexAfter = JSON.parse((await listing(keys.prune!, "files")).index) as { name: string }[];
    expect(indexAfter.length).toBeGreaterThan(0);
    expect(indexAfter.map((f) => f.name)).not.toEqual(indexBefore.map((f) => f.name));
    expect((await ok(["check", "--read-data"], keys.prune!, "files")).stdout).toContain("no errors were found");
  });

  it("kill -9 mid-backup, then another backup and a clean check", async () => {
    writeFileSync(join(lifeboat.dir, "src/large.bin"), randomBytes(48 * MiB)); // incompressible: ~3 packs
    const packsBefore = JSON.parse((await listing(keys.appendOnly!, "files")).data).length;
    const backup = restic(["backup", "src"], keys.appendOnly!, "files");
    // Killed once the server holds at least one of its new packs: mid-backup, not before or after.
    await lifeboat.eventually(
      "a first pack of the backup",
      async () => JSON.parse((await listing(keys.appendOnly!, "files")).data).length > packsBefore,
      60_000,
    );
    backup.child.kill("SIGKILL");
    const killed = await backup.done;
    expect(killed.code).toBe(128 + 9);
    expect(killed.stdout).not.toMatch(/snapshot [0-9a-f]{8} saved/);
    await ok(["unlock"], keys.appendOnly!, "files"); // the dead process's lock: locks may be deleted
    const again = await ok(["backup", "src"], keys.appendOnly!, "files");
    expect(again.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    const check = await ok(["check", "--read-data"], keys.appendOnly!, "files");
    expect(check.stdout).toContain("no errors were found");
  }, 180_000);

  it("a wrong password is 401 and another key's repository is refused", async () => {
    const wrong = await run(["snapshots"], keys.appendOnly!, "files", { secret: "0".repeat(64) });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("401 Unauthorized");
    const foreign = await run(["snapshots"], keys.other!, "files");
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/404|does not exist/);
    const foreignInit = await run(["init"], keys.other!, "files");
    expect(foreignInit.code).not.toBe(0);
    expect(foreignInit.stderr).toContain("404");
  });

  it("overwriting is refused and a tampered upload stores nothing", async () => {
    const before = await listing(keys.appendOnly!, "files");
    const stats = await repo("files");
    expect((await rest(keys.appendOnly!, "POST", "files/config", Buffer.from("new config"))).status).toBe(403);
    const [pack] = JSON.parse(before.data) as { name: string }[];
    expect((await rest(keys.appendOnly!, "POST", `files/data/${pack!.name}`, Buffer.from("x"))).status).toBe(403);
    const genuine = Buffer.from("the bytes the name was computed from");
    const name = createHash("sha256").update(genuine).digest("hex");
    const tampered = await rest(keys.appendOnly!, "POST", `files/data/${name}`, Buffer.from("other bytes in transit"));
    expect(tampered.status).toBe(400);
    expect(await listing(keys.appendOnly!, "files")).toEqual(before);
    expect(await repo("files")).toEqual(stats);
  });

  it("forget --prune with a prune key frees space once the window allows, and check stays clean", async () => {
    const scratch = keys.scratchPrune!;
    await ok(["init"], scratch, "scratch");
    await ok(["backup", "src"], scratch, "scratch");
    writeFileSync(join(lifeboat.dir, "src/large.bin"), "now small\n");
    await ok(["backup", "src"], scratch, "scratch");
    const before = await repo("scratch");
    const forget = await ok(["forget", "--keep-last", "1", "--prune"], scratch, "scratch");
    expect(forget.stdout).toContain("remove 1 snapshots");
    const after = await repo("scratch");
    expect(after.snapshots).toBe(1);
    expect(before.stored_bytes - after.stored_bytes).toBeGreaterThan(40 * MiB); // large.bin's packs
    expect((await ok(["check", "--read-data"], scratch, "scratch")).stdout).toContain("no errors were found");
    await ok(["restore", "latest", "--target", "restored-scratch"], scratch, "scratch");
    expect(treeHash(join(lifeboat.dir, "restored-scratch/src"))).toEqual(treeHash(join(lifeboat.dir, "src")));

    // The sweep deletes the freed objects from R2: the storage total falls by what prune freed.
    const metric = async () => {
      const text = (await lifeboat.api("GET", "/metrics")).body as string;
      return Number(/^lifeboat_storage_stored_bytes (\d+)/m.exec(text)![1]);
    };
    const storedBeforeSweep = await metric();
    await fetch(`${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${Date.now()}`);
    expect(storedBeforeSweep - (await metric())).toBeGreaterThan(40 * MiB);
  }, 180_000);
});

describe("the dead-man's switch through wrangler dev's cron", () => {
  it("a repository without a new snapshot goes down and alerts its channel", async () => {
    const check = await lifeboat.api("POST", "/api/v1/checks", {
      name: "Hourly files",
      slug: "hourly",
      kind: "restic",
      period_s: 3600,
      grace_s: 300,
    });
    expect(check.status).toBe(201);
    const channel = await lifeboat.api("POST", "/api/v1/channels", {
      kind: "webhook",
      url: `${lifeboat.receiver.url}/hook/restic-e2e`,
      filter: { tags: [], checks: ["hourly"] },
    });
    expect(channel.status).toBe(201);
    const key = await lifeboat.api("POST", "/api/v1/keys", { host: "hourly", checks: ["hourly"], scopes: ["restic"] });
    await ok(["init"], key.body, "hourly");
    await ok(["backup", "src/docs"], key.body, "hourly");
    const up = await lifeboat.api("GET", "/api/v1/checks/hourly");
    expect(up.body.status).toBe("up");
    const at = Date.parse(up.body.alert_after) + 1000;
    const sweep = await fetch(`${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${at}`);
    expect(sweep.status).toBe(200);
    const alert = await lifeboat.eventually("the down alert", async () => {
      const got = (await (await fetch(`${lifeboat.receiver.url}/_requests/restic-e2e`)).json()) as { body: string }[];
      return got.map((r) => JSON.parse(r.body)).find((b) => b.event === "check.down");
    });
    expect(alert).toMatchObject({ reason: "timeout", check: { name: "Hourly files" } });
  });
});
