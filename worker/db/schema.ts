import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are unix milliseconds (server clock) in integer columns named *_at.

/** heartbeat: pings; backup: the agent's uploads; restic: a restic REST repository (docs/RESTIC.md). */
export const CHECK_KINDS = ["heartbeat", "backup", "restic"] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const checks = sqliteTable(
  "checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CHECK_KINDS }).notNull().default("heartbeat"),
    periodS: integer("period_s"),
    cron: text("cron"),
    tz: text("tz").notNull().default("UTC"),
    graceS: integer("grace_s").notNull(),
    tags: text("tags", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    desc: text("desc").notNull().default(""),
    group: text("group_name").notNull().default(""),
    public: integer("public", { mode: "boolean" }).notNull().default(false),
    minDurationS: integer("min_duration_s"),
    earlyS: integer("early_s"),
    failureThreshold: integer("failure_threshold").notNull().default(1),
    // Backup checks: a complete backup smaller than this fraction of the median of the last 7 is
    // suspicious; with `expectChange`, so is one identical to the previous backup.
    minSizeFraction: real("min_size_fraction").notNull().default(0.5),
    expectChange: integer("expect_change", { mode: "boolean" }).notNull().default(false),
    // Retention (backup checks; docs/RETENTION.md). No keep rule set: retention is off.
    keepLast: integer("keep_last"),
    keepHourly: integer("keep_hourly"),
    keepDaily: integer("keep_daily"),
    keepWeekly: integer("keep_weekly"),
    keepMonthly: integer("keep_monthly"),
    keepYearly: integer("keep_yearly"),
    keepWithinS: integer("keep_within_s"),
    minAgeDays: integer("min_age_days").notNull().default(7),
    // restic checks: the repository's storage quota in bytes (507 beyond it); null: none.
    quotaBytes: integer("quota_bytes"),
    tombstoneDays: integer("tombstone_days").notNull().default(3),
    // When the sweep last applied retention here (round-robin), and what the history lacks, in words.
    retentionCheckedAt: integer("retention_checked_at"),
    retentionProblem: text("retention_problem"),
    // More state changes than this in an hour is flapping: one alert instead of many.
    flapThreshold: integer("flap_threshold").notNull().default(6),
    // The host's heartbeat: while it is down, this check's alerts fold into the parent's.
    parentId: integer("parent_id"),
    // Recovery objectives (docs/STATUS_PAGE.md). rpo_s null: derived from the schedule (interval + grace).
    rpoS: integer("rpo_s"),
    // How often a restore drill should prove the backups restore; null: no expectation.
    drillEveryS: integer("drill_every_s"),
    // The status page shows a public check's description, backup sizes and incident details only with this.
    publicDetails: integer("public_details", { mode: "boolean" }).notNull().default(false),
    // The secret in badge URLs (/badge/<key>/state.svg): 32 random hex, so a badge reveals one value only.
    // Nullable in SQL only because SQLite cannot add a column with a random default; the
    // checks_badge_key_default trigger (0006) fills it for inserts that do not go through drizzle.
    badgeKey: text("badge_key").$defaultFn(newBadgeKey),
    // healthchecks' per-check ping options (docs/COMPATIBILITY.md). methods "POST": GET and HEAD
    // pings are recorded as ignored. manual_resume: a paused check ignores pings until resumed.
    methods: text("methods", { enum: ["", "POST"] })
      .notNull()
      .default(""),
    manualResume: integer("manual_resume", { mode: "boolean" }).notNull().default(false),
    // Keyword filters: with filter_http_body, a ping body is classified by failure_kw, then
    // success_kw, then start_kw (comma-separated, case-sensitive substrings); no match is ignored,
    // or a failure with filter_default_fail. filter_subject/filter_body are healthchecks' email
    // filters, kept for API round trips: Lifeboat receives no email.
    filterSubject: integer("filter_subject", { mode: "boolean" }).notNull().default(false),
    filterBody: integer("filter_body", { mode: "boolean" }).notNull().default(false),
    filterHttpBody: integer("filter_http_body", { mode: "boolean" }).notNull().default(false),
    filterDefaultFail: integer("filter_default_fail", { mode: "boolean" }).notNull().default(false),
    startKw: text("start_kw").notNull().default(""),
    successKw: text("success_kw").notNull().default(""),
    failureKw: text("failure_kw").notNull().default(""),
    // Uptime Kuma push monitors: /api/push/<push_token> also finds the check by this secret, so
    // a Kuma push URL keeps its token when only its host changes. Null: only the uuid works.
    pushToken: text("push_token").unique(),
    // A stable id that grants nothing (healthchecks' unique_key): what the read-only token and alert
    // links use instead of the uuid, which is a ping capability. 40 random hex; nullable in SQL only
    // for the same reason as badge_key, and the checks_unique_key_default trigger (0008) fills it.
    uniqueKey: text("unique_key").$defaultFn(newUniqueKey),

    // Stored state; `late` and `started` are derived from the clock (domain/state.ts).
    status: text("status", { enum: ["new", "up", "down", "paused"] })
      .notNull()
      .default("new"),
    // Why the status last changed, in a word and in words; the flip_on_status trigger copies them.
    statusReason: text("status_reason"),
    statusDetail: text("status_detail"),
    lastPingAt: integer("last_ping_at"),
    lastStartAt: integer("last_start_at"),
    lastStartRid: text("last_start_rid"),
    lastDurationMs: integer("last_duration_ms"),
    nextDueAt: integer("next_due_at"),
    // When the check goes down if nothing arrives; precomputed so the sweep is one range scan.
    alertAfter: integer("alert_after"),
    nPings: integer("n_pings").notNull().default(0),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    // Random per write: a write applies only if nobody wrote since we read (optimistic concurrency).
    revision: text("revision").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // Down checks: reminders and the status of parents are read from here.
    index("checks_down")
      .on(t.id)
      .where(sql`status = 'down'`),
    index("checks_retention_due")
      .on(t.retentionCheckedAt)
      .where(sql`kind = 'backup'`),
    index("checks_by_parent")
      .on(t.parentId)
      .where(sql`parent_id IS NOT NULL`),
    index("checks_due")
      .on(t.alertAfter)
      .where(sql`status IN ('new', 'up') AND alert_after IS NOT NULL`),
    uniqueIndex("checks_badge_key").on(t.badgeKey),
    uniqueIndex("checks_unique_key").on(t.uniqueKey),
    // The status page reads only public checks (and their backup checks by kind) from this alone.
    index("checks_public")
      .on(t.kind, t.id)
      .where(sql`public = 1`),
  ],
);

