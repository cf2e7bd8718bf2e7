// The JavaScript of one "alert storm" sweep (bench/sweep-js.mjs), without its I/O: the fan-out's
// per-(flip, channel) decisions and the delivery's per-row unseal, secret and render, through the
// same functions worker/services/alert-pipeline/enqueue.ts and delivery.ts call. Bundled by wrangler and run in
// Node (the same V8), because workerd's clock does not move between I/O.
import { renderAlert } from "../../worker/domain/alerts";
import type { Alert } from "../../worker/domain/alerts/alert";
import { beliefOf, channelCovers, decide, type Quiet } from "../../worker/domain/alerts/rules";
import { activeWindowFor } from "../../worker/domain/maintenance";
import { seal, unseal } from "../../worker/domain/seal";
import { channelSecret } from "../../worker/services/channels";

const MASTER = "bench-master-key-0123456789abcdef";
const HOUR = 3_600_000;

export type Storm = { flips: number; channels: number; deliveries: number };

/** Rows as D1 would hand them over (JSON text columns included), made once outside the timing. */
export async function prepare(storm: Storm) {
  const now = Date.UTC(2026, 11, 1, 12);
  const flips = Array.from({ length: storm.flips }, (_, i) => ({
    id: i + 1,
    check_id: i + 1,
    from_status: "up",
    to_status: "down",
    reason: "timeout",
    created_at: now - 1000,
    slug: `check-${i}`,
    tags: JSON.stringify(["prod", `svc-${i % 7}`]),
    flap_threshold: 6,
    parent_status: null as string | null,
  }));
  const channels = await Promise.all(
    Array.from({ length: storm.channels }, async (_, i) => ({
      id: i + 1,
      uuid: crypto.randomUUID(),
      tags: [] as string[],
      checks: [] as string[],
      createdAt: now - 86_400_000,
      config: await seal(MASTER, { url: `https://hooks.example.com/lifeboat/${i}` }),
    })),
  );
  const log = "pg_dump: error: connection to server failed\n".repeat(40);
  return { now, flips, channels, log, storm };
}

/** One sweep's worth of that JavaScript; returns a count so nothing is optimised away. */
export async function sweepJs(input: Awaited<ReturnType<typeof prepare>>): Promise<number> {
  const { now, flips, channels, log, storm } = input;
  // Fan-out (alert-pipeline/enqueue.ts fanOutFlips): one decision per (flip, channel).
  const planned: { key: string; kind: string }[] = [];
  for (const flip of flips) {
    const check = { slug: flip.slug, tags: JSON.parse(flip.tags) as string[] };
    const recent = [flip.created_at];
    for (const channel of channels) {
      if (!channelCovers(channel, check)) continue;
      const quiet: Quiet = {
        inMaintenance: activeWindowFor([], check, flip.created_at) !== null,
        parentDown: flip.parent_status === "down",
        flipsLastHour: recent.filter((t) => t > flip.created_at - HOUR && t <= flip.created_at).length,
        flapThreshold: flip.flap_threshold,
        flappingAlerted: false,
      };
      const decision = decide(
        { from: flip.from_status, to: flip.to_status, reason: flip.reason },
        beliefOf(null),
        quiet,
      );
      if (decision) planned.push({ key: `${flip.id}:${channel.id}`, kind: decision.kind });
    }
  }
  const insert = JSON.stringify(planned);
  // Delivery (alert-pipeline/send.ts deliverDue → sendOne): unseal, derive the signing secret, render.
  let bytes = insert.length;
  for (let i = 0; i < Math.min(storm.deliveries, planned.length); i++) {
    const flip = flips[i % flips.length]!;
    const channel = channels[i % channels.length]!;
    const alert: Alert = {
      kind: "down",
      deliveryId: planned[i]!.key,
      check: {
        uuid: crypto.randomUUID(),
        name: `Check ${flip.slug}`,
        slug: flip.slug,
        tags: JSON.parse(flip.tags) as string[],
        status: "down",
        url: `https://lifeboat.example.com/admin/checks/${flip.slug}`,
      },
      previousStatus: "up",
      reason: flip.reason,
      reasonText: "no ping before the deadline",
      since: flip.created_at,
      lastPingAt: now - 2 * HOUR,
      logExcerpt: log,
      children: [],
      flipsLastHour: null,
      reminderNumber: null,
    };
    const config = await unseal(MASTER, channel.config);
    const secret = await channelSecret(MASTER, channel);
    const delivery = await renderAlert("webhook", alert, config, { signingSecret: secret, now });
    bytes += JSON.stringify(delivery).length;
  }
  return bytes;
}

// wrangler bundles a Worker; this one is never served.
export default { fetch: () => new Response("bench only") };
