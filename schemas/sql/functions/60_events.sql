-- functions/60_events.sql - the change feed and webhooks (tables and the design of
-- feed positions in 006_events.sql).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- The document's reason after the change (the same as GET /documents/{id}).
CREATE OR REPLACE FUNCTION event_on_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- type 'document.step' when only the circuit's step moved, with what
	-- moved it (a visa and its public annotation, a remords: 45_circuit.sql)
	INSERT INTO event (client_id, org_id, doc_id, state, reason, type, circuit)
	SELECT NEW.client_id, NEW.org_id, NEW.id, NEW.state, NEW.reason, t.type,
		circuit_doc_json(NEW, person_brief(NEW.signer_id))
		|| CASE WHEN t.type = 'document.step' THEN jsonb_build_object('last_action',
			circuit_last_action_json(NEW.id)) ELSE '{}'::jsonb END
	FROM (SELECT CASE WHEN TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN 'document.step'
		ELSE 'document.state' END AS type) t;
	RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER document_event_insert AFTER INSERT ON document
	FOR EACH ROW EXECUTE FUNCTION event_on_document();

CREATE OR REPLACE TRIGGER document_event_state AFTER UPDATE OF state, circuit_step ON document
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.circuit_step IS DISTINCT FROM NEW.circuit_step)
	EXECUTE FUNCTION event_on_document();

-- An event as the feed and the webhooks show it.
CREATE OR REPLACE FUNCTION event_json(ev event) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', ev.seq,
		'type', ev.type,
		'document', ev.doc_id,
		'organisation', (SELECT siren FROM organisation WHERE id = ev.org_id),
		'state', ev.state,
		'reason', ev.reason,
		'at', ts_text(ev.at))
		|| CASE WHEN ev.circuit IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('circuit', ev.circuit) END
		|| CASE WHEN ev.return_id IS NULL THEN '{}'::jsonb   -- organisation.return (75_org_return.sql)
			ELSE jsonb_build_object('return', org_return_json(ev.return_id)) END
		|| CASE WHEN ev.letter_id IS NULL THEN '{}'::jsonb   -- document.letter (77_letter.sql)
			ELSE jsonb_build_object('letter', letter_json(ev.letter_id)) END
$$;

