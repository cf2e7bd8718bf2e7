ALTER TABLE `backups` ADD `signature` text;--> statement-breakpoint
ALTER TABLE `drills` ADD `outcome` text DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE `drills` ADD `kind` text DEFAULT 'drill' NOT NULL;--> statement-breakpoint
-- Drills reported before outcomes existed: a failed one was a failed restore.
UPDATE `drills` SET `outcome` = 'failed' WHERE `ok` = 0;
