-- functions/85_notify.sql - e-mail notifications: the one place where a
-- document entering a person's queue gives them a notification.
--
-- The rule (issue 13): document.signer_id names the person whose queue
-- holds the document now, for a signature or any other step that waits for
-- a person (a visa); document_awaits_person() says which states wait (every
-- 'pending_...' state).  Whenever a row of document is inserted, or its
-- signer_id or state changes, so that it waits for a person it did not wait
-- for before, the trigger document_notify below writes, in the same
-- transaction, the outbox row (notification) and its job 'notify' -- when
-- that person's notify_mode is 'immediate'.  Whoever sets signer_id (the
-- routing of document_create(), a circuit's next step, a delegation, the
-- "droit de remords") needs no code of its own.  Digests are planned by
-- notification_digest_plan(), called by the workers (src/transmit/notice.c).

-- States in which a document waits for the person named by signer_id.
-- STABLE as the enum's text is, so that it is inlined (ts_text, 20_document.sql).
CREATE OR REPLACE FUNCTION document_awaits_person(p_state doc_state) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_state::text LIKE 'pending\_%'
$$;

CREATE OR REPLACE FUNCTION document_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v_job bigint;
BEGIN
	IF NEW.signer_id IS NULL OR NOT document_awaits_person(NEW.state) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.signer_id IS NOT DISTINCT FROM NEW.signer_id
	   AND document_awaits_person(OLD.state) THEN
		RETURN NULL;                     -- still in the same queue
	END IF;
	IF NOT EXISTS (SELECT 1 FROM person WHERE id = NEW.signer_id
		       AND notify_mode = 'immediate' AND disabled_at IS NULL) THEN
		RETURN NULL;
	END IF;
	INSERT INTO job (kind, doc_id) VALUES ('notify', NEW.id) RETURNING id INTO v_job;
	INSERT INTO notification (person_id, kind, doc_id, job_id)
	VALUES (NEW.signer_id, 'document', NEW.id, v_job);
	RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER document_notify AFTER INSERT OR UPDATE OF signer_id, state ON document
	FOR EACH ROW EXECUTE FUNCTION document_notify();

-- The documents waiting for p_person now, first due first, as JSON.
CREATE OR REPLACE FUNCTION notification_waiting(p_person bigint, p_only uuid, p_limit integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'title', d.title, 'kind', d.kind,
		'organisation', (SELECT name FROM organisation o WHERE o.id = d.org_id),
		'due_date', d.due_date, 'state', d.state,
		-- at a circuit's visa step (022_circuits.sql) the person is asked a visa
		'step', d.circuit->'steps'->>(d.circuit_step - 1))
		ORDER BY d.due_date NULLS LAST, d.created_at), '[]')
	FROM (SELECT * FROM document WHERE signer_id = p_person AND document_awaits_person(state)
	      AND (p_only IS NULL OR id = p_only)
	      ORDER BY due_date NULLS LAST, created_at LIMIT p_limit) d
$$;

-- What the job p_job has to send, read when it runs: the person, and the
-- documents still waiting for them (the one document of an immediate
-- notification, or all of them for a digest, with their total).  NULL when
-- the job has no notification (an obsolete job).
CREATE OR REPLACE FUNCTION notification_content(p_job bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', n.id, 'kind', n.kind, 'day', n.day,
		'email', p.email, 'name', p.name, 'disabled', p.disabled_at IS NOT NULL,
		'docs', notification_waiting(p.id, CASE WHEN n.kind = 'document' THEN n.doc_id END, 100),
		'total', (SELECT count(*) FROM document d WHERE d.signer_id = p.id
			  AND document_awaits_person(d.state)
			  AND (n.kind = 'digest' OR d.id = n.doc_id)))
	FROM notification n JOIN person p ON p.id = n.person_id
	WHERE n.job_id = p_job AND n.done_at IS NULL
$$;

