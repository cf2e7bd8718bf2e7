CREATE TABLE `drills` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`backup_id` text NOT NULL,
	`check_id` integer NOT NULL,
	`ok` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`details` text DEFAULT '{}' NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`key_id` text,
	`reported_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `drills_by_check` ON `drills` (`check_id`,`reported_at`);--> statement-breakpoint
CREATE INDEX `drills_by_backup` ON `drills` (`backup_id`);