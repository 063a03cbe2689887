-- 012_retention.sql - what liassed's workers purge after configurable periods
-- (retention_* in liasse.conf; functions/80_retention.sql): feed events,
-- webhook deliveries, finished jobs and expired sessions.  Documents, their
-- files and the journal are never purged here: they are the authority's
-- record (doc/retention.md).
--
-- Events are the vendors' gap-free feed, so they are purged as a prefix of
-- the feed's positions only (never an event after one that is kept), and
-- event_purged keeps, per client, the highest position purged: a consumer
-- whose `after` is below it has lost events and is told so (410 Gone),
-- while one at or beyond it sees every later event as before.  The largest
-- of them also keeps event_seal() from giving a purged position again.

CREATE TABLE event_purged (
	client_id bigint PRIMARY KEY REFERENCES api_client(id),
	upto      bigint NOT NULL,         -- highest feed position of this client purged
	purged_at timestamptz NOT NULL DEFAULT now()
);

-- The purges find their rows through these, at no cost when nothing is due.
CREATE INDEX webhook_delivery_done ON webhook_delivery (done_at) WHERE state <> 'pending';
CREATE INDEX webhook_delivery_event ON webhook_delivery (event_id);
CREATE INDEX job_done ON job (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX session_expires ON session (expires_at);
