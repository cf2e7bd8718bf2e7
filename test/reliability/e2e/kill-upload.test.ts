import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killGroup, setUpAgent, type AgentSetup } from "../../helpers/agent-cli";
import { startLifeboat, type Lifeboat } from "../../helpers/e2e";
import { frozenWorkerConfig } from "../../helpers/frozen-worker";
import { groupMembers } from "../../helpers/wrangler-dev";

/**
 * Reliability 2 (docs/RELIABILITY.md): `kill -9` of the real agent (dash, curl, openssl, split)
 * at a random moment of `lifeboat backup`, until 20 kills have landed mid-run, each time with new bytes (so nothing is
 * deduplicated away) in 12 parts. After each kill the same command is rerun to the end: it must
 * resume the upload the killed run registered (or start one, if the kill came before that) and
 * complete; `lifeboat restore` must give back the exact bytes (sha256). Meanwhile a poller reads
 * the admin API every 100 ms and downloads every backup it sees "complete": at no moment may a
 * complete backup lack a byte (its content must hash to its sha256 and have its size).
 */

const TRIALS = 20;
const PART_SIZE = 100_000;
const SIZE = 11 * PART_SIZE + 12_345; // 12 parts, the last one short

/** The poller reads with the read-only token (the harness keeps the admin token to itself). */
const READ_TOKEN = randomBytes(16).toString("hex");

let lifeboat: Lifeboat;
let agent: AgentSetup;
let work: string;

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-rel-kill-",
    vars: { ADMIN_READ_TOKEN: READ_TOKEN },
    config: (dir) => frozenWorkerConfig(join(dir, "worker")),
    tmpdirInside: true,
  });
  work = join(lifeboat.dir, "agent");
  agent = await setUpAgent(lifeboat, work, ["killed:backup"]);
  agent.job("killed", {
    SOURCE: "command",
    COMMAND: `cat ${join(work, "data")}`,
    CHECK: "killed",
    COMPRESSION: "none",
    PART_SIZE,
  });
});

