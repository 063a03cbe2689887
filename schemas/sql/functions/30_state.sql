-- functions/30_state.sql - the document state machine: the table of
-- transitions and the one function that changes document.state.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.
--
-- Callers name an event ('cancel', 'sign', 'sent'...), never a list of
-- states: document_apply() locks the row, finds (state, event) below, writes
-- the new state, reason and updated_at, and journals 'document.<to>' with
-- {from, event, reason} and the caller's detail; the trigger of
-- 60_events.sql emits the vendor's event.  A pair not in the table is
-- refused (SQLSTATE LQ409, HTTP 409).  A row whose to_state is its
-- from_state makes the event harmless to repeat (a cancel twice, a send taken
-- up again after a crash): nothing is written, nothing journaled.  Rows whose
-- from_state is NULL give a new document its first state
-- (document_create()).  Reading the state elsewhere is fine; writing it
-- anywhere else is not (tests/unit/test_store.c and state_check.sh check).
--
-- A new state (a visa step, a cancellation at the prefecture) is a value
-- added to doc_state by a numbered migration and rows added here.  The
-- columns are text, not doc_state, because a value added by ALTER TYPE ...
-- ADD VALUE cannot be used in the transaction that added it, and migrations
-- and this file share one transaction; document_next() casts.

CREATE OR REPLACE VIEW document_transition (from_state, event, to_state) AS VALUES
	-- creation (document_create)
	(NULL::text,          'receive',     'received'),          -- neither to sign nor to transmit
	(NULL,                'route',       'pending_signature'), -- in one official's queue
	(NULL,                'queue',       'queued'),            -- only to transmit
	-- signature (sign_finish, document_reject)
	('pending_signature', 'sign',        'signed'),
	('pending_signature', 'reject',      'rejected'),
	-- circuits (functions/45_circuit.sql): a visa moves the document to the
	-- next step's person, the droit de remords back; the state stays
	('pending_signature', 'visa',        'pending_signature'),
	('pending_signature', 'remord',      'pending_signature'),
	('signed',            'queue',       'queued'),            -- signed and to transmit
	-- transmission (store/transmit.c)
	('queued',            'send',        'transmitting'),
	('transmitting',      'send',        'transmitting'),      -- a send taken up again
	('transmitting',      'sent',        'transmitted'),
	('transmitting',      'acknowledge', 'acknowledged'),      -- the answer came first
	('transmitted',       'acknowledge', 'acknowledged'),
	('transmitting',      'refuse',      'refused'),
	('transmitted',       'refuse',      'refused'),
	('queued',            'fail',        'failed'),
	('transmitting',      'fail',        'failed'),
	('failed',            'fail',        'failed'),
	-- the vendor withdraws it (DELETE /api/v1/documents/{id}) before it is handed
	-- to a state platform
	('received',          'cancel',      'cancelled'),
	('pending_signature', 'cancel',      'cancelled'),
	('signed',            'cancel',      'cancelled'),
	('rejected',          'cancel',      'cancelled'),
	('queued',            'cancel',      'cancelled'),
	('failed',            'cancel',      'cancelled'),
	('cancelled',         'cancel',      'cancelled'),
	-- the annulation of an acknowledged act (@ctes 6-1, functions/75_cancel.sql):
	-- only once the prefecture acknowledged it, as S²LOW's
	-- actes_transac_cancel.php requires ("Acquittement reçu")
	('acknowledged',      'cancel',      'cancelling'),        -- the 6-1 to send
	('cancelling',        'cancel',      'cancelling'),
	('cancelling',        'cancelled_ack', 'cancelled'),       -- the 6-2 ARAnnulation came
	('cancelled',         'cancelled_ack', 'cancelled'),
	('cancelling',        'cancel_refused', 'acknowledged'),   -- the platform refused the 6-1
	('cancelling',        'acknowledge', 'cancelling'),        -- a second ARActe: the file only
	-- the organisation's archiving policy, once a document's life is over
	-- (functions/85_archive.sql): its files leave the hot tables
	('acknowledged',      'archive',     'archived'),
	('cancelled',         'archive',     'archived'),
	('refused',           'archive',     'archived'),
	('rejected',          'archive',     'archived'),
	('archived',          'archive',     'archived');

-- The state p_event leads to from p_state; NULL when it does not apply.
CREATE OR REPLACE FUNCTION document_next(p_state doc_state, p_event text) RETURNS doc_state
LANGUAGE sql STABLE AS $$
	SELECT to_state::doc_state FROM document_transition
	WHERE from_state = p_state::text AND event = p_event
$$;

-- The state a document created by p_event starts in.
CREATE OR REPLACE FUNCTION document_first_state(p_event text) RETURNS doc_state
LANGUAGE plpgsql STABLE AS $$
BEGIN
	-- PL/pgSQL keeps the plan for the session (person_brief, 20_document.sql)
	RETURN (SELECT to_state::doc_state FROM document_transition WHERE from_state IS NULL AND event = p_event);
