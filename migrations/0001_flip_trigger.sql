-- Every status change of a check is recorded as a flip by the statement that makes it: the
-- sweep's one set-based UPDATE and a ping's conditional UPDATE alike. Nothing else writes flips.
CREATE TRIGGER `flip_on_status` AFTER UPDATE OF `status` ON `checks`
WHEN OLD.`status` <> NEW.`status`
BEGIN
  INSERT INTO `flips` (`check_id`, `from_status`, `to_status`, `reason`, `detail`, `created_at`)
  VALUES (NEW.`id`, OLD.`status`, NEW.`status`, coalesce(NEW.`status_reason`, ''), coalesce(NEW.`status_detail`, ''), NEW.`updated_at`);
END;
