import type { CheckRow } from "../../db/schema";
import { RETENTION_FIELDS, TOP_LEVEL_FIELDS, valuesOf } from "../../domain/check-fields";
import { describeRetention, isDefaultRetention } from "../../domain/retention";
import { currentReason, currentStatus } from "../../domain/state";
import { effectiveRpoS } from "../../domain/status/rpo";
import { iso } from "./views";

/**
 * `pingKey` null: the answer is for the read-only token, which gets no capability: no uuid and no
 * ping URLs, and the parent by its unique_key (docs/SECURITY.md, "The read-only token").
 */
export type Links = { baseUrl: string; pingKey: string | null };

/** A check as the API shows it: snake_case, ISO times, derived status and both ping URLs. */
export function checkView(row: CheckRow, links: Links, now: number, parent: CheckIds | null = null) {
  const pingKey = links.pingKey;
  // A push token pings the check, like its uuid: only the admin token sees it.
  const { push_token, ...fields } = valuesOf(TOP_LEVEL_FIELDS, row);
  return {
    ...(pingKey !== null ? { uuid: row.uuid } : {}),
    unique_key: uniqueKeyOf(row),
    ...fields,
    ...(pingKey !== null ? { push_token } : {}),
    period_s: row.cron ? null : row.periodS,
    parent: parent && (pingKey !== null ? parent.uuid : parent.uniqueKey),
    status: currentStatus(row, now),
    status_reason: currentReason(row, now).reason,
    retention: {
      ...valuesOf(RETENTION_FIELDS, row),
      problem: row.retentionProblem,
      summary: describeRetention(row),
      default: isDefaultRetention(row, now),
    },
    effective_rpo_s: effectiveRpoS(row, now),
    badges: badgeUrls(links.baseUrl, row.badgeKey ?? ""),
    n_pings: row.nPings,
    last_ping_at: iso(row.lastPingAt),
    last_duration_s: row.lastDurationMs === null ? null : row.lastDurationMs / 1000,
    next_due_at: iso(row.nextDueAt),
    alert_after: iso(row.alertAfter),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    ...(pingKey !== null
      ? {
          ping_url: `${links.baseUrl}/ping/${row.uuid}`,
          slug_ping_url: `${links.baseUrl}/ping/${pingKey}/${row.slug}`,
          push_url: pushUrl(links.baseUrl, row),
        }
      : {}),
  };
}

/** The Uptime Kuma push URL of a check (routes/push.ts): its push token, or its uuid. */
export const pushUrl = (baseUrl: string, row: Pick<CheckRow, "uuid" | "pushToken">) =>
  `${baseUrl}/api/push/${row.pushToken ?? row.uuid}`;

/** How a check may be named: the uuid (a ping capability) and the unique_key (grants nothing). */
export type CheckIds = { uuid: string; uniqueKey: string };

/** The column is filled on every insert (drizzle default or trigger); "" only if a row escaped both. */
export const uniqueKeyOf = (row: { uniqueKey: string | null }) => row.uniqueKey ?? "";

/** The badge URLs of a check (routes/badges.ts). */
export function badgeUrls(baseUrl: string, key: string) {
  const url = (file: string) => `${baseUrl}/badge/${key}/${file}`;
  return {
    state_svg: url("state.svg"),
    rpo_svg: url("rpo.svg"),
    drill_svg: url("drill.svg"),
    state_json: url("state.json"),
    rpo_json: url("rpo.json"),
    drill_json: url("drill.json"),
  };
}
