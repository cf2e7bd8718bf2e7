CREATE TABLE `backup_parts` (
	`backup_id` text NOT NULL,
	`idx` integer NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	PRIMARY KEY(`backup_id`, `idx`)
);
--> statement-breakpoint
CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`check_id` integer NOT NULL,
	`status` text DEFAULT 'uploading' NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`part_size` integer NOT NULL,
	`part_count` integer NOT NULL,
	`compression` text NOT NULL,
	`encryption` text NOT NULL,
	`source` text NOT NULL,
	`host` text NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`key_id` text,
	`received_at` integer NOT NULL,
	`completed_at` integer,
	`anomaly` text,
	`failure_log` text,
	`new_bytes` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `backups_by_check` ON `backups` (`check_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `backups_uploading` ON `backups` (`received_at`) WHERE status = 'uploading';--> statement-breakpoint
CREATE TABLE `blobs` (
	`check_id` integer NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`stored` integer DEFAULT false NOT NULL,
	`refs` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`check_id`, `sha256`)
);
--> statement-breakpoint
CREATE INDEX `blobs_unreferenced` ON `blobs` (`created_at`) WHERE refs = 0;--> statement-breakpoint
CREATE TABLE `purge_queue` (
	`r2_key` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`queued_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `checks` ADD `min_size_fraction` real DEFAULT 0.5 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `expect_change` integer DEFAULT false NOT NULL;