/** A fresh badge key: 128 random bits as hex, like the migration's lower(hex(randomblob(16))). */
export function newBadgeKey(): string {
  return randomHex(16);
}

/** A fresh unique_key: 160 random bits as hex (the length of healthchecks' sha1), like lower(hex(randomblob(20))). */
export function newUniqueKey(): string {
  return randomHex(20);
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** "ign": received but ignored (methods, keyword filters, manual_resume), as healthchecks records it. */
export const PING_KINDS = ["success", "start", "fail", "log", "exit", "ign"] as const;
export const PING_SOURCES = ["url", "signed", "restic"] as const;

/**
 * The ping log: a fixed ring of PINGS_KEPT slots per check (WITHOUT ROWID, keyed by check and slot,
 * migration 0013), each new ping written over the oldest slot in place. One row written per ping
 * and nothing ever pruned: the Free plan's rows-written budget (docs/FREE_PLAN.md).
 */
export const pings = sqliteTable(
  "pings",
  {
    checkId: integer("check_id")
      .notNull()
      .references(() => checks.id, { onDelete: "cascade" }),
    // The check's ping number (healthchecks' `n`): 1 for its first ping, then its n_pings.
    n: integer("n").notNull(),
    // n % PINGS_KEPT: a new ping overwrites the slot of the ping PINGS_KEPT before it.
    slot: integer("slot").notNull(),
    kind: text("kind", { enum: PING_KINDS }).notNull(),
    exitStatus: integer("exit_status"),
    rid: text("rid"),
    durationMs: integer("duration_ms"),
    // Why a success ping counted as a failure (too_short, too_early), if it did.
    outcome: text("outcome"),
    body: text("body").notNull().default(""),
    // The body's bytes (base64) when they are not valid UTF-8 (healthchecks keeps raw bytes): \`body\`
    // then holds them decoded with U+FFFD for display, and this is what the body endpoints return.
    bodyBase64: text("body_base64"),
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    // url: a ping URL; signed: the agent's signed requests; restic: a snapshot stored through /restic/.
    source: text("source", { enum: PING_SOURCES }).notNull(),
    method: text("method").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    keyId: text("key_id"),
    // The backup whose completion or failure this ping reports: the dashboard's success rate counts
    // that run from `backups` (kept for good) and only the pings without one (a run that failed
    // before it registered a backup, a `lifeboat run` job) from here.
    backupId: text("backup_id"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.slot] })],
);

