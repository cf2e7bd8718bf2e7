import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpAgent, type AgentSetup } from "../../helpers/agent-cli";
import { type Lifeboat } from "../../helpers/e2e";
import { startLifeboatAndPostgres, type PgCluster } from "../../helpers/postgres";

/**
 * Reliability 6 (docs/RELIABILITY.md), the drill from the story: a real Postgres 15 cluster with a
 * small shop in it (five tables, foreign keys, a sequence, JSON, bytea, NULLs, text with quotes and
 * newlines; tens of thousands of rows), `lifeboat backup` to a real `wrangler dev`, DROP DATABASE,
 * `lifeboat restore --into-db`. Every row must be back: per table, the row count and the md5 of all
 * rows in primary-key order must equal what they were before the drop.
 */

const SHOP = `
  CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text, created_at timestamptz NOT NULL);
  CREATE TABLE products (id int PRIMARY KEY, title text NOT NULL, price numeric(10,2), attrs jsonb, photo bytea);
  CREATE TABLE orders (id bigint PRIMARY KEY, user_id int NOT NULL REFERENCES users(id), placed_at timestamptz, note text);
  CREATE TABLE order_lines (order_id bigint REFERENCES orders(id), line int, product_id int REFERENCES products(id),
    qty int CHECK (qty > 0), PRIMARY KEY (order_id, line));
  CREATE TABLE audit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), payload text);
  INSERT INTO users (email, name, created_at)
    SELECT 'user' || g || '@example.com', CASE WHEN g % 10 = 0 THEN NULL ELSE 'Name ''' || g || E'''\\n"quoted"' END,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes' FROM generate_series(1, 8000) g;
  INSERT INTO products SELECT g, 'Product ' || g || ' — ünïcödé', (g * 3.17)::numeric(10,2),
      jsonb_build_object('colour', g % 7, 'tags', jsonb_build_array('a', g)), decode(md5(g::text), 'hex')
    FROM generate_series(1, 500) g;
  INSERT INTO orders SELECT g, 1 + g % 8000, timestamptz '2025-06-01 00:00:00+00' + g * interval '5 minutes',
      repeat('x', g % 50) FROM generate_series(1, 12000) g;
  INSERT INTO order_lines SELECT o, l, 1 + (o * l) % 500, 1 + (o + l) % 9 FROM generate_series(1, 12000) o, generate_series(1, 2) l;
  INSERT INTO audit (payload) SELECT 'event ' || g FROM generate_series(1, 3000) g;
`;
const TABLES: Record<string, string> = {
  users: "id",
  products: "id",
  orders: "id",
  order_lines: "order_id, line",
  audit: "id",
};

let lifeboat: Lifeboat;
let pg: PgCluster;
let agent: AgentSetup;

beforeAll(async () => {
  ({ lifeboat, pg } = await startLifeboatAndPostgres("lifeboat-rel-drill-"));
  agent = await setUpAgent(lifeboat, join(lifeboat.dir, "agent"), ["shop-db:backup"]);
  agent.job("shop", { SOURCE: "postgres", DATABASE: "shop", CHECK: "shop-db" });
});

afterAll(async () => {
  await pg?.stop();
  await lifeboat?.stop();
});

/** Per table: "rows md5" of every row as text, in primary-key order. */
async function fingerprint(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, key] of Object.entries(TABLES)) {
    out[table] = (
      await pg.psql(
        `SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY ${key})), '') FROM ${table} t`,
        "shop",
      )
    ).trim();
  }
  return out;
}

describe("the drill from the story: backup, DROP DATABASE, restore", () => {
  it("brings back 100 % of the rows, every table's checksum equal", async () => {
    await pg.psql("CREATE DATABASE shop");
    await pg.psql(SHOP, "shop");
    const before = await fingerprint();
    const rows = Object.values(before).reduce((sum, f) => sum + Number(f.split(" ")[0]), 0);
    expect(rows).toBe(8000 + 500 + 12000 + 24000 + 3000);

    const started = Date.now();
    const backup = await agent.run(["backup", "shop"], pg.env);
    expect(backup, backup.stderr).toMatchObject({ code: 0 });
    const backedUp = Date.now();
    const listed = await lifeboat.api("GET", "/api/v1/backups?check=shop-db");
    expect(listed.status).toBe(200);
    expect(listed.body.backups).toHaveLength(1);
    expect(listed.body.backups[0]).toMatchObject({ status: "complete" });

    await pg.psql("DROP DATABASE shop");
    expect(await pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'shop'")).toBe("0\n");

    const restore = await agent.run(["restore", "shop", "--latest", "--into-db", "shop"], pg.env);
    expect(restore, restore.stderr).toMatchObject({ code: 0 });
    const restored = Date.now();
    const after = await fingerprint();
    const equal = Object.keys(TABLES).filter((t) => after[t] === before[t]).length;
    const back = Object.values(after).reduce((sum, f) => sum + Number(f.split(" ")[0]), 0);
    console.log(
      `drill: ${Object.keys(TABLES).length} tables, ${rows} rows before the drop, ${back} after the restore ` +
        `(${((100 * back) / rows).toFixed(1)} %), ${equal}/${Object.keys(TABLES).length} table checksums equal; ` +
        `backup ${backedUp - started} ms (${listed.body.backups[0].size} bytes gzip), restore ${restored - backedUp} ms`,
    );
    expect(after).toEqual(before);
    // The constraints came back too: a dangling order line is still refused.
    await expect(pg.psql("INSERT INTO order_lines VALUES (999999, 1, 1, 1)", "shop")).rejects.toThrow(/foreign key/);
  });
});
