-- 006_events.sql - what vendors learn: a change feed of document events
-- (GET /api/v1/events?after=N) and webhooks that push the same events.
--
-- Every document creation and state change writes an event row, from a
-- trigger on document, so a transition made by any code (store_doc_transition,
-- document_create, a plain UPDATE of a later migration) produces its event
-- without doing anything.
--
-- Feed positions.  A position taken from a sequence at INSERT time is not
-- visible in commit order: transaction T1 takes 41, T2 takes 42 and commits,
-- a reader polling after=40 gets 42 and then asks after=42; when T1 commits,
-- 41 is never shown.  So the event row gets its public position (seq) only
-- once it is committed, like the journal (001_init.sql): event_seal(), run
-- by liassed's workers about every second and by every feed request before
-- it reads, numbers the committed events not numbered yet, in row order,
-- after the highest position given so far.  Sealers run one at a time (an
-- advisory lock; a PostgreSQL transaction releases its locks only after its
-- commit is visible), so a reader's snapshot always holds a prefix 1..N of
-- the positions: a position it has not seen can only be larger than every
-- position it has seen, and after=N never skips anything.  The price is a
-- delay of at most one sealing interval before an event shows, and one small
-- UPDATE per event.  (The alternative, hiding events newer than
-- pg_snapshot_xmin(), needs a (xid, id) cursor and stalls the whole feed
-- behind any long transaction.)
--
-- The same sealing fans each event out to the webhooks of its client
-- (webhook_delivery), in feed order.

CREATE TABLE event (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- row identity, not public
	seq       bigint UNIQUE,          -- the feed position ("id" in the API); NULL until sealed
	client_id bigint NOT NULL REFERENCES api_client(id),
	org_id    bigint NOT NULL REFERENCES organisation(id),
	doc_id    uuid NOT NULL REFERENCES document(id),
	type      text NOT NULL DEFAULT 'document.state',
	state     doc_state NOT NULL,
	reason    text,
	at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_unsealed ON event (id) WHERE seq IS NULL;
CREATE INDEX event_client_seq ON event (client_id, seq) WHERE seq IS NOT NULL;

-- The document's reason after the change (the same as GET /documents/{id}).
CREATE FUNCTION event_on_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO event (client_id, org_id, doc_id, state, reason)
	VALUES (NEW.client_id, NEW.org_id, NEW.id, NEW.state, NEW.reason);
	RETURN NULL;
END $$;
CREATE TRIGGER document_event_insert AFTER INSERT ON document
	FOR EACH ROW EXECUTE FUNCTION event_on_document();
CREATE TRIGGER document_event_state AFTER UPDATE OF state ON document
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION event_on_document();

-- An event as the feed and the webhooks show it.
CREATE FUNCTION event_json(ev event) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', ev.seq,
		'type', ev.type,
		'document', ev.doc_id,
		'organisation', (SELECT siren FROM organisation WHERE id = ev.org_id),
		'state', ev.state,
		'reason', ev.reason,
		'at', ts_text(ev.at))
$$;

-- ---- webhooks ----

-- The secret is kept as given (it keys the HMAC of every delivery, so it
-- cannot be stored hashed) and never shown again after creation.
-- job_id: the job that delivers this webhook's pending events (one at a
-- time, so deliveries go out in feed order); NULL when nothing is pending.
CREATE TABLE webhook (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	client_id  bigint NOT NULL REFERENCES api_client(id),
	url        text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
	secret     text NOT NULL CHECK (length(secret) BETWEEN 16 AND 128),
	created_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz,
	job_id     bigint                  -- a job(id); no foreign key, jobs may be purged
);
CREATE INDEX ON webhook (client_id) WHERE deleted_at IS NULL;
CREATE INDEX ON webhook (job_id);

CREATE TABLE webhook_delivery (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id bigint NOT NULL REFERENCES webhook(id),
	event_id   bigint NOT NULL REFERENCES event(id),
	state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts   integer NOT NULL DEFAULT 0,
	next_at    timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	done_at    timestamptz
);
CREATE INDEX webhook_delivery_pending ON webhook_delivery (webhook_id, id) WHERE state = 'pending';
CREATE INDEX ON webhook_delivery (webhook_id, id);

-- The delivery log: one row per HTTP attempt.
CREATE TABLE webhook_attempt (
	delivery_id bigint NOT NULL REFERENCES webhook_delivery(id),
	n           integer NOT NULL,
	at          timestamptz NOT NULL DEFAULT clock_timestamp(),
	http_status integer,              -- NULL: no HTTP answer (error says why)
	error       text,
	duration_ms integer,
	outcome     text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
	PRIMARY KEY (delivery_id, n)
);

-- Gives the webhook a delivery job at p_at unless it has a live one.  The
-- row lock serialises this with webhook_next() (which may clear job_id).
CREATE FUNCTION webhook_kick(p_webhook bigint, p_at timestamptz) RETURNS void
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
CREATE FUNCTION event_seal() RETURNS integer LANGUAGE plpgsql AS $$
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
	SELECT coalesce(max(seq), 0) INTO v_seq FROM event;
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
CREATE FUNCTION webhook_next(p_job bigint, p_lease integer, p_more boolean,
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
CREATE FUNCTION webhook_record(p_delivery bigint, p_status integer, p_error text,
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

CREATE FUNCTION webhook_json(w webhook) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', w.id, 'url', w.url, 'created_at', ts_text(w.created_at),
		'pending', (SELECT count(*) FROM webhook_delivery d WHERE d.webhook_id = w.id AND d.state = 'pending'),
		'failed', (SELECT count(*) FROM webhook_delivery d WHERE d.webhook_id = w.id AND d.state = 'failed'))
$$;
