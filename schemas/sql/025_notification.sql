-- 025_notification.sql - e-mail notifications (issue 13, point 3).
--
-- Each person chooses how they learn that documents wait for them:
-- 'immediate' (one message per document entering their queue), 'digest'
-- (one message a day at notify_digest_hour listing what waits) or 'none'.
--
-- notification is the outbox: a row is written in the same transaction as
-- the queue entry (the trigger document_notify of functions/85_notify.sql),
-- with a job 'notify' that a worker runs afterwards (src/transmit/notice.c):
-- sending never blocks an ingest or a signature, a failed send is retried
-- by the job (backoff of src/worker.c) and its error is the job's
-- last_error, which the administrators see.  A digest is one row per person
-- and local date (unique): never two digests the same day.

ALTER TABLE person ADD COLUMN notify_mode text NOT NULL DEFAULT 'immediate'
	CHECK (notify_mode IN ('immediate', 'digest', 'none'));

CREATE TABLE notification (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id   bigint NOT NULL REFERENCES person(id),
	kind        text NOT NULL CHECK (kind IN ('document', 'digest')),
	doc_id      uuid REFERENCES document(id) ON DELETE CASCADE,  -- kind 'document'
	day         date,                      -- kind 'digest': the local date it is for
	job_id      bigint REFERENCES job(id) ON DELETE SET NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	sent_at     timestamptz,               -- accepted by the SMTP server
	message_id  text,                      -- the Message-ID it was sent with
	documents   integer,                   -- how many documents the message listed
	skipped     text,                      -- why nothing was sent (no longer waiting, ...)
	CHECK (kind <> 'document' OR doc_id IS NOT NULL),
	CHECK ((kind = 'digest') = (day IS NOT NULL))
);
CREATE UNIQUE INDEX notification_digest_day ON notification (person_id, day) WHERE kind = 'digest';
CREATE INDEX ON notification (job_id);
CREATE INDEX ON notification (person_id, created_at);