-- Gives the webhook a delivery job at p_at unless it has a live one.  The
-- row lock serialises this with webhook_next() (which may clear job_id).
CREATE OR REPLACE FUNCTION webhook_kick(p_webhook bigint, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_job bigint;
BEGIN
	PERFORM 1 FROM webhook w WHERE w.id = p_webhook AND w.deleted_at IS NULL
		AND (w.job_id IS NULL OR EXISTS (SELECT 1 FROM job j WHERE j.id = w.job_id AND j.done_at IS NOT NULL))
		FOR UPDATE;
	IF FOUND THEN
		INSERT INTO job (kind, run_at) VALUES ('webhook', p_at) RETURNING id INTO v_job;
		UPDATE webhook SET job_id = v_job WHERE id = p_webhook;
	END IF;
END $$;

-- Numbers the committed events not numbered yet (see the top of this file),
-- at most 10000 per call, queues their webhook deliveries; returns how many
-- events it numbered.  One sealer at a time: the others return 0 at once.
CREATE OR REPLACE FUNCTION event_seal() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_seq bigint;
	v_n integer;
	v_ws bigint[];
	v_w bigint;
BEGIN
	IF NOT pg_try_advisory_xact_lock(7461636102) THEN
		RETURN 0;
	END IF;
	-- A statement after the lock: its snapshot sees the previous sealer's commit.
	-- Positions purged (event_purged, 012_retention.sql) are never given again.
	SELECT greatest((SELECT max(seq) FROM event), (SELECT max(upto) FROM event_purged), 0) INTO v_seq;
	WITH todo AS (
		SELECT id, row_number() OVER (ORDER BY id) AS rn FROM event
		WHERE seq IS NULL ORDER BY id LIMIT 10000)
	, upd AS (
		UPDATE event e SET seq = v_seq + todo.rn FROM todo WHERE e.id = todo.id
		RETURNING e.id, e.client_id, e.org_id)
	, ins AS (   -- what the feed would show the client: its live key, its organisations
		INSERT INTO webhook_delivery (webhook_id, event_id)
		SELECT w.id, upd.id FROM upd JOIN webhook w ON w.client_id = upd.client_id
		JOIN api_client a ON a.id = upd.client_id
		JOIN api_client_org co ON co.client_id = upd.client_id AND co.org_id = upd.org_id
		WHERE w.deleted_at IS NULL AND a.revoked_at IS NULL ORDER BY w.id, upd.id
		RETURNING webhook_id)
	SELECT (SELECT count(*) FROM upd), (SELECT array_agg(DISTINCT webhook_id ORDER BY webhook_id) FROM ins)
	INTO v_n, v_ws;
	FOREACH v_w IN ARRAY coalesce(v_ws, '{}') LOOP
		PERFORM webhook_kick(v_w, now());
	END LOOP;
	RETURN v_n;
END $$;

-- The next delivery the webhook job p_job should send, if any, leasing the
-- job for p_lease seconds (its row lock goes with the commit that precedes
-- the HTTP call: if the process dies meanwhile, the job is taken again when
-- the lease ends and the delivery is sent again).  Nothing is returned when
-- the job has nothing to send now; the webhook is then left with no job (no
-- pending delivery), or a new job at the time the head delivery is due, or
-- now when p_more is false (this run has sent enough).
CREATE OR REPLACE FUNCTION webhook_next(p_job bigint, p_lease integer, p_more boolean,
	OUT delivery_id bigint, OUT attempt integer, OUT url text, OUT secret text,
	OUT event_seq bigint, OUT body text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
	v_w webhook%ROWTYPE;
	v_d webhook_delivery%ROWTYPE;
	v_ev event%ROWTYPE;
BEGIN
	SELECT * INTO v_w FROM webhook WHERE job_id = p_job FOR UPDATE;
	IF NOT FOUND THEN
		RETURN;                    -- an obsolete job
	END IF;
	-- A statement after the lock: sees deliveries queued by a sealer that held it.
	SELECT * INTO v_d FROM webhook_delivery WHERE webhook_id = v_w.id AND state = 'pending'
		ORDER BY id LIMIT 1;
	IF NOT FOUND OR v_w.deleted_at IS NOT NULL THEN
		UPDATE webhook SET job_id = NULL WHERE id = v_w.id;
		RETURN;
	END IF;
	IF v_d.next_at > now() OR NOT p_more THEN
		UPDATE webhook SET job_id = NULL WHERE id = v_w.id;
		PERFORM webhook_kick(v_w.id, greatest(v_d.next_at, now()));
		RETURN;
	END IF;
	UPDATE job SET run_at = now() + p_lease * interval '1 second' WHERE id = p_job;
	SELECT * INTO v_ev FROM event WHERE id = v_d.event_id;
	delivery_id := v_d.id;
	attempt := v_d.attempts + 1;
	url := v_w.url;
	secret := v_w.secret;
	event_seq := v_ev.seq;
	body := event_json(v_ev)::text;
	RETURN NEXT;
END $$;

-- Records one attempt: delivered, retried after p_retry seconds, or failed
-- for good (p_retry < 0).
CREATE OR REPLACE FUNCTION webhook_record(p_delivery bigint, p_status integer, p_error text,
	p_ms integer, p_ok boolean, p_retry integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
	v_outcome text := CASE WHEN p_ok THEN 'delivered' WHEN p_retry < 0 THEN 'failed' ELSE 'retry' END;
BEGIN
	UPDATE webhook_delivery SET attempts = attempts + 1,
		state = CASE v_outcome WHEN 'retry' THEN 'pending' ELSE v_outcome END,
		next_at = CASE WHEN v_outcome = 'retry' THEN now() + p_retry * interval '1 second' ELSE next_at END,
		done_at = CASE WHEN v_outcome = 'retry' THEN NULL ELSE now() END
	WHERE id = p_delivery AND state = 'pending' RETURNING attempts INTO v_n;
	IF FOUND THEN
		INSERT INTO webhook_attempt (delivery_id, n, http_status, error, duration_ms, outcome)
		VALUES (p_delivery, v_n, p_status, p_error, p_ms, v_outcome);
	END IF;
END $$;

CREATE OR REPLACE FUNCTION webhook_json(w webhook) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', w.id, 'url', w.url, 'created_at', ts_text(w.created_at),
		'pending', (SELECT count(*) FROM webhook_delivery d WHERE d.webhook_id = w.id AND d.state = 'pending'),
		'failed', (SELECT count(*) FROM webhook_delivery d WHERE d.webhook_id = w.id AND d.state = 'failed'))
$$;
