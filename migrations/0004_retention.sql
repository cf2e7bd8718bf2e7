ALTER TABLE `backups` ADD `tombstoned_at` integer;--> statement-breakpoint
ALTER TABLE `backups` ADD `tombstoned_from` text;--> statement-breakpoint
ALTER TABLE `backups` ADD `tombstone_reason` text;--> statement-breakpoint
ALTER TABLE `backups` ADD `purge_after` integer;--> statement-breakpoint
CREATE INDEX `backups_purge_due` ON `backups` (`purge_after`) WHERE status = 'tombstoned';--> statement-breakpoint
CREATE INDEX `backups_leaving` ON `backups` (`id`) WHERE status = 'leaving';--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_last` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_hourly` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_daily` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_weekly` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_monthly` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_yearly` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `keep_within_s` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `min_age_days` integer DEFAULT 7 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `tombstone_days` integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `retention_checked_at` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `retention_problem` text;--> statement-breakpoint
CREATE INDEX `checks_retention_due` ON `checks` (`retention_checked_at`) WHERE kind = 'backup';