-- Claims the notification of the job p_job for one SMTP exchange: leases
-- it for p_lease seconds (the job's run_at too, so that no worker takes the
-- job meanwhile once the caller commits) and returns its content, which the
-- caller sends after committing, outside any transaction.  When another
-- worker holds the lease (the job was started again by hand during a send),
-- returns {"leased_until": ...} and sends nothing.  NULL when there is
-- nothing left to do (sent, skipped, failed, or an obsolete job).
CREATE OR REPLACE FUNCTION notification_claim(p_job bigint, p_lease integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_n notification%ROWTYPE;
BEGIN
	SELECT * INTO v_n FROM notification WHERE job_id = p_job AND done_at IS NULL FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF v_n.lease_until > now() THEN
		RETURN jsonb_build_object('id', v_n.id, 'leased_until', ts_text(v_n.lease_until));
	END IF;
	UPDATE notification SET lease_until = now() + p_lease * interval '1 second',
		attempted_at = now(), attempts = attempts + 1 WHERE id = v_n.id;
	UPDATE job SET run_at = now() + p_lease * interval '1 second' WHERE id = p_job;
	RETURN notification_content(p_job);
END $$;

-- The outcome of the exchange begun by notification_claim(): 'sent' (with
-- the Message-ID and how many documents it listed), 'failed' (refused for
-- good: SMTP 5xx, p_error the server's answer) or 'retry' (lease given
-- back; the caller's job is retried with the workers' backoff).
CREATE OR REPLACE FUNCTION notification_record(p_id bigint, p_outcome text, p_message_id text,
	p_docs integer, p_error text) RETURNS void LANGUAGE sql AS $$
	UPDATE notification SET lease_until = NULL,
		sent_at = CASE WHEN p_outcome = 'sent' THEN now() END,
		message_id = CASE WHEN p_outcome = 'sent' THEN p_message_id END,
		documents = CASE WHEN p_outcome = 'sent' THEN p_docs END,
		failed_at = CASE WHEN p_outcome = 'failed' THEN now() END,
		done_at = CASE WHEN p_outcome IN ('sent', 'failed') THEN now() END,
		error = CASE WHEN p_outcome = 'sent' THEN error ELSE p_error END
	WHERE id = p_id AND done_at IS NULL
$$;

-- Plans today's digests once the local hour (in p_tz) is p_hour: one
-- notification and job per person who chose the digest, has documents
-- waiting and has no digest for this local date yet (the unique index makes
-- that once a day; the advisory lock serialises the workers).  Nothing waits:
-- no row, nothing sent.  Returns how many were planned.
CREATE OR REPLACE FUNCTION notification_digest_plan(p_hour integer, p_tz text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_local timestamp := now() AT TIME ZONE p_tz;
	v_p record;
	v_job bigint;
	v_n integer := 0;
BEGIN
	IF extract(hour FROM v_local) <> p_hour THEN
		RETURN 0;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtextextended('notification_digest', 0));
	FOR v_p IN SELECT p.id FROM person p WHERE p.notify_mode = 'digest' AND p.disabled_at IS NULL
		AND EXISTS (SELECT 1 FROM document d WHERE d.signer_id = p.id AND document_awaits_person(d.state))
		AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.kind = 'digest'
				AND n.person_id = p.id AND n.day = v_local::date)
	LOOP
		INSERT INTO job (kind) VALUES ('notify') RETURNING id INTO v_job;
		INSERT INTO notification (person_id, kind, day, job_id)
		VALUES (v_p.id, 'digest', v_local::date, v_job);
		v_n := v_n + 1;
	END LOOP;
	RETURN v_n;
END $$;

-- A notification the mail server refused for good (an SMTP 5xx), sent again
-- once the address or the server is fixed: a new job, the row to send as if
-- new, journaled under p_actor.  'resent', 'unknown' (no such notification)
-- or 'not-failed' (sent, waiting, or still retried by the workers).
CREATE OR REPLACE FUNCTION notification_resend(p_id bigint, p_actor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v_n notification%ROWTYPE;
	v_job bigint;
BEGIN
	SELECT * INTO v_n FROM notification WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'unknown';
	ELSIF v_n.failed_at IS NULL THEN
		RETURN 'not-failed';
	END IF;
	INSERT INTO job (kind, doc_id) VALUES ('notify', v_n.doc_id) RETURNING id INTO v_job;
	UPDATE notification SET job_id = v_job, failed_at = NULL, done_at = NULL, error = NULL,
		attempts = 0, attempted_at = NULL, lease_until = NULL WHERE id = p_id;
	PERFORM journal_append(p_actor, 'notification.resent', v_n.doc_id,
		(SELECT org_id FROM document WHERE id = v_n.doc_id),
		jsonb_build_object('notification', p_id, 'to', (SELECT email FROM person WHERE id = v_n.person_id),
			'refused', v_n.error));
	RETURN 'resent';
END $$;

-- The notifications whose sending failed, for the administrators: those
-- refused for good (failed_at: an SMTP 5xx, not retried; listed until
-- retention_notifications purges them) and those being retried (their job's
-- last error and next run).
CREATE OR REPLACE VIEW notification_failed AS
	SELECT n.id, n.kind, p.email, n.doc_id, d.title, n.day, n.created_at,
		coalesce(j.attempts, n.attempts) AS attempts,
		CASE WHEN n.failed_at IS NOT NULL THEN n.error ELSE j.last_error END AS last_error,
		CASE WHEN n.failed_at IS NULL THEN j.run_at END AS next_attempt, n.failed_at
	FROM notification n LEFT JOIN job j ON j.id = n.job_id JOIN person p ON p.id = n.person_id
	LEFT JOIN document d ON d.id = n.doc_id
	WHERE n.failed_at IS NOT NULL
	   OR (n.done_at IS NULL AND j.done_at IS NULL AND j.last_error IS NOT NULL);