afterAll(async () => {
  await lifeboat?.stop();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Watches the admin API; every backup listed complete is downloaded once and must be whole. */
function startPoller() {
  const verified = new Map<string, string>();
  const broken: string[] = [];
  let polls = 0;
  let running = true;
  const pollOnce = async () => {
    const listed = await fetch(`${lifeboat.dev.url}/api/v1/backups?check=killed&limit=100`, {
      headers: { Authorization: `Bearer ${READ_TOKEN}` },
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    polls++;
    if (listed.status !== 200) broken.push(`list answered ${listed.status}`);
    for (const backup of listed.body.backups ?? []) {
      if (backup.status !== "complete" || verified.has(backup.id)) continue;
      const response = await fetch(`${lifeboat.dev.url}/api/v1/backups/${backup.id}/content`, {
        headers: { Authorization: `Bearer ${READ_TOKEN}` },
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const got = sha256(bytes);
      if (response.status !== 200 || bytes.length !== backup.size || got !== backup.sha256)
        broken.push(
          `${backup.id} complete but its content is ${bytes.length} bytes, sha256 ${got} (HTTP ${response.status})`,
        );
      verified.set(backup.id, got);
    }
  };
  const loop = (async () => {
    while (running) {
      await pollOnce();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    verified,
    broken,
    polls: () => polls,
    stop: async () => {
      running = false;
      await loop;
      // The last backup may have completed after the loop's last look: one more, after everything.
      await pollOnce();
    },
  };
}

describe("kill -9 at random points of an upload", () => {
  it(`${TRIALS} trials: every rerun resumes and completes, every restore is byte-identical`, async () => {
    // Two uninterrupted runs first: how long a backup takes here (the faster), so kills can land anywhere in it.
    let fullMs = Infinity;
    for (let i = 0; i < 2; i++) {
      writeFileSync(join(work, "data"), randomBytes(SIZE));
      const t0 = Date.now();
      const clean = await agent.run(["backup", "killed"]);
      fullMs = Math.min(fullMs, Date.now() - t0);
      expect(clean, clean.stderr).toMatchObject({ code: 0 });
    }

    const poller = startPoller();
    const tally = {
      killed: 0,
      resumed: 0,
      restarted: 0,
      finishedBeforeKill: 0,
      completedBeforeKill: 0,
      identical: 0,
      partsResent: 0,
    };
    const started = Date.now();
    try {
      // Until TRIALS kills have landed mid-run (a kill that comes after the agent exited is a trial too, not counted).
      for (let trial = 0; tally.killed < TRIALS && trial < 2 * TRIALS; trial++) {
        const data = randomBytes(SIZE);
        writeFileSync(join(work, "data"), data);
        const delay = Math.round(fullMs * (0.05 + 0.85 * Math.random()));
        const { child, done } = agent.start(["backup", "killed"], { LIFEBOAT_VERBOSE: "1" });
        await new Promise((r) => setTimeout(r, delay));
        killGroup(child.pid!);
        const killed = await done;
        // A process may take a moment to die of a SIGKILL (in the middle of a system call): then it is gone.
        await lifeboat.eventually(
          "the killed agent's process group to be gone",
          async () => groupMembers(child.pid!).length === 0,
          5_000,
        );
        if (killed.signal === "SIGKILL") tally.killed++;
        else tally.finishedBeforeKill++;
        const state = join(agent.stateDir, "killed.upload");
        const registered = existsSync(state) ? readFileSync(state, "utf8").trim().split(" ")[1] : undefined;
        // The kill may also land after the server completed the upload but before the agent forgot it.
        const registeredStatus = registered
          ? (await lifeboat.api("GET", `/api/v1/backups/${registered}`)).body.status
          : undefined;

        const rerun = await agent.run(["backup", "killed"], { LIFEBOAT_VERBOSE: "1" });
        expect(rerun, `trial ${trial} (killed after ${delay} ms): ${rerun.stderr}`).toMatchObject({ code: 0 });
        const id = /backup killed complete: (bk_[0-9a-f]{20})/.exec(rerun.stderr)?.[1];
        expect(id, rerun.stderr).toBeTruthy();
        if (registered && registeredStatus === "uploading") {
          // The killed run had registered an upload: the rerun must carry on with it, not start over.
          expect(rerun.stderr).toContain(`resuming backup ${registered}`);
          expect(id).toBe(registered);
          tally.resumed++;
        } else if (registered) {
          expect(registeredStatus, `trial ${trial}`).toBe("complete");
          tally.completedBeforeKill++;
        }
        const partsSent = (rerun.stderr.match(/lifeboat: part \d+\/\d+/g) ?? []).length;
        tally.partsResent += partsSent;
        if (!registered && killed.signal === "SIGKILL") {
          // No upload on record: killed before registering one (the rerun sends every part), or
          // after completing and forgetting it (the same bytes again: every part is stored already).
          if (partsSent > 0) tally.restarted++;
          else tally.completedBeforeKill++;
        }

        const out = join(work, "restored");
        const restore = await agent.run(["restore", "killed", "--backup", id!, "--to", out]);
        expect(restore, restore.stderr).toMatchObject({ code: 0 });
        const back = readFileSync(out);
        expect(back.length).toBe(SIZE);
        expect(sha256(back)).toBe(sha256(data));
        tally.identical++;
      }
    } finally {
      await poller.stop();
    }
    const listed = await lifeboat.api("GET", "/api/v1/backups?check=killed&limit=100");
    const byStatus: Record<string, number> = {};
    for (const b of listed.body.backups) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
    console.log(
      `kill -9: ${tally.identical} trials (a clean backup takes ${fullMs} ms; kills at 5–90 % of that): ${tally.killed} killed ` +
        `mid-run, ${tally.finishedBeforeKill} had finished; reruns: ${tally.resumed} resumed the killed upload, ` +
        `${tally.restarted} started afresh (killed before registering), ${tally.completedBeforeKill} had completed before the kill, ${tally.partsResent} parts sent by reruns ` +
        `(of ${tally.identical * 12}); ${tally.identical}/${tally.identical} restores byte-identical; ${poller.polls()} admin polls, ` +
        `${poller.verified.size} complete backups downloaded and verified, ${poller.broken.length} complete with missing bytes; ` +
        `backups by status ${JSON.stringify(byStatus)}; ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(poller.broken).toEqual([]);
    expect(tally.killed).toBe(TRIALS);
    expect(tally.identical).toBe(tally.killed + tally.finishedBeforeKill);
    expect(tally.resumed).toBeGreaterThan(0);
    // Every trial left at least one complete backup (two when the kill came after the server had
    // completed it: the rerun then backs up the same bytes again); the poller verified every one.
    expect(byStatus.complete).toBeGreaterThanOrEqual(tally.identical + 2);
    expect(poller.verified.size).toBe(byStatus.complete);
    // Nothing else but uploads abandoned by a kill between registering and recording the id.
    expect(Object.keys(byStatus).filter((s) => s !== "complete" && s !== "uploading")).toEqual([]);
  });
});
