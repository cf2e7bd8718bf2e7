import { channelCovers } from "./alerts/rules";
import { currentStatus, type CheckState } from "./state";

/**
 * Pure translations between Lifeboat's checks and healthchecks' Management API (routes/hc-api):
 * statuses, times, tags, and channel assignment expressed through Lifeboat's channel filters.
 */

export type HcVersion = 1 | 2 | 3;

/** healthchecks' isostring: ISO 8601 without fractions, "+00:00" for UTC. */
export function hcIso(ms: number | null): string | null {
  return ms === null ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "+00:00");
}

/**
 * healthchecks' status words: `late` is its `grace`. API v1 reports a running job as `started`;
 * v2 and v3 report the status underneath and a separate `started` flag.
 */
export function hcStatus(check: CheckState, now: number, v: HcVersion): string {
  const status = currentStatus(v === 1 ? check : { ...check, lastStartAt: null }, now);
  return status === "late" ? "grace" : status;
}

/** When the next ping is expected (healthchecks' get_grace_start): a running job expects its finish. */
export function hcNextPing(check: CheckState): number | null {
  if (check.status === "new" || check.status === "paused" || check.status === "down") {
    return check.lastStartAt !== null && check.status !== "down" ? check.lastStartAt : null;
  }
  const due = check.nextDueAt ?? Number.POSITIVE_INFINITY;
  const next = check.lastStartAt !== null ? Math.min(due, check.lastStartAt) : due;
  return Number.isFinite(next) ? next : null;
}

/** healthchecks keeps tags as one space-separated string. */
export const tagsOf = (tags: string): string[] => [...new Set(tags.split(" ").filter((t) => t !== ""))];

export type ChannelRef = { id: number; uuid: string; name: string; filterTags: string[]; filterChecks: string[] };

/**
 * healthchecks' `channels` field: "*" (all), "" (none) or a comma-separated list of channel uuids
 * or names, each matching exactly one channel. Returns the chosen ids or healthchecks' message.
 */
export function resolveChannels(spec: string, channels: ChannelRef[]): Set<number> | { error: string } {
  if (spec === "*") return new Set(channels.map((c) => c.id));
  if (spec === "") return new Set();
  const chosen = new Set<number>();
  for (const ref of spec.split(",")) {
    if (ref === "") return { error: "empty channel identifier" };
    const matches = channels.filter((c) => c.uuid === ref || c.name === ref);
    if (matches.length === 0) return { error: `invalid channel identifier: ${ref}` };
    if (matches.length > 1) return { error: `non-unique channel identifier: ${ref}` };
    chosen.add(matches[0]!.id);
  }
  return chosen;
}

export type ChannelChange = { channelId: number; change: "add" | "remove" };

/**
 * Lifeboat routes alerts by each channel's filter (tags and check slugs; empty: every check), not
 * by a list on the check. Assigning a channel adds the check's slug to its filter; unassigning
 * removes it, which is possible only where the slug is what makes the channel cover the check and
 * the filter does not end up empty (an empty filter would mean every check).
 */
export function planChannels(
  channels: ChannelRef[],
  check: { slug: string; tags: string[] },
  wanted: Set<number>,
): ChannelChange[] | { error: string } {
  const changes: ChannelChange[] = [];
  for (const channel of channels) {
    const scope = { tags: channel.filterTags, checks: channel.filterChecks };
    const covers = channelCovers(scope, check);
    if (wanted.has(channel.id) && !covers) changes.push({ channelId: channel.id, change: "add" });
    if (wanted.has(channel.id) || !covers) continue;
    const without = { tags: scope.tags, checks: scope.checks.filter((slug) => slug !== check.slug) };
    const empty = without.tags.length === 0 && without.checks.length === 0;
    if (empty || channelCovers(without, check)) {
      const why = empty && scope.checks.length === 0 ? "every check" : "this check's tags or for this check alone";
      return { error: `channel ${channel.name} alerts for ${why}; change its filter in Lifeboat to unassign it` };
    }
    changes.push({ channelId: channel.id, change: "remove" });
  }
  return changes;
}

/** The channels that alert for a check, as healthchecks lists them: sorted uuids, comma-separated. */
export function assignedChannels(channels: ChannelRef[], check: { slug: string; tags: string[] }): string {
  return channels
    .filter((c) => channelCovers({ tags: c.filterTags, checks: c.filterChecks }, check))
    .map((c) => c.uuid)
    .sort()
    .join(",");
}
