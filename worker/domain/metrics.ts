import type { Monitoring } from "./monitoring";
import { seconds, type Family, type Labels } from "./prometheus";
import type { CheckKind } from "../db/schema";
import { keepsRestorePoints } from "./kinds";
import { RESOURCES, type Projection } from "./free-plan";

/**
 * The metric families of /metrics from one snapshot of the database, at `now`. Ages are computed
 * here as well as the raw timestamps, so a simple alert rule (`lifeboat_backup_age_seconds > …`)
 * needs no `time() -` arithmetic; timestamps stay for Grafana's "last seen" panels.
 */

export type CheckSnapshot = {
  slug: string;
  name: string;
  kind: CheckKind;
  group_name: string;
  status: "new" | "up" | "down" | "paused";
  last_ping_at: number | null;
  /** JSON [received_at, size] of the newest complete backup (restic: newest snapshot, bytes it added), or null. */
  last_good: string | null;
  /** JSON [reported_at, ok, duration_ms] of the newest drill, or null. */
  last_drill: string | null;
  /** The recovery point objective in seconds, when the check has one. */
  rpo_s?: number | null;
};

export type MetricsInput = {
  checks: CheckSnapshot[];
  channels: { name: string; kind: string; status: string; failed: number; pending: number }[];
  storage: { storedBytes: number; quotaBytes: number | null };
  /** The sweep's heartbeat verdict; null without the heartbeat row. */
  sweep: Monitoring | null;
  /** restic repositories: totals from restic_repos (null before restic init). */
  repositories: {
    slug: string;
    quota_bytes: number | null;
    stored_bytes: number | null;
    files: number | null;
    snapshots: number;
  }[];
  /** A day projected against the Free plan's limits (domain/free-plan.ts). */
  plan?: Projection;
};

const STATES = ["new", "up", "down", "paused"] as const;

function parseTuple(json: string | null): number[] | null {
  if (!json) return null;
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.map(Number) : null;
}

function ageSeconds(now: number, atMs: number | null | undefined): number | null {
  return atMs === null || atMs === undefined ? null : Math.max(0, (now - atMs) / 1000);
}