// A check's history: transitions (the status changed, or a down check's reason), written only by
// the flip_on_status trigger (migrations/0010_first_hour.sql) in the same statement that makes the
// change, and events (from = to: news that changes no state), written only by
// services/state-changes.ts recordEvent. No foreign key: the sweep inserts one flip per overdue
// check and a parent lookup would cost a read each; deleteCheck removes them.
export const flips = sqliteTable(
  "flips",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkId: integer("check_id").notNull(),
    fromStatus: text("from_status").notNull(),
    toStatus: text("to_status").notNull(),
    reason: text("reason").notNull(),
    detail: text("detail").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    // Set once the flip has been fanned out into notification rows.
    processedAt: integer("processed_at"),
  },
  (t) => [
    index("flips_by_check").on(t.checkId, t.id),
    // Flips of a check in the last hour (flapping) without reading its whole history.
    index("flips_by_check_time").on(t.checkId, t.createdAt),
    index("flips_unprocessed")
      .on(t.id)
      .where(sql`processed_at IS NULL`),
  ],
);

export const CHANNEL_KINDS = ["webhook", "slack", "discord", "telegram", "ntfy", "email", "pagerduty"] as const;

export const channels = sqliteTable("channels", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  uuid: text("uuid").notNull().unique(),
  name: text("name").notNull(),
  kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
  // The kind's config (URLs with tokens, routing keys, bot tokens) sealed with AES-GCM under a key
  // derived from LIFEBOAT_MASTER_KEY: a D1 export alone reveals no credential.
  config: text("config").notNull(),
  // A description without secrets ("Slack hooks.slack.com/…/XXXX"), for lists and logs.
  target: text("target").notNull().default(""),
  filterTags: text("filter_tags", { mode: "json" })
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'`),
  filterChecks: text("filter_checks", { mode: "json" })
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'`),
  repeatEveryS: integer("repeat_every_s"),
  status: text("status", { enum: ["ok", "broken"] })
    .notNull()
    .default("ok"),
  brokenReason: text("broken_reason"),
  brokenAt: integer("broken_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull().default(0),
});

export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // "<flip id>:<channel id>": the outbox never holds two rows for one event on one channel.
    idempotencyKey: text("idempotency_key").notNull().unique(),
    flipId: integer("flip_id")
      .notNull()
      .references(() => flips.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    checkId: integer("check_id"),
    kind: text("kind", { enum: ["down", "up", "reminder", "flapping", "retention", "drill"] })
      .notNull()
      .default("down"),
    status: text("status", { enum: ["pending", "sent", "failed", "suppressed"] })
      .notNull()
      .default("pending"),
    // Why a suppressed row was kept quiet (maintenance, parent_down, flapping), and when the quiet
    // was re-examined and the channel brought up to date.
    suppressedReason: text("suppressed_reason"),
    resolvedAt: integer("resolved_at"),
    responseStatus: integer("response_status"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    // A sender holds a row until this time; a crashed sender's claim simply expires.
    claimedUntil: integer("claimed_until"),
    lastError: text("last_error"),
    sentAt: integer("sent_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("notifications_due")
      .on(t.nextAttemptAt)
      .where(sql`status = 'pending'`),
    index("notifications_by_flip").on(t.flipId),
    index("notifications_by_channel").on(t.channelId, t.id),
    index("notifications_by_check_channel").on(t.checkId, t.channelId, t.id),
    index("notifications_quiet")
      .on(t.id)
      .where(sql`status = 'suppressed' AND resolved_at IS NULL`),
    // Flapping alerts whose episode has not been summed up yet (services/alert-pipeline/enqueue.ts).
    index("notifications_flapping_open")
      .on(t.id)
      .where(sql`kind = 'flapping' AND resolved_at IS NULL`),
  ],
);

export const maintenanceWindows = sqliteTable("maintenance_windows", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  uuid: text("uuid").notNull().unique(),
  name: text("name").notNull(),
  // One-off: both set. Recurring: `cron` + `duration_s` in `tz`, optionally bounded by them.
  startsAt: integer("starts_at"),
  endsAt: integer("ends_at"),
  cron: text("cron"),
  tz: text("tz").notNull().default("UTC"),
  durationS: integer("duration_s"),
  tags: text("tags", { mode: "json" })
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'`),
  checks: text("checks", { mode: "json" })
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'`),
  createdAt: integer("created_at").notNull(),
});

