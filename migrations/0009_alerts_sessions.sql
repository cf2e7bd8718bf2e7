-- Issue 13: alerts that flapping cannot hide, a read token without capabilities, revocable sessions.
-- Dashboard sessions ended by logout (domain/session.ts), kept until the session would have expired.
CREATE TABLE `revoked_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
-- unique_key: a stable id that grants nothing, shown to the read-only token and used in alert links
-- instead of the uuid (a ping capability). Added like badge_key (0006): nullable, every existing
-- check gets its own random key, and a trigger covers inserts that bypass drizzle.
ALTER TABLE `checks` ADD `unique_key` text;--> statement-breakpoint
UPDATE `checks` SET `unique_key` = lower(hex(randomblob(20))) WHERE `unique_key` IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `checks_unique_key` ON `checks` (`unique_key`);--> statement-breakpoint
CREATE TRIGGER `checks_unique_key_default` AFTER INSERT ON `checks`
WHEN NEW.`unique_key` IS NULL
BEGIN
  UPDATE `checks` SET `unique_key` = lower(hex(randomblob(20))) WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
CREATE INDEX `notifications_flapping_open` ON `notifications` (`id`) WHERE kind = 'flapping' AND resolved_at IS NULL;--> statement-breakpoint
-- A check that is already down and fails for a new reason (a failed backup, then an empty one) is
-- news too: the trigger now also records a down → down flip when the reason changes, so such a
-- failure reaches the outbox like any other (docs/CHANNELS.md, "Flapping").
DROP TRIGGER `flip_on_status`;--> statement-breakpoint
CREATE TRIGGER `flip_on_status` AFTER UPDATE OF `status`, `status_reason` ON `checks`
WHEN OLD.`status` <> NEW.`status`
  OR (OLD.`status` = 'down' AND NEW.`status` = 'down' AND OLD.`status_reason` IS NOT NEW.`status_reason`)
BEGIN
  INSERT INTO `flips` (`check_id`, `from_status`, `to_status`, `reason`, `detail`, `created_at`)
  VALUES (NEW.`id`, OLD.`status`, NEW.`status`, coalesce(NEW.`status_reason`, ''), coalesce(NEW.`status_detail`, ''), NEW.`updated_at`);
END;
