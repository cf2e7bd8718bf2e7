import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck } from "../helpers/api";
import { createAgentKey, signedJson, type AgentKey } from "../helpers/agent";
import { bytesOf, manifestOf, split, uploadBackup } from "../helpers/backups";

// Issue 13.5: flapping never hides a failure. Through the outbox with an injected clock: requests
// go through the Worker's fetch handler with Date moved by vi.setSystemTime (pings dispatch their
// alerts at once, on that clock), and sweeps get their `now` passed in.

const MIN = 60_000;
const HOUR = 60 * MIN;
const receiver = inject("receiverUrl");
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

afterEach(() => {
  vi.useRealTimers();
});

let inboxes = 0;
async function webhook(tag: string) {
  const inbox = `flapping-${++inboxes}-${Date.now()}`;
  const response = await call("POST", "/api/v1/channels", {
    body: { kind: "webhook", url: `${receiver}/hook/${inbox}`, filter: { tags: [tag], checks: [] } },
  });
  expect(response.status).toBe(201);
  /** What the receiver accepted, as webhook bodies. */
  return async (): Promise<any[]> =>
    ((await (await fetch(`${receiver}/_requests/${inbox}`)).json()) as any[])
      .filter((r) => r.status === 200)
      .map((r) => JSON.parse(r.body));
}

const summary = (b: any) => `${b.event.replace("check.", "")}${b.reason ? `:${b.reason}` : ""}`;

async function at<T>(time: number, action: () => Promise<T>): Promise<T> {
  vi.setSystemTime(time);
  return action();
}

const ping = (uuid: string, suffix = "") => call("GET", `/ping/${uuid}${suffix}`, { token: null });

/** What a channel hears of flappingCheck(…, 7): six changes one by one, then the flapping alert. */
const SEVEN_CHANGES = ["down:fail", "up:ping", "down:fail", "up:ping", "down:fail", "up:ping", "flapping:fail"];

/**
 * A daily heartbeat that came up two hours ago, then changed state `changes` times, a minute
 * apart (failure, success, failure, …), with a webhook channel of its own. Returns the channel's
 * inbox reader, the check and the time of the last change.
 */
async function flappingCheck(tag: string, changes: number) {
  const t0 = Date.now();
  vi.useFakeTimers({ toFake: ["Date"], now: t0 - 2 * HOUR });
  const received = await webhook(tag);
  const check = await createCheck({ name: tag, tags: [tag], period_s: 86_400, grace_s: 3600 });
  await ping(check.uuid); // up, long before the flapping hour
  let t = t0;
  for (let i = 0; i < changes; i++) await at((t += MIN), () => ping(check.uuid, i % 2 === 0 ? "/fail" : ""));
  return { received, check, t };
}

describe("flapping never hides a failure", () => {
  it("after the flapping alert, a failed backup, an empty backup and a failed drill each alert (the issue's story)", async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    const received = await webhook("story");
    const check = await createCheck({ name: "nightly db", slug: "story-db", kind: "backup", tags: ["story"] });
    const key: AgentKey = await createAgentKey(["story-db"], ["upload", "read", "ping"]);
    const good = (seed: number) => uploadBackup(key, "story-db", bytesOf(64 * 1024, seed), 64 * 1024);

    // Six quick state changes after the first backup: failure, good backup, failure, …
    let t = t0;
    const first = await at(t, () => good(1));
    for (let i = 0; i < 3; i++) {
      await at((t += MIN), () => ping(check.uuid, "/fail"));
      await at((t += MIN), () => good(2 + i));
    }
    const beforeStory = (await received()).map(summary);
    expect(beforeStory.at(-1)).toBe("flapping:ping");

    // pg_dump: database does not exist (the agent reports the run failed)
    const data = bytesOf(64 * 1024, 9);
    const parts = await split(data, 64 * 1024);
    const failedRun = await at((t += MIN), () =>
      signedJson(key, "POST", "/v1/backups", manifestOf("story-db", data, parts, 64 * 1024)),
    );
    expect(failedRun.status, JSON.stringify(failedRun.body)).toBe(201);
    const failed = await at(t, () =>
      signedJson(key, "POST", `/v1/backups/${failedRun.body.id}/fail`, {
        log: 'pg_dump: error: database "app" does not exist',
      }),
    );
    expect(failed.status).toBe(200);
    // … and the next run's backup is nearly empty: it completes, but it is an anomaly.
    await at((t += MIN), () => uploadBackup(key, "story-db", bytesOf(10, 10), 64 * 1024));
    // … and a restore drill of an older backup fails.
    const drill = await at((t += MIN), () =>
      signedJson(key, "POST", `/v1/backups/${first.id}/drills`, {
        ok: false,
        duration_s: 3,
        message: "restore failed",
      }),
    );
    expect(drill.status).toBe(201);

    const after = (await received()).map(summary).slice(beforeStory.length);
    expect(after).toEqual(["down:backup_failed", "down:anomaly", "drill_failed:drill_failed"]);
    const bodies = (await received()).slice(beforeStory.length);
    expect(bodies[0].detail).toContain('database "app" does not exist');
    expect(bodies[1].detail).toContain("suspicious backup");
  });

  it("a check still down when flapping calms down alerts once, in one summary; repeats stay quiet", async () => {
    // Seven state changes within the hour, ending down: the seventh is the flapping alert.
    const { received, check, t: last } = await flappingCheck("calm", 7);
    let t = last;
    expect((await received()).map(summary)).toEqual(SEVEN_CHANGES);

    // The same failure again and again while flapping: quiet (that is what flapping is for).
    for (let i = 0; i < 4; i++) await at((t += MIN), () => ping(check.uuid, i % 2 === 0 ? "" : "/fail"));
    for (let minute = 1; minute <= 30; minute += 5) await sweepAt(t + minute * MIN);
    expect(await received()).toHaveLength(7);

    // An hour without a change: flapping is over, and the check is still down. One summary says so.
    for (let minute = 55; minute <= 90; minute += 5) await sweepAt(t + minute * MIN);
    const all = await received();
    expect(all.map(summary)).toHaveLength(8);
    expect(all[7]).toMatchObject({
      event: "check.down",
      status: "down",
      flapping_ended: true,
      changes_since_flapping: 4,
    });
    for (let minute = 95; minute <= 180; minute += 15) await sweepAt(t + minute * MIN);
    expect(await received()).toHaveLength(8);
  });

  it("a check that stops flapping down right at the flapping alert still alerts when flapping is over", async () => {
    const { received, t } = await flappingCheck("last-word", 7);
    expect((await received()).at(-1)).toMatchObject({ event: "check.flapping", status: "down" });
    // Nothing else happens: no suppressed alert exists to be caught up on, only the flapping one.
    for (let minute = 5; minute <= 120; minute += 5) await sweepAt(t + minute * MIN);
    const all = await received();
    expect(all).toHaveLength(8);
    expect(all[7]).toMatchObject({ event: "check.down", flapping_ended: true, changes_since_flapping: 0 });
  });

  it("a flapping check that settles up ends with one up summary", async () => {
    const { received, t } = await flappingCheck("settle", 8);
    for (let minute = 5; minute <= 120; minute += 5) await sweepAt(t + minute * MIN);
    const events = (await received()).map(summary);
    expect(events).toEqual([...SEVEN_CHANGES, "up:ping"]);
    expect((await received()).at(-1)).toMatchObject({ flapping_ended: true, changes_since_flapping: 1 });
  });
});