/** Small server-side settings, e.g. the public URL learned from admin requests. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const agentKeys = sqliteTable("agent_keys", {
  // The key id is public; its secret is HMAC(LIFEBOAT_MASTER_KEY, id) and is never stored.
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  checks: text("checks", { mode: "json" }).$type<string[]>().notNull(),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
  lastUsedAt: integer("last_used_at"),
});

/**
 * Signed requests' nonces, WITHOUT ROWID keyed by (bucket, key, nonce) (migration 0013): the bucket
 * is the request's signed timestamp / 600 s, so a replay (same timestamp) hits the same key, and
 * expired buckets are pruned as one range of the primary key: one row written per request, no
 * expiry index (domain/signing.ts nonceBucket).
 */
export const nonces = sqliteTable(
  "nonces",
  {
    bucket: integer("bucket").notNull(),
    keyId: text("key_id").notNull(),
    nonce: text("nonce").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.keyId, t.nonce] })],
);

export const BACKUP_STATUSES = ["uploading", "complete", "suspicious", "failed", "tombstoned", "deleted"] as const;
export const BACKUP_SOURCES = ["postgres", "mysql", "sqlite", "directory", "volume", "command"] as const;

/** `statement`: the signed text; `value`: the signature, base64; `public_key`: the signer's SPKI DER, base64. */
export type BackupSignature = { statement: string; value: string; public_key: string };

/** One artifact: a manifest of parts listed in D1, the bytes in R2 under server-chosen keys. */
export const backups = sqliteTable(
  "backups",
  {
    // "bk_" + 20 random hex: the server names every backup; nothing a client sends becomes a path.
    id: text("id").primaryKey(),
    checkId: integer("check_id").notNull(),
    status: text("status", { enum: BACKUP_STATUSES }).notNull().default("uploading"),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    partSize: integer("part_size").notNull(),
    partCount: integer("part_count").notNull(),
    compression: text("compression").notNull(),
    encryption: text("encryption").notNull(),
    source: text("source", { enum: BACKUP_SOURCES }).notNull(),
    host: text("host").notNull(),
    meta: text("meta", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    keyId: text("key_id"),
    // Server time: the only time retention trusts. Client-claimed times stay in `meta`.
    receivedAt: integer("received_at").notNull(),
    // Nothing tombstones or deletes this backup, or a part it uses, before this time: received_at
    // plus the check's min_age_days at that moment. Fixed when received; a later policy change does
    // not move it, and a trigger (migrations/0007) refuses any UPDATE that would make it earlier.
    immutableUntil: integer("immutable_until").notNull(),
    completedAt: integer("completed_at"),
    // Why a complete backup is suspicious, in words ("shrank 98 %: 1.2 GB → 21 kB").
    anomaly: text("anomaly"),
    failureLog: text("failure_log"),
    // Two-phase deletion: hidden and restorable (undelete) until purge_after, then purged.
    tombstonedAt: integer("tombstoned_at"),
    tombstonedFrom: text("tombstoned_from"),
    tombstoneReason: text("tombstone_reason"),
    purgeAfter: integer("purge_after"),
    // Bytes this backup added to storage (parts not already stored for the check).
    newBytes: integer("new_bytes").notNull().default(0),
    // The host's Ed25519 signature over a statement of what it backed up (docs/BACKUPS.md). The
    // Worker keeps and returns it; restores trust the statement only if a key they trust signed it.
    signature: text("signature", { mode: "json" }).$type<BackupSignature>(),
  },
  (t) => [
    index("backups_by_check").on(t.checkId, t.receivedAt),
    index("backups_uploading")
      .on(t.receivedAt)
      .where(sql`status = 'uploading'`),
    index("backups_purge_due")
      .on(t.purgeAfter)
      .where(sql`status = 'tombstoned'`),
    // Backups leaving for good within one batch (see releaseMarked); never seen outside it.
    index("backups_leaving")
      .on(t.id)
      .where(sql`status = 'leaving'`),
  ],
);

export const backupParts = sqliteTable(
  "backup_parts",
  {
    backupId: text("backup_id").notNull(),
    idx: integer("idx").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.backupId, t.idx] }),
    // The purge recounts a part's live references through this before any R2 delete.
    index("backup_parts_by_sha256").on(t.sha256, t.backupId),
  ],
);

