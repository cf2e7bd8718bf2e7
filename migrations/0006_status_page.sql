-- The public status page, badges and feeds (docs/STATUS_PAGE.md).
CREATE TABLE `status_bars` (
	`check_id` integer PRIMARY KEY NOT NULL,
	`last_day` integer NOT NULL,
	`days` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `checks` ADD `rpo_s` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `drill_every_s` integer;--> statement-breakpoint
ALTER TABLE `checks` ADD `public_details` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- SQLite cannot ADD a column whose default is an expression, so badge_key is added nullable,
-- every existing check gets its own random key, and a trigger covers inserts that bypass drizzle.
ALTER TABLE `checks` ADD `badge_key` text;--> statement-breakpoint
UPDATE `checks` SET `badge_key` = lower(hex(randomblob(16))) WHERE `badge_key` IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `checks_badge_key` ON `checks` (`badge_key`);--> statement-breakpoint
CREATE TRIGGER `checks_badge_key_default` AFTER INSERT ON `checks`
WHEN NEW.`badge_key` IS NULL
BEGIN
  UPDATE `checks` SET `badge_key` = lower(hex(randomblob(16))) WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
CREATE INDEX `checks_public` ON `checks` (`kind`,`id`) WHERE public = 1;
