import { env } from "cloudflare:workers";
import { expect, inject, it } from "vitest";
import { sweepContext } from "../../worker/services/alert-pipeline/dispatch";
import { runSweep } from "../../worker/services/sweep";
import { call, createCheck, json } from "../helpers/api";
import { createAgentKey } from "../helpers/agent";
import { upload } from "../helpers/restic";

// The dead-man's switch on snapshots: each new snapshots/ file is a success of the repository's
// check; no snapshot within period + grace and the check goes down, alerting through the outbox
// to a real HTTP receiver like any other check.

const MIN = 60_000;
const receiver = inject("receiverUrl");
const sweepAt = (now: number) => runSweep(sweepContext(env, "https://lifeboat.test", now));

async function inbox(name: string): Promise<any[]> {
  const all: any[] = await (await fetch(`${receiver}/_requests/${name}`)).json();
  return all.filter((r) => r.status === 200).map((r) => JSON.parse(r.body));
}

it("a snapshot is a success with the bytes it added; silence past period + grace alerts", async () => {
  const check = await createCheck({
    name: "Nightly files",
    slug: "nightly-files",
    kind: "restic",
    period_s: 3600,
    grace_s: 600,
  });
  const channel = await call("POST", "/api/v1/channels", {
    body: { kind: "webhook", url: `${receiver}/hook/restic-deadman`, filter: { tags: [], checks: ["nightly-files"] } },
  });
  expect(channel.status).toBe(201);
  const key = await createAgentKey(["nightly-files"], ["restic"]);

  // Packs and an index are not snapshots: the check is still waiting.
  await upload(key, "nightly-files", "data", "p".repeat(5000));
  await upload(key, "nightly-files", "index", "i".repeat(300));
  expect((await json(call("GET", "/api/v1/checks/nightly-files"))).status).toBe("new");

  const first = await upload(key, "nightly-files", "snapshots", "s".repeat(200));
  const afterFirst = await json(call("GET", "/api/v1/checks/nightly-files"));
  expect(afterFirst.status).toBe("up");
  const [ping] = (await json(call("GET", "/api/v1/checks/nightly-files/pings"))).pings;
  expect(ping).toMatchObject({ kind: "success", source: "restic", key_id: key.key_id });
  expect(ping.body).toBe(
    `restic snapshot ${first.slice(0, 8)}: 5.5 kB added since the previous snapshot; repository 5.5 kB`,
  );

  // The next snapshot reports only what came since the first.
  await upload(key, "nightly-files", "data", "q".repeat(1200));
  await upload(key, "nightly-files", "snapshots", "t".repeat(210));
  const [second] = (await json(call("GET", "/api/v1/checks/nightly-files/pings"))).pings;
  expect(second.body).toContain("1.4 kB added since the previous snapshot; repository 6.9 kB");

  // Nothing for period + grace: down, and the alert arrives through the normal outbox.
  const lastPing = Date.parse(second.received_at);
  await sweepAt(lastPing + 60 * MIN + 9 * MIN);
  expect((await json(call("GET", "/api/v1/checks/nightly-files"))).status).toBe("up"); // late, not down yet
  await sweepAt(lastPing + 70 * MIN + 1000);
  expect((await json(call("GET", "/api/v1/checks/nightly-files"))).status).toBe("down");
  const [down] = await inbox("restic-deadman");
  expect(down).toMatchObject({
    event: "check.down",
    reason: "timeout",
    check: { uuid: check.uuid, name: "Nightly files" },
  });

  // The next snapshot brings it back up, and says so.
  await upload(key, "nightly-files", "snapshots", "u".repeat(220));
  await sweepAt(Date.now() + 1000);
  expect((await inbox("restic-deadman")).map((b) => b.event)).toEqual(["check.down", "check.up"]);
});
