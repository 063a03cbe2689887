-- functions/20_document.sql - the document as the API, the CLI and the web pages show
-- it (doc_json), blobs written from SQL, and document_create(): a document, its
-- files, its journal entry and its job in one statement.  The common upload
-- (files of at most one chunk, sent inline) costs one round trip; large files
-- were streamed into blobs by the same transaction beforehand and arrive as
-- blob ids.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- STABLE as to_char() is: a SQL function declared IMMUTABLE around a STABLE
-- one is never inlined, so it was planned anew at every call.
CREATE OR REPLACE FUNCTION ts_text(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- PL/pgSQL, not SQL, here and in doc_json() and journal_append(): a SQL
-- function PostgreSQL cannot inline (this one reads a table) is parsed and
-- planned again in every transaction that calls it, while PL/pgSQL keeps
-- its plans for the session.  On the ingest path (document_create, the
-- event trigger) that planning was a third of PostgreSQL's work per
-- document (bench/README, ingest).
CREATE OR REPLACE FUNCTION person_brief(p_id bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_id IS NULL THEN
		RETURN NULL;                     -- no plan for 'WHERE id = NULL' each time
	END IF;
	RETURN (SELECT jsonb_build_object('name', name, 'email', email) FROM person WHERE id = p_id);
END $$;

-- The same from a person row (from an outer join: NULL when there is none).
CREATE OR REPLACE FUNCTION person_brief_of(p person) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p.id IS NOT NULL THEN jsonb_build_object('name', p.name, 'email', p.email) END
$$;

-- The document's JSON from its row and what other tables add: its
-- organisation's SIREN, its files (doc_file_json) and the people
-- (person_brief) it was assigned to, signed by and for.  No table is read
-- here: doc_json() below looks these up for one document, and a list (the
-- official's queue, queue_json) joins them for a whole page in one pass
-- instead of running doc_json() once per row.  STABLE, as what it calls
-- (jsonb_build_object), so that PostgreSQL inlines it into the caller.
CREATE OR REPLACE FUNCTION doc_json_of(d document, p_siren text, p_files jsonb, p_assigned jsonb,
	p_signed_by jsonb, p_signed_for jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', d.id,
		'kind', d.kind,
		'state', d.state,
		'organisation', p_siren,
		'title', d.title,
		'signer', d.signer_hint,
		'sign', d.want_sign,
		'transmit', d.want_transmit,
		'due_date', d.due_date,
		'external_ref', d.external_ref,
		'created_at', ts_text(d.created_at),
		'updated_at', ts_text(d.updated_at),
		'files', coalesce(p_files, '[]'),
		'warnings', d.warnings,
		'reason', d.reason,
		'assigned_to', p_assigned,
		'circuit', circuit_doc_json(d, p_assigned),
		'signature', CASE WHEN d.signed_by IS NULL THEN NULL ELSE jsonb_build_object(
			'by', p_signed_by,
			'on_behalf_of', p_signed_for,
			'at', ts_text(d.signed_at)) END)
		|| CASE WHEN d.kind IN ('pes', 'acte') THEN jsonb_build_object(d.kind::text, d.meta)
			ELSE '{}'::jsonb END
		|| CASE WHEN d.kind = 'acte' THEN jsonb_build_object('publication_date', d.published_on)
			ELSE '{}'::jsonb END   -- "Publié le" (88_logo_publication.sql)
$$;

-- One file of a document as doc_json shows it (aggregate with ORDER BY f.n).
CREATE OR REPLACE FUNCTION doc_file_json(f document_file, b blob) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', f.n, 'role', f.role, 'name', f.name, 'media_type', f.media_type,
		'size', b.size, 'sha256', encode(b.sha256, 'hex'),
		'href', '/api/v1/documents/' || f.doc_id || '/files/' || f.n)
		|| CASE WHEN f.stamps IS NULL THEN '{}'::jsonb   -- a stamped copy: the file it stamps (044)
			ELSE jsonb_build_object('stamps', f.stamps) END
$$;

-- The document as shown to vendors, now with who must sign and who signed:
-- what doc_json_of() needs, read in one statement.
CREATE OR REPLACE FUNCTION doc_json(d document) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_siren text;
	v_files jsonb;
	v_assigned jsonb;
	v_by jsonb;
	v_for jsonb;
BEGIN
	SELECT o.siren, (SELECT jsonb_agg(doc_file_json(f, b) ORDER BY f.n)
			FROM document_file f JOIN blob b ON b.id = f.blob_id WHERE f.doc_id = d.id),
		person_brief_of(pa), person_brief_of(pb), person_brief_of(pf)
	INTO v_siren, v_files, v_assigned, v_by, v_for
	FROM organisation o
	LEFT JOIN person pa ON pa.id = d.signer_id
	LEFT JOIN person pb ON pb.id = d.signed_by
	LEFT JOIN person pf ON pf.id = d.signed_for
	WHERE o.id = d.org_id;
	RETURN doc_json_of(d, v_siren, v_files, v_assigned, v_by, v_for);
END $$;

CREATE OR REPLACE FUNCTION blob_put_small(p_sha bytea, p_data bytea) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO blob (sha256, size, nchunks) VALUES (p_sha, length(p_data), 1)
		ON CONFLICT (sha256) DO NOTHING RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		SELECT id INTO v_id FROM blob WHERE sha256 = p_sha;
	ELSE
		INSERT INTO blob_chunk (blob_id, seq, data) VALUES (v_id, 0, p_data);
	END IF;
	RETURN v_id;
END $$;

-- A blob from bytes held in memory, cut into the store's 1 MiB chunks.
CREATE OR REPLACE FUNCTION blob_put_chunked(p_data bytea) RETURNS bigint LANGUAGE plpgsql AS $$
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

-- A document's id: a UUID whose first 48 bits are the time in milliseconds
-- (version 7, RFC 9562), the other 74 random.  Ids made in time order go to
-- the right end of the primary key's index and of document_file's (doc_id,
-- n), which stay in memory, where random (version 4) ones land on any page
-- of indexes that at a million documents no longer fit in shared_buffers
-- (bench/README, ingest at scale).
CREATE OR REPLACE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
	SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
		substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
		FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- p_files: [{"role", "name", "media_type", "sha256" (hex), "size",
--            "blob" (id) | "off"+"len" (bytes of p_data)}]
-- Returns (status, out_id, body): 201 and the document; 200 and the earlier document
-- for a replayed idempotency key; 409 {"doc"} for a key used with another
-- request; 403 {} for an organisation the client may not use; 422 {"doc"}
-- for a NomFic already sent for this IdColl and CodCol (doc null when the
-- earlier document is not one this client may see); 409 {"duplicate"} for an
-- act whose number and decision date another live act of the organisation
-- carries.  A document to sign is routed
-- to one official's queue (event 'route') or refused with status 422 and
-- {"signer": why}; a document only to transmit is queued for transmission
-- (event 'queue', with its 'transmit' job); the first state is the one the
-- transitions table (30_state.sql) gives the creation event.
--
-- p_connectors (the kind's connectors, comma-separated) and p_note (what the
-- transmit job notes when the organisation has none of them, core/kind.c):
-- such a document is parked in state 'queued' with that note on its
-- transmission row and no job, as the job would have left it (it would
-- only have written the note); "liasse connector set" gives parked
-- documents their job (store_connector_set).  The connectors are read
-- after the document's row is inserted, whose foreign key holds the
-- organisation's row (FOR KEY SHARE) until the commit.
DROP FUNCTION IF EXISTS document_create(bigint, text, doc_kind, text, text, boolean, boolean, date, text,
	jsonb, jsonb, jsonb, bytea, text, bytea, text, text);
DROP FUNCTION IF EXISTS document_create(bigint, text, doc_kind, text, text, boolean, boolean, date, text,
	jsonb, jsonb, jsonb, bytea, text, bytea, text, text, text);
CREATE OR REPLACE FUNCTION document_create(p_client bigint, p_siren text, p_kind doc_kind, p_title text,
	p_signer text, p_sign boolean, p_transmit boolean, p_due date, p_ext text, p_meta jsonb,
	p_warnings jsonb, p_files jsonb, p_data bytea, p_idem_key text, p_idem_sha bytea,
	p_actor text, p_job text, p_circuit text, p_connectors text, p_note text,
	OUT status integer, OUT out_id uuid, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	v_names text[] := string_to_array(p_connectors, ',');
	v_org bigint;
	v_doc document%ROWTYPE;
	v_prev idempotency%ROWTYPE;
	v_other uuid;
	v_other_org bigint;
	v_file jsonb;
	v_blob bigint;
	v_n integer := 0;
	v_signer bigint;
	v_circuit jsonb;
	v_why text;
	v_event text := 'receive';
	v_state doc_state;
BEGIN
	SELECT o.id INTO v_org FROM organisation o JOIN api_client_org co ON co.org_id = o.id
		WHERE co.client_id = p_client AND o.siren = p_siren;
	IF v_org IS NULL THEN
		status := 403; body := '{}'; RETURN;
	END IF;
	IF p_idem_key IS NOT NULL THEN
		SELECT * INTO v_prev FROM idempotency WHERE client_id = p_client AND key = p_idem_key;
		IF FOUND THEN
			IF v_prev.request_sha256 = p_idem_sha THEN
				SELECT 200, d.id, doc_json(d) INTO status, out_id, body FROM document d WHERE d.id = v_prev.doc_id;
			ELSE
				status := 409; body := jsonb_build_object('doc', v_prev.doc_id);
			END IF;
			RETURN;
		END IF;
	END IF;
	IF p_sign THEN
		SELECT r.person_id, r.circuit, r.why INTO v_signer, v_circuit, v_why
		FROM route_document(v_org, p_kind, (p_meta->>'nature')::smallint, p_signer, p_circuit) r;
		IF v_signer IS NULL AND v_why LIKE 'circuit%' THEN
			status := 422; body := jsonb_build_object('circuit', v_why, 'known',
				(SELECT coalesce(jsonb_agg(c.name ORDER BY c.name), '[]') FROM circuit c
				 WHERE c.org_id = v_org AND c.retired_at IS NULL)); RETURN;
		ELSIF v_signer IS NULL THEN
			status := 422; body := jsonb_build_object('signer', v_why); RETURN;
		END IF;
		v_event := 'route';
	ELSIF p_transmit THEN
		v_event := 'queue';
	END IF;
	v_state := document_first_state(v_event);
	IF p_kind = 'pes' THEN
		-- NomFic is unique per IdColl and CodCol across all organisations, as
		-- Hélios applies it (index document_pes_nomfic, 013_helios_owner.sql).
		PERFORM pg_advisory_xact_lock(hashtextextended('nomfic/' || (p_meta->>'idcoll') || '/' ||
			(p_meta->>'codcol') || '/' || (p_meta->>'nomfic'), 0));
		SELECT id, org_id INTO v_other, v_other_org FROM document WHERE kind = 'pes'
			AND meta->>'idcoll' = p_meta->>'idcoll' AND meta->>'codcol' = p_meta->>'codcol'
			AND meta->>'nomfic' = p_meta->>'nomfic'
			AND state NOT IN ('cancelled', 'rejected', 'refused', 'failed') LIMIT 1;
		IF FOUND THEN
			-- Another client's document is not named to this one.
			status := 422;
			body := CASE WHEN EXISTS (SELECT 1 FROM api_client_org WHERE client_id = p_client
					AND org_id = v_other_org)
				THEN jsonb_build_object('doc', v_other) ELSE jsonb_build_object('doc', NULL) END;
			RETURN;
		END IF;
	END IF;
	IF p_kind = 'acte' THEN
		-- @ctes refuses a second act with the same number and decision date
		-- from the same organisation (AnomalieActe): refused here first
		-- (index document_acte_numero, 015_acte_numero.sql).
		PERFORM pg_advisory_xact_lock(hashtextextended('acte/' || v_org || '/' ||
			(p_meta->>'numero_interne') || '/' || (p_meta->>'date_decision'), 0));
		SELECT id INTO v_other FROM document WHERE kind = 'acte' AND org_id = v_org
			AND meta->>'numero_interne' = p_meta->>'numero_interne'
			AND meta->>'date_decision' = p_meta->>'date_decision'
			AND state NOT IN ('cancelled', 'rejected', 'refused', 'failed') LIMIT 1;
		IF FOUND THEN
			status := 409; body := jsonb_build_object('duplicate', v_other); RETURN;
		END IF;
	END IF;
	INSERT INTO document (id, org_id, client_id, kind, state, title, signer_hint, want_sign,
		want_transmit, due_date, external_ref, meta, warnings, signer_id, circuit, circuit_step)
	VALUES (uuid_v7(), v_org, p_client, p_kind, v_state, p_title, p_signer, p_sign, p_transmit, p_due, p_ext,
		coalesce(p_meta, '{}'), coalesce(p_warnings, '[]'), v_signer, v_circuit,
		CASE WHEN v_circuit IS NOT NULL THEN 1 END)
	RETURNING * INTO v_doc;
	FOR v_file IN SELECT * FROM jsonb_array_elements(p_files) LOOP
		v_blob := (v_file->>'blob')::bigint;
		IF v_blob IS NULL THEN
			v_blob := blob_put_small(decode(v_file->>'sha256', 'hex'),
				substring(p_data FROM (v_file->>'off')::integer + 1 FOR (v_file->>'len')::integer));
		END IF;
		INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
		VALUES (v_doc.id, v_n, v_file->>'role', v_file->>'name', v_file->>'media_type', v_blob);
		v_n := v_n + 1;
	END LOOP;
	IF p_idem_key IS NOT NULL THEN
		INSERT INTO idempotency (client_id, key, request_sha256, doc_id)
		VALUES (p_client, p_idem_key, p_idem_sha, v_doc.id);
	END IF;
	IF p_job IS NOT NULL THEN
		INSERT INTO job (kind, doc_id) VALUES (p_job, v_doc.id);
	END IF;
	IF v_event = 'queue' AND p_note IS NOT NULL AND NOT EXISTS (SELECT 1 FROM connector
			WHERE org_id = v_org AND kind = ANY (v_names)) THEN
		INSERT INTO transmission (doc_id, org_id, connector, last_error)
		VALUES (v_doc.id, v_org, v_names[cardinality(v_names)], p_note);
	ELSIF v_event = 'queue' THEN
		INSERT INTO job (kind, doc_id) VALUES ('transmit', v_doc.id);
	END IF;
	PERFORM journal_append(p_actor, 'document.received', v_doc.id, v_org,
		CASE WHEN v_signer IS NULL THEN '{}'::jsonb
		ELSE jsonb_build_object('state', v_state, 'signer',
			(SELECT email FROM person WHERE id = v_signer))
			|| CASE WHEN v_circuit IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('circuit',
				v_circuit->'name', 'version', v_circuit->'version', 'step', 1,
				'action', v_circuit->'steps'->>0) END END);
	status := 201;
	out_id := v_doc.id;
	body := doc_json(v_doc);
END $$;

-- A file that came back from a platform, attached to its document as the
-- next file (role 'ack', 'anomaly', 'letter').  Returns the file number.
CREATE OR REPLACE FUNCTION document_file_attach_blob(p_doc uuid, p_role text, p_name text,
	p_type text, p_blob bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
BEGIN
	PERFORM 1 FROM document WHERE id = p_doc FOR UPDATE;
	SELECT coalesce(max(n), -1) + 1 INTO v_n FROM document_file WHERE doc_id = p_doc;
	INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
	VALUES (p_doc, v_n, p_role, p_name, p_type, p_blob);
	PERFORM journal_append('transmit', 'document.file_returned', p_doc,
		(SELECT org_id FROM document WHERE id = p_doc),
		jsonb_build_object('n', v_n, 'role', p_role, 'name', p_name));
	RETURN v_n;
END $$;

-- The same for bytes passed whole (small returns: acknowledgements...).
CREATE OR REPLACE FUNCTION document_file_attach(p_doc uuid, p_role text, p_name text, p_type text,
	p_data bytea) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
	RETURN document_file_attach_blob(p_doc, p_role, p_name, p_type, blob_put_chunked(p_data));
END $$;
