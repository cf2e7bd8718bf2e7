import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/domain/signing";
import { call, createCheck } from "../helpers/api";
import { createAgentKey, signedJson, type AgentKey } from "../helpers/agent";
import { bytesOf, putPart } from "../helpers/backups";
import { r2Keys } from "../helpers/db-state";
import { checkRow, downloadsIdentical, refcountProblems, sweepAt } from "../helpers/integrity";

/**
 * Issue 13: reference counts over shared parts under random interleavings, some operations racing
 * (released together with Promise.all). After every step every blob's `refs` equals the live
 * references recounted from D1 (never negative); at the end, after the sweeps have purged what they
 * may, every complete backup downloads byte-identical, no backup inside its window was tombstoned,
 * R2 holds exactly the stored parts, and the stored-bytes total equals what is stored.
 */

const PART = 256;
const HOUR = 3_600_000;
const POOL = 4; // distinct part contents: backups built from them share parts all the time
const RUNS = { numRuns: 25 };

type Op =
  | { kind: "create"; parts: number[] }
  | { kind: "put"; backup: number; part: number }
  | { kind: "complete" | "fail" | "delete" | "undelete"; backup: number }
  | { kind: "sweep"; hoursLater: 0 | 25 };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      parts: fc.array(fc.nat(POOL - 1), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), backup: fc.nat(), part: fc.nat(2) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom("complete" as const, "fail" as const, "delete" as const, "undelete" as const),
      backup: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("sweep" as const), hoursLater: fc.constantFrom(0 as const, 25 as const) }),
  },
);
// Each step is one operation or several released together.
const steps = fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 4, maxLength: 12 });
const windowDays = fc.constantFrom(0, 7);

type Registered = { id: string; data: Uint8Array; parts: number[] };

class World {
  readonly backups: Registered[] = [];
  constructor(
    readonly slug: string,
    readonly key: AgentKey,
    readonly pool: Uint8Array[],
  ) {}

  async run(o: Op): Promise<void> {
    const b = this.backups.length > 0 && "backup" in o ? this.backups[o.backup % this.backups.length]! : null;
    switch (o.kind) {
      case "create":
        return this.create(o.parts);
      case "put":
        if (b) await putPart(this.key, b.id, o.part % b.parts.length, this.pool[b.parts[o.part % b.parts.length]!]!);
        return;
      case "complete":
      case "fail":
        if (b)
          await signedJson(
            this.key,
            "POST",
            `/v1/backups/${b.id}/${o.kind}`,
            o.kind === "fail" ? { log: "x" } : undefined,
          );
        return;
      case "delete":
        if (b) await call("DELETE", `/api/v1/backups/${b.id}`);
        return;
      case "undelete":
        if (b) await call("POST", `/api/v1/backups/${b.id}/undelete`);
        return;
      case "sweep":
        await sweepAt(Date.now() + o.hoursLater * HOUR);
    }
  }

  private async create(parts: number[]) {
    const chunks = parts.map((p) => this.pool[p]!);
    const data = new Uint8Array(chunks.length * PART);
    chunks.forEach((chunk, i) => data.set(chunk, i * PART));
    const manifest = {
      check: this.slug,
      size: data.length,
      sha256: await sha256Hex(data),
      part_size: PART,
      parts: await Promise.all(chunks.map(async (c, index) => ({ index, size: PART, sha256: await sha256Hex(c) }))),
      compression: "none",
      encryption: "none",
      source: "command",
      host: "prop",
    };
    const created = await signedJson(this.key, "POST", "/v1/backups", manifest);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    this.backups.push({ id: created.body.id, data, parts });
  }
}

let runCount = 0;

async function storedBytesProblem(): Promise<string | null> {
  const row = await env.DB.prepare(
    `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'stored_bytes'), 0) AS counted,
            coalesce((SELECT sum(stored_size) FROM blobs WHERE stored = 1), 0)
              + coalesce((SELECT sum(size) FROM purge_queue), 0) AS stored`,
  ).first<{ counted: number; stored: number }>();
  return row!.counted === row!.stored ? null : `stored_bytes counts ${row!.counted}, stored ${row!.stored}`;
}

describe("reference counts over shared parts (fast-check)", () => {
  it("random interleavings, some racing, keep refs equal to the live references and purge nothing in use", async () => {
    await fc.assert(
      fc.asyncProperty(steps, windowDays, async (plan, minAgeDays) => {
        const slug = `prop-${++runCount}`;
        await createCheck({ name: slug, slug, kind: "backup", min_age_days: minAgeDays, tombstone_days: 0 });
        const key = await createAgentKey([slug], ["upload", "read"]);
        const pool = Array.from({ length: POOL }, (_, i) => bytesOf(PART, runCount * 10 + i + 1));
        const world = new World(slug, key, pool);
        const { id: checkId, uuid } = await checkRow(slug);

        for (const step of plan) {
          await Promise.all(step.map((o) => world.run(o)));
          expect(await refcountProblems(checkId)).toEqual([]);
        }
        // Let the sweeps finish: abandon what is still uploading, purge tombstones, then their parts.
        await sweepAt(Date.now() + 25 * HOUR);
        await sweepAt(Date.now() + 26 * HOUR);
        expect(await refcountProblems(checkId)).toEqual([]);
        expect(await storedBytesProblem()).toBeNull();

        const rows = (
          await env.DB.prepare("SELECT id, status FROM backups WHERE check_id = ?")
            .bind(checkId)
            .all<{ id: string; status: string }>()
        ).results;
        for (const row of rows) {
          const backup = world.backups.find((b) => b.id === row.id)!;
          if (row.status === "complete" || row.status === "suspicious") {
            expect(await downloadsIdentical(row.id, backup.data), `${row.id} downloads whole`).toBe(true);
          }
          // Inside its window nothing is tombstoned (a 7-day window outlasts every sweep here).
          if (minAgeDays > 0) expect(["tombstoned", "deleted"]).not.toContain(row.status);
        }
        const storedKeys = (
          await env.DB.prepare("SELECT r2_key FROM blobs WHERE check_id = ? AND stored = 1")
            .bind(checkId)
            .all<{ r2_key: string }>()
        ).results.map((r) => r.r2_key);
        expect((await r2Keys()).filter((k) => k.startsWith(`blobs/${uuid}/`)).sort()).toEqual(storedKeys.sort());
      }),
      RUNS,
    );
  }, 600_000);
});
