-- 040_notification_lease.sql - a notification is sent outside the job's
-- transaction, refused for good on an SMTP 5xx, and purged after
-- retention_notifications (doc/notifications.md, doc/retention.md).
--
-- lease_until: a worker claimed the notification at attempted_at and talks
-- to the mail server until at most then (notify_smtp_timeout plus a margin);
-- no other worker sends it meanwhile, and if the process dies the lease ends
-- and the notification is sent again.  failed_at: the server refused it for
-- good (a 5xx answer, kept in error); it is not retried.  done_at: sent,
-- skipped or failed, the time from which its retention period runs (rows
-- still to send have none and are never purged).

ALTER TABLE notification
	ADD COLUMN attempts     integer NOT NULL DEFAULT 0,  -- SMTP exchanges begun
	ADD COLUMN attempted_at timestamptz,                 -- when the last one began
	ADD COLUMN lease_until  timestamptz,                 -- being sent until then
	ADD COLUMN failed_at    timestamptz,                 -- refused for good (SMTP 5xx)
	ADD COLUMN error        text,                        -- the server's last answer, when an error
	ADD COLUMN done_at      timestamptz;                 -- sent, skipped or failed

UPDATE notification SET done_at = coalesce(sent_at, created_at)
WHERE sent_at IS NOT NULL OR skipped IS NOT NULL;

CREATE INDEX notification_done ON notification (done_at) WHERE done_at IS NOT NULL;
