import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { sweepContext } from "../../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../../worker/services/sweep";
import type { Recorded } from "../../helpers/receiver";
import { call, createCheck, json } from "../../helpers/api";

/**
 * Reliability 3 (docs/RELIABILITY.md): an alert receiver that answers 500 for half an hour, then
 * hangs past the 10 s delivery timeout for another half hour, through an hour of minutely sweeps
 * (the Worker's own sweep, injected clock, real D1, a real local HTTP receiver). Three checks go
 * down in the outage's first minutes, so their retries meet both kinds of failure (a hung attempt
 * costs 10 s of real time, so the retries are kept in step to keep the test short). Once the
 * receiver recovers, each alert must arrive exactly once: counted by its idempotency key (X-Lifeboat-Delivery), among the receipts answered 200.
 */

const MIN = 60_000;
const receiver = inject("receiverUrl");
const inbox = "reliability-outage";
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));
const behave = (how: object) =>
  fetch(`${receiver}/_control/${inbox}`, { method: "PUT", body: JSON.stringify(how) }).then((r) => r.arrayBuffer());
const receipts = async (): Promise<Recorded[]> => (await fetch(`${receiver}/_requests/${inbox}`)).json();

describe("an alert receiver that fails for an hour, then recovers", () => {
  it("gets each alert exactly once after it recovers", async () => {
    const channel = await json(
      call("POST", "/api/v1/channels", {
        body: { kind: "webhook", url: `${receiver}/hook/${inbox}`, filter: { tags: ["outage"], checks: [] } },
      }),
    );
    expect(channel.uuid).toBeTruthy();
    const t0 = Date.now();
    // Two down 70 minutes from now, one a minute later.
    const checks = [];
    for (const [i, extraMin] of [0, 0, 1].entries()) {
      const check = await createCheck({
        name: `outage ${i}`,
        tags: ["outage"],
        period_s: 3600 + extraMin * 60,
        grace_s: 600,
      });
      expect((await call("GET", `/ping/${check.uuid}`, { token: null })).status).toBe(200);
      checks.push(check);
    }

    const start = t0 + 70 * MIN;
    let sweeps = 0;
    const reports = [];
    await behave({ status: 500 });
    for (let minute = 0; minute < 60; minute++) {
      if (minute === 30) await behave({ hang: true });
      reports.push(await sweepAt(start + minute * MIN));
      sweeps++;
    }
    const duringOutage = await receipts();
    expect(duringOutage.filter((r) => r.status === 200)).toEqual([]);
    const deliveriesAtRecovery = (
      await Promise.all(
        checks.map(async (c) => (await json(call("GET", `/api/v1/checks/${c.uuid}/deliveries`))).deliveries),
      )
    ).flat();
    expect(deliveriesAtRecovery.map((d: any) => d.status)).toEqual(["pending", "pending", "pending"]);
    const timeouts = deliveriesAtRecovery.filter((d: any) => /no answer within 10 s/.test(d.last_error ?? "")).length;
    const attemptsDuringOutage = deliveriesAtRecovery.reduce((sum: number, d: any) => sum + d.attempts, 0);
    expect(timeouts, "the last attempt of each alert met the hanging receiver").toBe(3);

    // Recovered: two more hours of minutely sweeps, with an overlapping duplicate sweep every 10 minutes.
    await behave({ status: 200 });
    for (let minute = 60; minute < 180; minute++) {
      const at = start + minute * MIN;
      if (minute % 10 === 0) await Promise.all([sweepAt(at), sweepAt(at)]);
      else await sweepAt(at);
      sweeps++;
    }

    const all = await receipts();
    const accepted = all.filter((r) => r.status === 200);
    const byKey = new Map<string, number>();
    for (const r of accepted) {
      const key = r.headers["x-lifeboat-delivery"]!;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    const failedReceipts = all.filter((r) => r.status === 500).length;
    console.log(
      `receiver outage: ${sweeps} sweeps, ${attemptsDuringOutage} attempts during the outage ` +
        `(${failedReceipts} answered 500, the rest hung past the timeout), ${accepted.length} accepted after recovery ` +
        `for ${byKey.size} idempotency keys, max ${Math.max(...byKey.values())} per key`,
    );
    expect(accepted).toHaveLength(3);
    expect([...byKey.values()]).toEqual([1, 1, 1]);
    expect(new Set(accepted.map((r) => JSON.parse(r.body).check.uuid))).toEqual(new Set(checks.map((c) => c.uuid)));
    expect(accepted.every((r) => JSON.parse(r.body).event === "check.down")).toBe(true);
    // The failed attempts carried the same keys: a receiver that deduplicates by key sees one alert each.
    expect(new Set(all.map((r) => r.headers["x-lifeboat-delivery"]))).toEqual(new Set(byKey.keys()));
    expect(failedReceipts).toBeGreaterThanOrEqual(3);
    const after = (
      await Promise.all(
        checks.map(async (c) => (await json(call("GET", `/api/v1/checks/${c.uuid}/deliveries`))).deliveries),
      )
    ).flat();
    expect(after.map((d: any) => d.status)).toEqual(["sent", "sent", "sent"]);
    expect((await json(call("GET", `/api/v1/channels/${channel.uuid}`))).status).toBe("ok");
  });
});