END $$;

-- Applies p_event to the document: the only writer of document.state.
-- p_reason (when not NULL) becomes the document's reason; p_detail is added
-- to the journal entry's detail.  Returns the state after the event.
CREATE OR REPLACE FUNCTION document_apply(p_doc uuid, p_event text, p_actor text,
	p_reason text DEFAULT NULL, p_detail jsonb DEFAULT NULL) RETURNS doc_state
LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
	v_to doc_state;
BEGIN
	SELECT * INTO v_d FROM document WHERE id = p_doc FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no document %', p_doc USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'check the document id';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM document_transition WHERE event = p_event) THEN
		RAISE EXCEPTION 'unknown document event "%"', p_event;   -- a bug: XX000
	END IF;
	v_to := document_next(v_d.state, p_event);
	IF v_to IS NULL THEN
		RAISE EXCEPTION 'the document cannot take event "%" in state %', p_event, v_d.state
			USING ERRCODE = 'LQ409', COLUMN = 'state',
			DETAIL = format('document %s is %s', p_doc, v_d.state),
			HINT = 'reload the document to see its state';
	END IF;
	IF v_to = v_d.state THEN
		RETURN v_to;          -- a repeated event: already done
	END IF;
	UPDATE document SET state = v_to, reason = coalesce(p_reason, reason),
		updated_at = clock_timestamp()
	WHERE id = p_doc;
	PERFORM journal_append(p_actor, 'document.' || v_to, p_doc, v_d.org_id,
		jsonb_build_object('from', v_d.state, 'event', p_event, 'reason', p_reason)
		|| coalesce(p_detail, '{}'));
	RETURN v_to;
END $$;

-- The set form of document_apply(), for a batch (sign_finish_many): p_event
-- applied to every document of p_docs (distinct ids), their rows locked in id
-- order (as sign_claim_many locks them: two batches cannot deadlock), each
-- checked against the table as above (the first one that cannot take the
-- event is refused, and nothing is written), then updated in one UPDATE and
-- journaled in one INSERT, with the same entries as document_apply() would
-- write one by one (p_details[i] is added to the detail of p_docs[i]).  The
-- trigger of 60_events.sql fires for each row updated.  Returns each
-- document's state after the event, in the order of p_docs.
CREATE OR REPLACE FUNCTION document_apply_many(p_docs uuid[], p_event text, p_actor text,
	p_reason text DEFAULT NULL, p_details jsonb[] DEFAULT NULL)
RETURNS TABLE (doc_id uuid, state doc_state)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_bad record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM document_transition t WHERE t.event = p_event) THEN
		RAISE EXCEPTION 'unknown document event "%"', p_event;   -- a bug: XX000
	END IF;
	PERFORM 1 FROM document d WHERE d.id = ANY (p_docs) ORDER BY d.id FOR UPDATE;
	SELECT x.id, d.id AS found, d.state AS st INTO v_bad
	FROM unnest(p_docs) x(id) LEFT JOIN document d ON d.id = x.id
	WHERE d.id IS NULL OR document_next(d.state, p_event) IS NULL
	ORDER BY x.id LIMIT 1;
	IF v_bad.found IS NULL AND v_bad.id IS NOT NULL THEN
		RAISE EXCEPTION 'no document %', v_bad.id USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'check the document id';
	ELSIF v_bad.id IS NOT NULL THEN
		RAISE EXCEPTION 'the document cannot take event "%" in state %', p_event, v_bad.st
			USING ERRCODE = 'LQ409', COLUMN = 'state',
			DETAIL = format('document %s is %s', v_bad.id, v_bad.st),
			HINT = 'reload the document to see its state';
	END IF;
	RETURN QUERY
	WITH o AS (
		SELECT x.id, x.i, d.state AS from_state, d.org_id, document_next(d.state, p_event) AS to_state
		FROM unnest(p_docs) WITH ORDINALITY x(id, i) JOIN document d ON d.id = x.id),
	u AS (
		UPDATE document SET state = o.to_state, reason = coalesce(p_reason, document.reason),
			updated_at = clock_timestamp()
		FROM o WHERE document.id = o.id AND o.to_state <> o.from_state
		RETURNING document.id),
	j AS (
		INSERT INTO journal (actor, action, doc_id, org_id, detail)
		SELECT p_actor, 'document.' || o.to_state, o.id, o.org_id,
			jsonb_build_object('from', o.from_state, 'event', p_event, 'reason', p_reason)
			|| coalesce(p_details[o.i], '{}')
		FROM o WHERE o.to_state <> o.from_state ORDER BY o.i
		RETURNING 1)
	SELECT o.id, o.to_state FROM o ORDER BY o.i;
END $$;
