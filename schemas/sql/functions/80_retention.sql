-- functions/80_retention.sql - purges after the retention periods (tables and
-- design in 012_retention.sql; run by liassed's workers, src/retention.c).
--
-- Each call deletes at most p_batch rows in the caller's transaction (the
-- workers run each call as its own short transaction), picked through an
-- index, so a purge never holds many row locks nor a lock on a table, and
-- costs one index probe when nothing is due.  Each returns how many rows of
-- its table it deleted; the caller calls again while that is p_batch.
-- A period of zero or less purges nothing.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- Feed events older than p_keep, oldest position first, stopping at the
-- first event that is recent or still has a webhook delivery pending (so
-- only a prefix of the feed goes).  Their finished deliveries and attempts
-- go with them.  One purger at a time.
CREATE OR REPLACE FUNCTION retention_purge_events(p_keep interval, p_batch integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_ids bigint[];
BEGIN
	IF p_keep <= interval '0' OR NOT pg_try_advisory_xact_lock(7461636103) THEN
		RETURN 0;
	END IF;
	WITH cand AS (
		SELECT id, seq, at FROM event WHERE seq IS NOT NULL ORDER BY seq LIMIT p_batch
	), stop AS (
		SELECT min(c.seq) AS seq FROM cand c WHERE c.at >= now() - p_keep
		   OR EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = c.id AND d.state = 'pending')
	)
	SELECT array_agg(c.id) INTO v_ids FROM cand c
	WHERE c.seq < coalesce((SELECT seq FROM stop), 9223372036854775807);
	IF v_ids IS NULL THEN
		RETURN 0;
	END IF;
	DELETE FROM webhook_attempt WHERE delivery_id IN
		(SELECT id FROM webhook_delivery WHERE event_id = ANY (v_ids));
	DELETE FROM webhook_delivery WHERE event_id = ANY (v_ids);
	WITH gone AS (DELETE FROM event WHERE id = ANY (v_ids) RETURNING client_id, seq)
	INSERT INTO event_purged (client_id, upto)
	SELECT client_id, max(seq) FROM gone GROUP BY client_id
	ON CONFLICT (client_id) DO UPDATE SET upto = greatest(event_purged.upto, EXCLUDED.upto),
		purged_at = now();
	RETURN cardinality(v_ids);
END $$;

-- Webhook deliveries finished (delivered or failed) more than p_keep ago,
-- with their attempts.
CREATE OR REPLACE FUNCTION retention_purge_deliveries(p_keep interval, p_batch integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_ids bigint[];
BEGIN
	IF p_keep <= interval '0' THEN
		RETURN 0;
	END IF;
	SELECT array_agg(id) INTO v_ids FROM (SELECT id FROM webhook_delivery
		WHERE state <> 'pending' AND done_at < now() - p_keep ORDER BY done_at LIMIT p_batch
		FOR UPDATE SKIP LOCKED) d;
	IF v_ids IS NULL THEN
		RETURN 0;
	END IF;
	DELETE FROM webhook_attempt WHERE delivery_id = ANY (v_ids);
	DELETE FROM webhook_delivery WHERE id = ANY (v_ids) AND state <> 'pending';
	RETURN cardinality(v_ids);
END $$;

-- Jobs (transmissions, webhook runs, ...) done more than p_keep ago.  A job
-- still named by a webhook (webhook.job_id) stays: webhook_kick() reads it.
-- Rows locked by a worker are skipped, not waited for.
CREATE OR REPLACE FUNCTION retention_purge_jobs(p_keep interval, p_batch integer) RETURNS integer
LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM job WHERE id IN (SELECT j.id FROM job j
			WHERE j.done_at < now() - p_keep AND p_keep > interval '0'
			  AND NOT EXISTS (SELECT 1 FROM webhook w WHERE w.job_id = j.id)
			ORDER BY j.done_at LIMIT p_batch FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;

-- Sessions expired more than p_keep ago: past their lifetime, or unused for
-- longer than p_idle (session_idle_timeout).
CREATE OR REPLACE FUNCTION retention_purge_sessions(p_keep interval, p_idle interval, p_batch integer)
RETURNS integer LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM session WHERE token_sha256 IN (SELECT s.token_sha256 FROM session s
			WHERE p_keep > interval '0'
			  AND (s.expires_at < now() - p_keep OR s.last_seen_at < now() - p_idle - p_keep)
			LIMIT p_batch FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;

-- E-mail notifications done (sent, skipped, or refused for good) more than
-- p_keep ago (040_notification_lease.sql).  One still to send, or being
-- retried, has no done_at and stays.  A digest also stays until its day is
-- two days past, whatever p_keep: its row is what makes it once a day.
CREATE OR REPLACE FUNCTION retention_purge_notifications(p_keep interval, p_batch integer) RETURNS integer
LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM notification WHERE id IN (SELECT n.id FROM notification n
			WHERE n.done_at < now() - p_keep AND p_keep > interval '0'
			  AND (n.kind <> 'digest' OR n.day < current_date - 2)
			ORDER BY n.done_at LIMIT p_batch FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;

-- Idempotency-Key records (POST /api/v1/documents) made more than p_keep
-- ago: a replay after that creates a new document.  The i-Parapheur door's
-- records ('iparapheur:<DossierID>', src/http/ipar_create.c) are not
-- idempotency keys but the rule that a DossierID names one dossier of the
-- client, for as long as the document lives: they stay.
CREATE OR REPLACE FUNCTION retention_purge_idempotency(p_keep interval, p_batch integer) RETURNS integer
LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM idempotency WHERE (client_id, key) IN (SELECT i.client_id, i.key FROM idempotency i
			WHERE i.created_at < now() - p_keep AND p_keep > interval '0'
			  AND i.key NOT LIKE 'iparapheur:%'
			ORDER BY i.created_at LIMIT p_batch FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;
