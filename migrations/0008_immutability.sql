-- Issue 13: immutability fixed per backup, stored lengths, and the unit-of-work guard table.

-- Never holds a row: a unit of work's guard inserts one when its condition does not hold, and this
-- CHECK fails the batch, rolling the whole unit back (worker/services/unit-of-work.ts).
CREATE TABLE `unit_of_work_guards` (
	`guard` text NOT NULL,
	CONSTRAINT "a_guard_did_not_hold" CHECK(0)
);
--> statement-breakpoint
-- SQLite adds a NOT NULL column only with a default; every insert (createBackup) sets it. Backups
-- received before this migration get the window of their check's min_age_days as it is now (7 days
-- for one whose check is gone): the best that is known of the window they were received with.
ALTER TABLE `backups` ADD `immutable_until` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `backups` SET `immutable_until` = `received_at` + 86400000 * coalesce(
  (SELECT `min_age_days` FROM `checks` WHERE `checks`.`id` = `backups`.`check_id`), 7);--> statement-breakpoint
-- Compliance mode: a window can be extended, and shortened by nobody.
CREATE TRIGGER `backups_immutable_until_never_earlier` BEFORE UPDATE OF `immutable_until` ON `backups`
WHEN NEW.`immutable_until` < OLD.`immutable_until`
BEGIN
  SELECT RAISE(ABORT, 'immutable_until cannot be made earlier');
END;--> statement-breakpoint
-- A blob stored before this migration was accepted by R2 with the Content-Length of one of the
-- parts that name its sha256 (storePart refused any other length). Where every such part declares
-- the blob's size, that is its stored length; where a manifest gave one sha256 two sizes (finding
-- 3), the length is unknown and stays NULL, so complete and the download refuse those parts.
ALTER TABLE `blobs` ADD `stored_size` integer;--> statement-breakpoint
UPDATE `blobs` SET `stored_size` = `size` WHERE `stored` = 1 AND NOT EXISTS (
  SELECT 1 FROM `backup_parts` p JOIN `backups` b ON b.`id` = p.`backup_id`
  WHERE b.`check_id` = `blobs`.`check_id` AND p.`sha256` = `blobs`.`sha256` AND p.`size` <> `blobs`.`size`);--> statement-breakpoint
CREATE INDEX `backup_parts_by_sha256` ON `backup_parts` (`sha256`,`backup_id`);
