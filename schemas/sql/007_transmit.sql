-- 007_transmit.sql - transmission to the state platforms (@ctes, Hélios, an
-- S²LOW-compatible TdT): per-organisation connector settings, one
-- transmission per document with its exactly-once bookkeeping, the Hélios
-- file counter and what was already read from the return channels.
--
-- Exactly once (src/transmit/README): a transmission is 'sending' (and its
-- document 'transmitting') in a committed transaction before any byte leaves;
-- a transmission found 'sending' by a later attempt was interrupted (crash,
-- timeout) and is reconciled with the platform before anything is resent.

CREATE TABLE connector (
	org_id     bigint NOT NULL REFERENCES organisation(id),
	kind       text NOT NULL CHECK (kind IN ('actes', 'helios', 's2low')),
	settings   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, kind)
);

CREATE TABLE transmission (
	doc_id        uuid PRIMARY KEY REFERENCES document(id),
	org_id        bigint NOT NULL REFERENCES organisation(id),
	connector     text NOT NULL CHECK (connector IN ('actes', 'helios', 's2low')),
	state         text NOT NULL DEFAULT 'new'
		CHECK (state IN ('new', 'sending', 'sent', 'acknowledged', 'refused', 'failed')),
	sends         integer NOT NULL DEFAULT 0,   -- sends started (a resend after reconciliation adds one)
	tries         integer NOT NULL DEFAULT 0,   -- attempts of the job, for the backoff
	remote_name   text,     -- PESALR2_<SIREN>_<yymmdd>_<n>.xml, or the @ctes archive name
	remote_id     text,     -- S²LOW transaction id
	match_key     text,     -- what returns carry: NomFic (PES), IDActe prefix DDD-SIREN-YYYYMMDD-NUMERO-NN (acte)
	last_error    text,
	sending_since timestamptz,
	holder_pid    integer,      -- the database session of the process sending now (NULL: none)
	holder_start  timestamptz,  -- that session's backend_start (a pid may be reused)
	sent_at       timestamptz,
	answered_at   timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX transmission_remote_name ON transmission (connector, remote_name);
CREATE INDEX transmission_match ON transmission (org_id, match_key);
CREATE INDEX transmission_open ON transmission (state) WHERE state IN ('sending', 'sent');

-- Transmissions left 'sending' by a process that died in the middle of the
-- send (its database session is gone): their job is made due now, so that
-- they are reconciled without waiting for the job's lease.  Jobs held by a
-- running worker are skipped.  Returns how many.
CREATE FUNCTION transmission_orphans() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_doc uuid;
	v_n integer := 0;
BEGIN
	FOR v_doc IN SELECT t.doc_id FROM transmission t WHERE t.state = 'sending'
		AND t.holder_pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			WHERE a.pid = t.holder_pid AND a.backend_start = t.holder_start) LOOP
		UPDATE transmission SET holder_pid = NULL, updated_at = now() WHERE doc_id = v_doc;
		UPDATE job SET run_at = now() WHERE id IN (SELECT id FROM job WHERE kind = 'transmit'
			AND doc_id = v_doc AND done_at IS NULL AND run_at > now() FOR UPDATE SKIP LOCKED);
		v_n := v_n + 1;
	END LOOP;
	RETURN v_n;
END $$;

-- Counters of an organisation that only grow, so a name is never given
-- twice: 'helios' for PESALR2_<SIREN>_<yymmdd>_<counter>.xml, 'actes' for
-- the envelope EACT--<SIREN>--<YYYYMMDD>-<counter>.xml.
CREATE TABLE transmit_counter (
	org_id bigint NOT NULL REFERENCES organisation(id),
	name   text NOT NULL,
	last   bigint NOT NULL,
	PRIMARY KEY (org_id, name)
);

CREATE FUNCTION transmit_counter_next(p_org bigint, p_name text) RETURNS bigint LANGUAGE sql AS $$
	INSERT INTO transmit_counter (org_id, name, last) VALUES (p_org, p_name, 1)
	ON CONFLICT (org_id, name) DO UPDATE SET last = transmit_counter.last + 1
	RETURNING last
$$;

-- What was already read from a return channel: an IMAP message
-- ('imap:<SIREN>:<url>', '<uid>' and '<uid>/<attachment>') or a file of the Hélios response
-- directory ('ftp:<SIREN>:<url>', name), and what it became.
CREATE TABLE transmit_inbox (
	source  text NOT NULL,
	item    text NOT NULL,
	doc_id  uuid REFERENCES document(id),
	what    text NOT NULL,   -- ARActe, AnomalieActe, PES_ACQUIT, ..., or 'unmatched'
	seen_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (source, item)
);

-- A blob from bytes held in memory, cut into the store's 1 MiB chunks.
CREATE FUNCTION blob_put_chunked(p_data bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
	v_size integer := length(p_data);
	v_chunks integer := greatest(1, (length(p_data) + 1048575) / 1048576);
BEGIN
	INSERT INTO blob (sha256, size, nchunks) VALUES (sha256(p_data), v_size, v_chunks)
		ON CONFLICT (sha256) DO NOTHING RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		RETURN (SELECT id FROM blob WHERE sha256 = sha256(p_data));
	END IF;
	FOR i IN 0 .. v_chunks - 1 LOOP
		INSERT INTO blob_chunk (blob_id, seq, data)
		VALUES (v_id, i, substring(p_data FROM i * 1048576 + 1 FOR 1048576));
	END LOOP;
	RETURN v_id;
END $$;

-- A file that came back from a platform, attached to its document as the
-- next file (role 'ack', 'anomaly', 'letter').  Returns the file number.
CREATE FUNCTION document_file_attach(p_doc uuid, p_role text, p_name text, p_type text,
	p_data bytea) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
	v_blob bigint;
BEGIN
	PERFORM 1 FROM document WHERE id = p_doc FOR UPDATE;
	SELECT coalesce(max(n), -1) + 1 INTO v_n FROM document_file WHERE doc_id = p_doc;
	v_blob := blob_put_chunked(p_data);
	INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
	VALUES (p_doc, v_n, p_role, p_name, p_type, v_blob);
	PERFORM journal_append('transmit', 'document.file_returned', p_doc,
		(SELECT org_id FROM document WHERE id = p_doc),
		jsonb_build_object('n', v_n, 'role', p_role, 'name', p_name));
	RETURN v_n;
END $$;
