CREATE TABLE `maintenance_windows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`cron` text,
	`tz` text DEFAULT 'UTC' NOT NULL,
	`duration_s` integer,
	`tags` text DEFAULT '[]' NOT NULL,
	`checks` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `maintenance_windows_uuid_unique` ON `maintenance_windows` (`uuid`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `notifications_by_channel`;--> statement-breakpoint
ALTER TABLE `notifications` ADD `check_id` integer;--> statement-breakpoint
ALTER TABLE `notifications` ADD `kind` text DEFAULT 'down' NOT NULL;--> statement-breakpoint
ALTER TABLE `notifications` ADD `suppressed_reason` text;--> statement-breakpoint
ALTER TABLE `notifications` ADD `resolved_at` integer;--> statement-breakpoint
ALTER TABLE `notifications` ADD `response_status` integer;--> statement-breakpoint
CREATE INDEX `notifications_by_check_channel` ON `notifications` (`check_id`,`channel_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_quiet` ON `notifications` (`id`) WHERE status = 'suppressed' AND resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX `notifications_by_channel` ON `notifications` (`channel_id`,`id`);--> statement-breakpoint
ALTER TABLE `channels` ADD `target` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `filter_tags` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `filter_checks` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `repeat_every_s` integer;--> statement-breakpoint
ALTER TABLE `channels` ADD `status` text DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `broken_reason` text;--> statement-breakpoint
ALTER TABLE `channels` ADD `broken_at` integer;--> statement-breakpoint
ALTER TABLE `channels` ADD `updated_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `failure_threshold` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `flap_threshold` integer DEFAULT 6 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `parent_id` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `consecutive_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `checks_down` ON `checks` (`id`) WHERE status = 'down';--> statement-breakpoint
CREATE INDEX `checks_by_parent` ON `checks` (`parent_id`) WHERE parent_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `flips_by_check_time` ON `flips` (`check_id`,`created_at`);--> statement-breakpoint
UPDATE `notifications` SET `check_id` = (SELECT `check_id` FROM `flips` WHERE `flips`.`id` = `notifications`.`flip_id`);--> statement-breakpoint
UPDATE `notifications` SET `kind` = 'up' WHERE `flip_id` IN (SELECT `id` FROM `flips` WHERE `to_status` = 'up');
