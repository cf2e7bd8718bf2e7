CREATE TABLE `agent_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`scopes` text NOT NULL,
	`checks` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE TABLE `channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channels_uuid_unique` ON `channels` (`uuid`);--> statement-breakpoint
CREATE TABLE `checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'heartbeat' NOT NULL,
	`period_s` integer,
	`cron` text,
	`tz` text DEFAULT 'UTC' NOT NULL,
	`grace_s` integer NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`desc` text DEFAULT '' NOT NULL,
	`group_name` text DEFAULT '' NOT NULL,
	`public` integer DEFAULT false NOT NULL,
	`min_duration_s` integer,
	`early_s` integer,
	`status` text DEFAULT 'new' NOT NULL,
	`status_reason` text,
	`status_detail` text,
	`last_ping_at` integer,
	`last_start_at` integer,
	`last_start_rid` text,
	`last_duration_ms` integer,
	`next_due_at` integer,
	`alert_after` integer,
	`n_pings` integer DEFAULT 0 NOT NULL,
	`revision` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `checks_uuid_unique` ON `checks` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `checks_slug_unique` ON `checks` (`slug`);--> statement-breakpoint
CREATE INDEX `checks_due` ON `checks` (`alert_after`) WHERE status IN ('new', 'up') AND alert_after IS NOT NULL;--> statement-breakpoint
CREATE TABLE `flips` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`check_id` integer NOT NULL,
	`from_status` text NOT NULL,
	`to_status` text NOT NULL,
	`reason` text NOT NULL,
	`detail` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE INDEX `flips_by_check` ON `flips` (`check_id`,`id`);--> statement-breakpoint
CREATE INDEX `flips_unprocessed` ON `flips` (`id`) WHERE processed_at IS NULL;--> statement-breakpoint
CREATE TABLE `nonces` (
	`key_id` text NOT NULL,
	`nonce` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`key_id`, `nonce`)
);
--> statement-breakpoint
CREATE INDEX `nonces_expiry` ON `nonces` (`expires_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`flip_id` integer NOT NULL,
	`channel_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_until` integer,
	`last_error` text,
	`sent_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`flip_id`) REFERENCES `flips`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_idempotency_key_unique` ON `notifications` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `notifications_due` ON `notifications` (`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `notifications_by_flip` ON `notifications` (`flip_id`);--> statement-breakpoint
CREATE INDEX `notifications_by_channel` ON `notifications` (`channel_id`);--> statement-breakpoint
CREATE TABLE `pings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`check_id` integer NOT NULL,
	`kind` text NOT NULL,
	`exit_status` integer,
	`rid` text,
	`duration_ms` integer,
	`outcome` text,
	`body` text DEFAULT '' NOT NULL,
	`body_truncated` integer DEFAULT false NOT NULL,
	`source` text NOT NULL,
	`method` text NOT NULL,
	`ip` text,
	`user_agent` text,
	`key_id` text,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`check_id`) REFERENCES `checks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `pings_by_check` ON `pings` (`check_id`,`id`);