ALTER TABLE `checks` ADD `methods` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `manual_resume` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `filter_subject` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `filter_body` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `filter_http_body` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `filter_default_fail` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `start_kw` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `success_kw` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `failure_kw` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `checks` ADD `push_token` text;--> statement-breakpoint
CREATE UNIQUE INDEX `checks_push_token_unique` ON `checks` (`push_token`);