import type { CheckRow, FlipRow, PingRow } from "../../db/schema";
import { assignedChannels, hcIso, hcNextPing, hcStatus, type ChannelRef, type HcVersion } from "../../domain/hc-compat";
import { badgeUrls, uniqueKeyOf } from "../api/check-view";

export type HcViewContext = {
  baseUrl: string;
  v: HcVersion;
  readonly: boolean;
  channels: ChannelRef[];
  now: number;
};

/**
 * A check as healthchecks' Check.to_dict shows it. A read-only key gets no uuid, no URL with the
 * uuid in it and no channels, but a `unique_key` instead, as healthchecks does: the uuid is the
 * check's ping secret, and a read-only key must not be able to ping.
 */
export async function hcCheckView(row: CheckRow, ctx: HcViewContext) {
  const successKw = row.filterSubject ? row.successKw : "";
  const failureKw = row.filterSubject ? row.failureKw : "";
  const common = {
    name: row.name,
    slug: row.slug,
    tags: row.tags.join(" "),
    desc: row.desc,
    grace: row.graceS,
    n_pings: row.nPings,
    status: hcStatus(row, ctx.now, ctx.v),
    started: row.lastStartAt !== null,
    last_ping: hcIso(row.lastPingAt),
    next_ping: hcIso(hcNextPing(row)),
    manual_resume: row.manualResume,
    methods: row.methods,
    subject: successKw,
    subject_fail: failureKw,
    start_kw: row.startKw,
    success_kw: row.successKw,
    failure_kw: row.failureKw,
    filter_subject: row.filterSubject,
    filter_body: row.filterBody,
    filter_http_body: row.filterHttpBody,
    filter_default_fail: row.filterDefaultFail,
    badge_url: badgeUrls(ctx.baseUrl, row.badgeKey ?? "").state_svg,
    ...(row.lastDurationMs ? { last_duration: Math.floor(row.lastDurationMs / 1000) } : {}),
  };
  const schedule = row.cron ? { schedule: row.cron, tz: row.tz } : { timeout: row.periodS ?? 86_400 };
  if (ctx.readonly) return { ...common, unique_key: uniqueKeyOf(row), ...schedule };
  const updateUrl = `${ctx.baseUrl}/api/v${ctx.v}/checks/${row.uuid}`;
  return {
    ...common,
    uuid: row.uuid,
    ping_url: `${ctx.baseUrl}/ping/${row.uuid}`,
    update_url: updateUrl,
    pause_url: `${updateUrl}/pause`,
    resume_url: `${updateUrl}/resume`,
    channels: assignedChannels(ctx.channels, row),
    ...schedule,
  };
}

/** A ping as healthchecks' Ping.to_dict shows it; `n` is the check's ping number, as in healthchecks. */
export function hcPingView(row: PingRow, check: CheckRow, baseUrl: string, v: HcVersion) {
  const type = row.kind === "exit" ? (row.exitStatus ? "fail" : "success") : row.kind;
  return {
    type,
    date: new Date(row.receivedAt).toISOString().replace("Z", "+00:00"),
    n: row.n,
    scheme: baseUrl.startsWith("https:") ? "https" : "http",
    remote_addr: row.ip,
    method: row.method,
    ua: row.userAgent ?? "",
    rid: row.rid,
    body_url: row.body ? `${baseUrl}/api/v${v}/checks/${check.uuid}/pings/${row.n}/body` : null,
    ...(row.durationMs !== null ? { duration: Math.round(row.durationMs / 10) / 100 } : {}),
  };
}

export const hcFlipView = (row: FlipRow) => ({ timestamp: hcIso(row.createdAt)!, up: row.toStatus === "up" ? 1 : 0 });
