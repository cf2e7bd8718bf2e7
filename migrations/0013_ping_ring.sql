-- Issue 18: fewer D1 rows written per ping (docs/FREE_PLAN.md, docs/DECISIONS.md).
--
-- The ping log becomes a ring: PRIMARY KEY (check_id, slot) WITHOUT ROWID, slot = n % 100, so a
-- ping overwrites the slot of the ping 100 before it in place: one row written, and no pruning
-- (before: an insert into the table and its index, and every tenth ping ten deletes with theirs).
-- `n` is the check's own ping number (healthchecks' n), no longer a global id. The last 100 pings
-- of every check are kept, numbered back from the check's n_pings.
CREATE TABLE `pings_ring` (
	`check_id` integer NOT NULL REFERENCES `checks`(`id`) ON UPDATE no action ON DELETE cascade,
	`n` integer NOT NULL,
	`slot` integer NOT NULL,
	`kind` text NOT NULL,
	`exit_status` integer,
	`rid` text,
	`duration_ms` integer,
	`outcome` text,
	`body` text DEFAULT '' NOT NULL,
	`body_base64` text,
	`body_truncated` integer DEFAULT false NOT NULL,
	`source` text NOT NULL,
	`method` text NOT NULL,
	`ip` text,
	`user_agent` text,
	`key_id` text,
	`backup_id` text,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `slot`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `pings_ring` (`check_id`, `n`, `slot`, `kind`, `exit_status`, `rid`, `duration_ms`, `outcome`, `body`,
  `body_truncated`, `source`, `method`, `ip`, `user_agent`, `key_id`, `backup_id`, `received_at`)
SELECT `check_id`, `n`, ((`n` % 100) + 100) % 100, `kind`, `exit_status`, `rid`, `duration_ms`, `outcome`, `body`,
  `body_truncated`, `source`, `method`, `ip`, `user_agent`, `key_id`, `backup_id`, `received_at`
FROM (
  SELECT p.*, c.`n_pings` + 1 - row_number() OVER (PARTITION BY p.`check_id` ORDER BY p.`id` DESC) AS `n`,
    row_number() OVER (PARTITION BY p.`check_id` ORDER BY p.`id` DESC) AS `age`
  FROM `pings` p JOIN `checks` c ON c.`id` = p.`check_id`
) WHERE `age` <= 100;
--> statement-breakpoint
DROP TABLE `pings`;--> statement-breakpoint
ALTER TABLE `pings_ring` RENAME TO `pings`;--> statement-breakpoint
-- Nonces keyed by (bucket, key, nonce), WITHOUT ROWID: bucket = the signed timestamp / 600 s, so a
-- replay (which must carry the same timestamp) hits the same primary key, and the sweep prunes whole
-- buckets as one range of it. One row written per signed request instead of three (row, primary-key
-- index, expiry index). A nonce stored before this migration kept only its expiry (receipt + 600 s),
-- and its timestamp lay within 300 s of its receipt: it is copied into both buckets that range can
-- touch, so a replay across the upgrade is still refused.
CREATE TABLE `nonces_by_bucket` (
	`bucket` integer NOT NULL,
	`key_id` text NOT NULL,
	`nonce` text NOT NULL,
	PRIMARY KEY(`bucket`, `key_id`, `nonce`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT OR IGNORE INTO `nonces_by_bucket` (`bucket`, `key_id`, `nonce`)
SELECT (`expires_at` / 1000 - 900) / 600, `key_id`, `nonce` FROM `nonces`
UNION ALL
SELECT (`expires_at` / 1000 - 300) / 600, `key_id`, `nonce` FROM `nonces`;
--> statement-breakpoint
DROP TABLE `nonces`;--> statement-breakpoint
ALTER TABLE `nonces_by_bucket` RENAME TO `nonces`;
