import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpAgent, type AgentSetup } from "../helpers/agent-cli";
import { type Lifeboat } from "../helpers/e2e";
import { PGBIN, startLifeboatAndPostgres, type PgCluster } from "../helpers/postgres";

/**
 * The real agent (dash) with ENGINE=restic, Debian's restic 0.14 and a throwaway Postgres 15
 * cluster against a real `wrangler dev`: two backups of the same database, the second after a
 * small change, must send far fewer bytes (the repository's received_bytes, as the server counts
 * them); then `lifeboat drill` restores into a scratch database and checks the counts, and
 * `lifeboat restore --to FILE` gives back the dump that a fresh pg_dump makes.
 */

const SLUG = "shop-restic";
let lifeboat: Lifeboat;
let pg: PgCluster;
let agent: AgentSetup;

beforeAll(async () => {
  ({ lifeboat, pg } = await startLifeboatAndPostgres("lifeboat-e2e-restic-agent-"));
  agent = await setUpAgent(lifeboat, join(lifeboat.dir, "agent"), [`${SLUG}:restic`], ["ping", "read", "restic"]);
  const password = join(agent.configDir, "restic-password");
  writeFileSync(password, "a restic password that never leaves the host\n");
  chmodSync(password, 0o600);
  agent.job("shop", {
    SOURCE: "postgres",
    DATABASE: "shop",
    CHECK: SLUG,
    ENGINE: "restic",
    RESTIC_PASSWORD_FILE: password,
    ...pg.env,
  });
  await pg.psql("CREATE DATABASE shop");
  // About 35 MB of dump (hex digests, which restic's compression halves at most); the change
  // later is a few kB of it, but restic's chunks average 1 MiB, so it costs a few chunks.
  await pg.psql(
    `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, token text, note text);
     INSERT INTO customers SELECT g, 'c' || g || '@example.com', md5(g::text) || md5((g * 7)::text), 'note ' || g
       FROM generate_series(1, 300000) g;
     CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(10,2));
     INSERT INTO orders SELECT g, 1 + g % 300000, (g % 997) * 1.25 FROM generate_series(1, 60000) g;`,
    "shop",
  );
}, 240_000);

afterAll(async () => {
  await pg?.stop();
  await lifeboat?.stop();
});

const env = { LIFEBOAT_VERBOSE: "1", RESTIC_CACHE_DIR: "" };
const receivedBytes = async () =>
  Number((await lifeboat.api("GET", `/api/v1/checks/${SLUG}/restic`)).body.received_bytes);

function tool(file: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile(
      file,
      args,
      { env: { ...process.env, ...pg.env }, encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${file}: ${stderr.toString()}`)) : resolve(stdout)),
    ),
  );
}

describe("the agent's ENGINE=restic with a Postgres dump", () => {
  let firstBytes = 0;

  it("the first backup runs restic init and sends the whole dump; the snapshot brings the check up", async () => {
    env.RESTIC_CACHE_DIR = join(lifeboat.dir, "restic-cache");
    expect((await lifeboat.api("GET", `/api/v1/checks/${SLUG}`)).body.status).toBe("new");
    const before = await receivedBytes();
    const first = await agent.run(["backup", "shop"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/restic init/);
    firstBytes = (await receivedBytes()) - before;
    console.log(
      `first backup: ${firstBytes} bytes received by the server; agent: ${first.stderr.trim().split("\n").pop()}`,
    );
    expect(firstBytes).toBeGreaterThan(1_000_000);
    expect((await lifeboat.api("GET", `/api/v1/checks/${SLUG}`)).body.status).toBe("up");
  }, 180_000);

  it("the second backup after a small change sends far fewer bytes", async () => {
    await pg.psql(
      `INSERT INTO customers SELECT g, 'new' || g || '@example.com', md5(g::text), 'late' FROM generate_series(300001, 300050) g;
       UPDATE orders SET total = total + 1 WHERE id <= 20;`,
      "shop",
    );
    const before = await receivedBytes();
    const second = await agent.run(["backup", "shop"], env);
    expect(second.code, second.stderr).toBe(0);
    const secondBytes = (await receivedBytes()) - before;
    console.log(
      `second backup: ${secondBytes} bytes received (${((100 * secondBytes) / firstBytes).toFixed(1)} % of the first); agent: ${second.stderr.trim().split("\n").pop()}`,
    );
    expect(secondBytes).toBeLessThan(firstBytes / 5);
    const repo = (await lifeboat.api("GET", `/api/v1/checks/${SLUG}/restic`)).body;
    expect(repo.snapshots).toBe(2);
  }, 180_000);

  it("lifeboat drill restores the latest snapshot into a scratch database and the counts match", async () => {
    const drill = await agent.run(["drill", "shop"], env);
    expect(drill.code, drill.stderr).toBe(0);
    expect(drill.stdout.trim()).toMatch(/^\d+\.\d{3}$/);
    const pings = JSON.stringify((await lifeboat.api("GET", `/api/v1/checks/${SLUG}/pings`)).body);
    expect(pings).toContain("lifeboat drill shop: ok after");
    expect(pings).toContain('\\"tables\\":2,\\"rows\\":360050');
    expect((await pg.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'")).trim()).toBe("0");
  }, 180_000);

  it("lifeboat restore --to FILE gives back what a fresh pg_dump of the database holds", async () => {
    const file = join(lifeboat.dir, "restored.pgdump");
    const restore = await agent.run(["restore", "shop", "--to", file], env);
    expect(restore.code, restore.stderr).toBe(0);
    const restored = readFileSync(file);
    const fresh = await tool(join(PGBIN, "pg_dump"), ["-Fc", "-Z0", "--", "shop"]);
    // The custom format stamps the time of the dump into its header: everything else is identical.
    expect(restored.length).toBe(fresh.length);
    const differing: number[] = [];
    for (let i = 0; i < fresh.length; i++) if (restored[i] !== fresh[i]) differing.push(i);
    expect(Math.max(-1, ...differing)).toBeLessThan(64);
    // And what pg_restore makes of both is byte-identical (its \restrict key is random unless given).
    const sql = async (path: string) => tool(join(PGBIN, "pg_restore"), ["--restrict-key=e2e", "-f", "-", path]);
    writeFileSync(join(lifeboat.dir, "fresh.pgdump"), fresh);
    expect((await sql(file)).equals(await sql(join(lifeboat.dir, "fresh.pgdump")))).toBe(true);
  }, 180_000);
});