/**
 * A part's bytes, stored once per check under their sha256 and shared by every backup of that
 * check that has the same part (an unchanged volume's daily backup adds nothing). `refs` counts
 * the live backups that use it; at 0 the sweep deletes the object. Each incarnation gets its own
 * R2 key, so a purge can never delete bytes that a newer upload of the same content wrote.
 */
export const blobs = sqliteTable(
  "blobs",
  {
    checkId: integer("check_id").notNull(),
    sha256: text("sha256").notNull(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    stored: integer("stored", { mode: "boolean" }).notNull().default(false),
    // The length R2 reported when the bytes were stored: complete and the download compare it with
    // each part's declared size, so a backup is never `complete` without every byte it declares.
    storedSize: integer("stored_size"),
    refs: integer("refs").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.checkId, t.sha256] }),
    index("blobs_unreferenced")
      .on(t.createdAt)
      .where(sql`refs = 0`),
  ],
);

export const DRILL_OUTCOMES = ["ok", "failed", "could_not_start"] as const;
export const DRILL_KINDS = ["drill", "restore"] as const;

/**
 * Restores the agent proved: drills (a backup restored into a scratch target, checked, timed: the
 * RTO) and manual restores that verified and loaded a backup. `could_not_start`: the drill never
 * got to the backup (its scratch database could not be made), which says nothing about the backup.
 */
export const drills = sqliteTable(
  "drills",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    backupId: text("backup_id").notNull(),
    checkId: integer("check_id").notNull(),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    outcome: text("outcome", { enum: DRILL_OUTCOMES }).notNull().default("ok"),
    kind: text("kind", { enum: DRILL_KINDS }).notNull().default("drill"),
    durationMs: integer("duration_ms").notNull(),
    details: text("details", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    message: text("message").notNull().default(""),
    keyId: text("key_id"),
    reportedAt: integer("reported_at").notNull(),
  },
  (t) => [index("drills_by_check").on(t.checkId, t.reportedAt), index("drills_by_backup").on(t.backupId)],
);

/** R2 objects to delete: filled in the same transaction that drops their last reference. */
export const purgeQueue = sqliteTable(
  "purge_queue",
  {
    r2Key: text("r2_key").primaryKey(),
    size: integer("size").notNull(),
    // Not before this time: a restic upload in flight is queued a day ahead (services/restic-files.ts).
    queuedAt: integer("queued_at").notNull(),
  },
  (t) => [index("purge_queue_due").on(t.queuedAt)],
);

export const RESTIC_TYPES = ["config", "data", "keys", "locks", "snapshots", "index"] as const;

/**
 * One file of a restic repository (docs/RESTIC.md): listed from here, never by listing R2. The
 * bytes live in R2 under `r2_key`, a server-chosen key per upload, so a purge of a deleted file can
 * never hit a later upload of the same name. No file is deleted before `immutable_until` (received
 * time + the check's min_age_days at that moment; locks have no window).
 */
