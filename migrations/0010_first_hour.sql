-- Issue 14 (8): which backup a ping reports, so the dashboard counts each backup run once.
ALTER TABLE `pings` ADD `backup_id` text;--> statement-breakpoint
-- Issue 14 (9): a timeout's flip is dated at the deadline the check missed, not at the sweep that
-- noticed: currentStatus shows the check down from that deadline on, and the status page's open
-- incident (domain/state.ts pendingTimeout) starts there before and after the sweep alike.
-- Otherwise the trigger of 0009 (a down check failing for a new reason is a flip too).
DROP TRIGGER IF EXISTS `flip_on_status`;--> statement-breakpoint
CREATE TRIGGER `flip_on_status` AFTER UPDATE OF `status`, `status_reason` ON `checks`
WHEN OLD.`status` <> NEW.`status`
  OR (OLD.`status` = 'down' AND NEW.`status` = 'down' AND OLD.`status_reason` IS NOT NEW.`status_reason`)
BEGIN
  INSERT INTO `flips` (`check_id`, `from_status`, `to_status`, `reason`, `detail`, `created_at`)
  VALUES (NEW.`id`, OLD.`status`, NEW.`status`, coalesce(NEW.`status_reason`, ''), coalesce(NEW.`status_detail`, ''),
    CASE WHEN OLD.`status` <> 'down' AND NEW.`status` = 'down' AND NEW.`status_reason` IN ('timeout', 'run_timeout')
              AND OLD.`alert_after` IS NOT NULL AND OLD.`alert_after` < NEW.`updated_at`
         THEN OLD.`alert_after` ELSE NEW.`updated_at` END);
END;
--> statement-breakpoint
-- Issue 21: the sweep's own heartbeat (one row) and its last runs (a fixed ring of 10 slots).
CREATE TABLE `sweep_runs` (
	`slot` integer PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	`error` text
);
--> statement-breakpoint
CREATE TABLE `sweep_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`installed_at` integer NOT NULL,
	`last_started_at` integer,
	`last_ok_at` integer,
	`last_error_at` integer,
	`last_error` text
);
--> statement-breakpoint
-- Monitoring counts from here until the first sweep: a cron that never fires after this deploy
-- shows as "monitoring delayed" three minutes later instead of never.
INSERT INTO `sweep_state` (`id`, `installed_at`) VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
