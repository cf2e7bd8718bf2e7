-- Issue 14 (8): which backup a ping reports, so the dashboard counts each backup run once.
ALTER TABLE `pings` ADD `backup_id` text;