export const resticFiles = sqliteTable(
  "restic_files",
  {
    checkId: integer("check_id").notNull(),
    type: text("type", { enum: RESTIC_TYPES }).notNull(),
    name: text("name").notNull(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    receivedAt: integer("received_at").notNull(),
    immutableUntil: integer("immutable_until").notNull(),
    keyId: text("key_id"),
    // Snapshots: bytes received in this repository since the previous snapshot, this file included.
    addedBytes: integer("added_bytes"),
  },
  (t) => [
    primaryKey({ columns: [t.checkId, t.type, t.name] }),
    index("restic_snapshots_by_time")
      .on(t.checkId, t.receivedAt)
      .where(sql`type = 'snapshots'`),
  ],
);

/**
 * Running totals of a restic repository, so a quota check or a metric is one row, whatever the
 * number of files. Created by `restic init` (POST ?create=true) or the first upload.
 */
export const resticRepos = sqliteTable("restic_repos", {
  checkId: integer("check_id").primaryKey(),
  // Bytes and files restic can see (deleted files leave these at once; R2 frees them on purge).
  storedBytes: integer("stored_bytes").notNull().default(0),
  files: integer("files").notNull().default(0),
  // Every byte ever accepted, and its value when the newest snapshot arrived: the difference is
  // what the next snapshot reports as added.
  receivedBytes: integer("received_bytes").notNull().default(0),
  snapshotReceivedBytes: integer("snapshot_received_bytes").notNull().default(0),
  lastSnapshotAt: integer("last_snapshot_at"),
  createdAt: integer("created_at").notNull(),
});

/**
 * Never holds a row. A unit of work's guard inserts one when its condition does not hold, and the
 * CHECK fails the batch, so the whole unit rolls back (worker/services/unit-of-work.ts).
 */
export const unitOfWorkGuards = sqliteTable("unit_of_work_guards", { guard: text("guard").notNull() }, () => [
  check("a_guard_did_not_hold", sql`0`),
]);

/**
 * The status page's memo of finished UTC days: a finished day's bar never changes, so it is computed
 * once (lazily, on render) and kept here, oldest first, up to 89 days ending with `last_day`.
 * One row per check, so a render reads one row per public check, not one per day.
 */
export const statusBars = sqliteTable("status_bars", {
  checkId: integer("check_id").primaryKey(),
  // Days since 1970-01-01 (UTC) of the newest stored day.
  lastDay: integer("last_day").notNull(),
  // JSON: [[colour, value], …] per day; value is the worst RPO age in seconds or the uptime ratio.
  days: text("days").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Dashboard sessions ended by logout before they expire (domain/session.ts). A row lives as long as
 * the session would have; logging out prunes the expired ones.
 */
export const revokedSessions = sqliteTable("revoked_sessions", {
  sessionId: text("session_id").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Who watches the watchman (docs/STATUS_PAGE.md, /health): the minutely sweep's own heartbeat. One
 * row (id 1), written at the start and the end of every sweep; the migration creates it with
 * `installed_at`, so a cron that never fires after a deploy shows as monitoring delayed since then.
 */
export const sweepState = sqliteTable("sweep_state", {
  id: integer("id").primaryKey(),
  installedAt: integer("installed_at").notNull(),
  lastStartedAt: integer("last_started_at"),
  // The end of the last sweep that finished without an error: what "monitoring is current" means.
  lastOkAt: integer("last_ok_at"),
  lastErrorAt: integer("last_error_at"),
  lastError: text("last_error"),
});

/**
 * The last sweeps for the dashboard, a fixed ring: slot = the run's minute modulo the ring size,
 * so the table never grows. A run that started and has no `finished_at` was cut off (CPU limit).
 */
export const sweepRuns = sqliteTable("sweep_runs", {
  slot: integer("slot").primaryKey(),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
  durationMs: integer("duration_ms"),
  error: text("error"),
});

export type CheckRow = typeof checks.$inferSelect;
export type ResticFileRow = typeof resticFiles.$inferSelect;
export type ResticRepoRow = typeof resticRepos.$inferSelect;
export type BackupRow = typeof backups.$inferSelect;
export type DrillRow = typeof drills.$inferSelect;
export type BlobRow = typeof blobs.$inferSelect;
export type PingRow = typeof pings.$inferSelect;
export type FlipRow = typeof flips.$inferSelect;
export type ChannelRow = typeof channels.$inferSelect;
export type AgentKeyRow = typeof agentKeys.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type MaintenanceRow = typeof maintenanceWindows.$inferSelect;
export type SweepStateRow = typeof sweepState.$inferSelect;
export type SweepRunRow = typeof sweepRuns.$inferSelect;
