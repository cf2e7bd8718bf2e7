-- restic_files is WITHOUT ROWID (hand-edited): a listing walks the primary key in order and finds
-- each size in the same b-tree row, one row read per file, no lookup into a separate table.
CREATE TABLE `restic_files` (
	`check_id` integer NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`received_at` integer NOT NULL,
	`immutable_until` integer NOT NULL,
	`key_id` text,
	`added_bytes` integer,
	PRIMARY KEY(`check_id`, `type`, `name`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `restic_snapshots_by_time` ON `restic_files` (`check_id`,`received_at`) WHERE type = 'snapshots';--> statement-breakpoint
CREATE TABLE `restic_repos` (
	`check_id` integer PRIMARY KEY NOT NULL,
	`stored_bytes` integer DEFAULT 0 NOT NULL,
	`files` integer DEFAULT 0 NOT NULL,
	`received_bytes` integer DEFAULT 0 NOT NULL,
	`snapshot_received_bytes` integer DEFAULT 0 NOT NULL,
	`last_snapshot_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `checks` ADD `quota_bytes` integer;--> statement-breakpoint
CREATE INDEX `purge_queue_due` ON `purge_queue` (`queued_at`);