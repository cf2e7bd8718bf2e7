import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { MEDIA_V2 } from "../../worker/domain/restic";
import { openDb } from "../../worker/services/db";
import { LISTING_PAGE, listingPages } from "../../worker/services/restic-reads";
import { createAgentKey, type AgentKey } from "../helpers/agent";
import { BASE, createCheck, fetchWorker } from "../helpers/api";
import { basic } from "../helpers/restic";

// A 1.6 TB repository has about 100,000 packs of 16 MiB. `restic check` and `prune` list them all
// (GET /data/ with v2): that listing comes from D1 in pages along the primary key, is streamed as
// it is read, and never lists R2. Measured here: D1 queries, rows read, and wall time in workerd.

const PACKS = 100_000;
let key: AgentKey;
let checkId: number;

beforeAll(async () => {
  const check = await createCheck({ name: "Big", slug: "big", kind: "restic" });
  key = await createAgentKey(["big"], ["restic"]);
  const row = await env.DB.prepare("SELECT id FROM checks WHERE uuid = ?").bind(check.uuid).first<{ id: number }>();
  checkId = row!.id;
  // 100,000 packs of ~16 MiB with random names, plus other types that must stay out of the listing.
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO restic_files (check_id, type, name, size, r2_key, received_at, immutable_until)
     SELECT ?, 'data', lower(hex(randomblob(32))), 16777216 + i, 'restic/big/' || i, 0, 0 FROM n`,
  )
    .bind(PACKS, checkId)
    .run();
  await env.DB.prepare(
    `INSERT INTO restic_files (check_id, type, name, size, r2_key, received_at, immutable_until)
     VALUES (?, 'index', ?, 1, 'restic/big/index', 0, 0), (?, 'snapshots', ?, 1, 'restic/big/snap', 0, 0)`,
  )
    .bind(checkId, "0".repeat(64), checkId, "f".repeat(64))
    .run();
}, 120_000);

it("100,000 packs: one D1 query per 5,000, one row read per pack, streamed in as many chunks", async () => {
  let queries = 0;
  let rowsRead = 0;
  let rows = 0;
  for await (const page of listingPages(openDb(env.DB), checkId, "data", LISTING_PAGE)) {
    queries++;
    rowsRead += page.rowsRead;
    rows += page.rows.length;
  }
  expect(rows).toBe(PACKS);
  expect(queries).toBe(PACKS / LISTING_PAGE + 1); // the last page comes back short (here: empty)
  expect(rowsRead).toBeLessThanOrEqual(PACKS + queries);

  const started = performance.now();
  const response = await fetchWorker(
    new Request(`${BASE}/restic/big/data/`, { headers: { Authorization: basic(key), Accept: MEDIA_V2 } }),
  );
  expect(response.status).toBe(200);
  let chunks = 0;
  let largestChunk = 0;
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    chunks++;
    largestChunk = Math.max(largestChunk, chunk.length);
    text += decoder.decode(chunk, { stream: true });
  }
  const wallMs = performance.now() - started;
  const listing = JSON.parse(text) as { name: string; size: number }[];
  expect(listing).toHaveLength(PACKS);
  expect(new Set(listing.map((f) => f.name)).size).toBe(PACKS);
  expect(listing.every((f) => /^[0-9a-f]{64}$/.test(f.name) && f.size > 16_777_216)).toBe(true);
  // Streamed page by page: no chunk holds more than one page of the JSON (~83 bytes a pack).
  expect(chunks).toBeGreaterThanOrEqual(PACKS / LISTING_PAGE);
  expect(largestChunk).toBeLessThan(LISTING_PAGE * 100);
  console.log(
    `restic listing of ${PACKS} packs: ${queries} D1 queries, ${rowsRead} rows read, ` +
      `${(text.length / 1e6).toFixed(1)} MB of JSON in ${chunks} chunks (largest ${largestChunk} B), ${wallMs.toFixed(0)} ms wall`,
  );
}, 120_000);