export function metricFamilies(input: MetricsInput, now: number): Family[] {
  const families: Family[] = [];
  const gauge = (name: string, help: string, samples: Family["samples"]) =>
    families.push({ name, help, type: "gauge", samples });
  const checkLabels = (c: CheckSnapshot): Labels => ({
    check: c.slug,
    name: c.name,
    kind: c.kind,
    group: c.group_name,
  });
  // restic checks are restore points too: their newest snapshot is their newest good backup.
  const backups = input.checks
    .filter((c) => keepsRestorePoints(c.kind))
    .map((c) => ({ c, good: parseTuple(c.last_good) }));
  const drilled = input.checks.map((c) => ({ c, drill: parseTuple(c.last_drill) })).filter((d) => d.drill);

  gauge(
    "lifeboat_check_info",
    "Always 1; carries the check's name, kind and group (join on `check` in queries).",
    input.checks.map((c) => ({ labels: checkLabels(c), value: 1 })),
  );
  gauge(
    "lifeboat_check_up",
    "1 if the check is up, 0 if down; absent while new or paused.",
    input.checks.map((c) => ({
      labels: { check: c.slug },
      value: c.status === "up" ? 1 : c.status === "down" ? 0 : null,
    })),
  );
  gauge(
    "lifeboat_check_state",
    "The check's stored state: 1 for the state it is in, 0 for the others.",
    input.checks.flatMap((c) =>
      STATES.map((state) => ({ labels: { check: c.slug, state }, value: c.status === state ? 1 : 0 })),
    ),
  );
  gauge(
    "lifeboat_check_last_ping_timestamp_seconds",
    "When the check's last ping arrived (unix seconds, server clock).",
    input.checks.map((c) => ({ labels: { check: c.slug }, value: seconds(c.last_ping_at) })),
  );
  gauge(
    "lifeboat_backup_last_good_timestamp_seconds",
    "When the newest complete backup of the check was received (unix seconds).",
    backups.map(({ c, good }) => ({ labels: { check: c.slug }, value: seconds(good?.[0]) })),
  );
  gauge(
    "lifeboat_backup_last_good_size_bytes",
    "Size of the newest complete backup (restic: the bytes its newest snapshot added).",
    backups.map(({ c, good }) => ({ labels: { check: c.slug }, value: good?.[1] ?? null })),
  );
  gauge(
    "lifeboat_backup_age_seconds",
    "Age of the newest complete backup: the data a restore right now would lose (RPO age).",
    backups.map(({ c, good }) => ({ labels: { check: c.slug }, value: ageSeconds(now, good?.[0]) })),
  );
  gauge(
    "lifeboat_backup_rpo_seconds",
    "The recovery point objective: how old the newest good backup may get.",
    backups.map(({ c }) => ({ labels: { check: c.slug }, value: c.rpo_s ?? null })),
  );
  gauge(
    "lifeboat_drill_last_timestamp_seconds",
    "When the newest restore drill was reported (unix seconds).",
    drilled.map(({ c, drill }) => ({ labels: { check: c.slug }, value: seconds(drill![0]) })),
  );
  gauge(
    "lifeboat_drill_age_seconds",
    "Age of the newest restore drill.",
    drilled.map(({ c, drill }) => ({ labels: { check: c.slug }, value: ageSeconds(now, drill![0]) })),
  );
  gauge(
    "lifeboat_drill_last_ok",
    "1 if the newest restore drill passed, 0 if it failed.",
    drilled.map(({ c, drill }) => ({ labels: { check: c.slug }, value: drill![1] ? 1 : 0 })),
  );
  gauge(
    "lifeboat_drill_last_duration_seconds",
    "Wall time of the newest restore drill: the measured recovery time (RTO).",
    drilled.map(({ c, drill }) => ({ labels: { check: c.slug }, value: drill![2]! / 1000 })),
  );
  gauge("lifeboat_storage_stored_bytes", "Bytes stored in R2 (each part once).", [
    { value: input.storage.storedBytes },
  ]);
  gauge("lifeboat_storage_quota_bytes", "The storage quota; absent when none is set.", [
    { value: input.storage.quotaBytes },
  ]);
  const repo = (help: string, name: string, value: (r: MetricsInput["repositories"][number]) => number | null) =>
    gauge(
      name,
      help,
      input.repositories.map((r) => ({ labels: { check: r.slug }, value: value(r) })),
    );
  repo(
    "Bytes of the files restic can see in the repository.",
    "lifeboat_restic_stored_bytes",
    (r) => r.stored_bytes ?? 0,
  );
  repo("Files in the repository (all types).", "lifeboat_restic_files", (r) => r.files ?? 0);
  repo("Snapshots in the repository.", "lifeboat_restic_snapshots", (r) => r.snapshots);
  repo(
    "The repository's quota (quota_bytes); absent when none is set.",
    "lifeboat_restic_quota_bytes",
    (r) => r.quota_bytes,
  );
  const channelLabels = (ch: MetricsInput["channels"][number]) => ({ channel: ch.name, kind: ch.kind });
  gauge(
    "lifeboat_notifications_failed",
    "Notifications that gave up after every retry, per channel.",
    input.channels.map((ch) => ({ labels: channelLabels(ch), value: ch.failed })),
  );
  gauge(
    "lifeboat_notifications_pending",
    "Notifications waiting for delivery or a retry, per channel.",
    input.channels.map((ch) => ({ labels: channelLabels(ch), value: ch.pending })),
  );
  gauge(
    "lifeboat_channel_broken",
    "1 if the channel was marked broken (its endpoint answered gone or refused the credentials).",
    input.channels.map((ch) => ({ labels: channelLabels(ch), value: ch.status === "broken" ? 1 : 0 })),
  );
  const sweep = input.sweep;
  gauge(
    "lifeboat_sweep_age_seconds",
    "Time since the last sweep that finished without an error (since installation before the first). Alert above 180.",
    [{ value: sweep?.ageS ?? null }],
  );
  gauge("lifeboat_sweep_last_success_timestamp_seconds", "When the last good sweep finished (unix seconds).", [
    { value: seconds(sweep?.lastOkAt) },
  ]);
  gauge("lifeboat_sweep_delayed", "1 while no good sweep finished for more than 3 minutes, else 0.", [
    { value: sweep ? (sweep.delayed ? 1 : 0) : null },
  ]);
  gauge("lifeboat_sweep_last_failed", "1 if the latest sweep failed or was cut off, else 0.", [
    { value: sweep ? (sweep.lastError !== null ? 1 : 0) : null },
  ]);
  gauge(
    "lifeboat_free_plan_projected",
    "Projected use per day from the checks' schedules and the last 24 h (docs/FREE_PLAN.md).",
    (input.plan ? RESOURCES : []).map((r) => ({ labels: { resource: r }, value: input.plan!.resources[r].used })),
  );
  gauge(
    "lifeboat_free_plan_limit",
    "The Workers Free plan's daily limit of the resource.",
    (input.plan ? RESOURCES : []).map((r) => ({ labels: { resource: r }, value: input.plan!.resources[r].limit })),
  );
  return families;
}
